"""The study lock on PostgreSQL: a session advisory lock on a key derived from the study name.

``pg_advisory_lock(key)`` is held on a connection of its own while a worker counts the study's
trials and creates its next batch, and while it tells a batch (see
:mod:`l2gpu.search.storage`). PostgreSQL drops a session's advisory locks when the session
ends, so a worker killed while holding the lock (SIGKILL, a lost machine) frees it as soon as
the server notices the connection is gone, as ``flock`` does for the journal. Each hold opens
its own connection, so two threads of one process exclude each other too (advisory locks are
re-entrant within a session). See ``docs/search.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA_LOCK = "l2gpu.optuna-schema"
"""Lock name held while Optuna creates its tables (workers started at once would race)."""


def lock_key(name: str) -> int:
    """Return the signed 64-bit advisory lock key of ``name`` (first 8 bytes of its SHA-256)."""
    digest = hashlib.sha256(f"l2gpu.study:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """Hold ``pg_advisory_lock`` on the key of a name, on its own connection per hold.

    Parameters
    ----------
    url : str
        SQLAlchemy URL of the PostgreSQL database (``postgresql+psycopg://user@host:port/db``);
        a password may come from ``PGPASSWORD`` or ``~/.pgpass`` instead of the URL.
    name : str
        What is locked: the study name (:func:`lock_key` derives the key).
    """

    def __init__(self, url: str, name: str) -> None:
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        self._engine = sqlalchemy.create_engine(url, poolclass=NullPool)
        self._key = lock_key(name)
        self.name = name

    @contextmanager
    def __call__(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block (waits for the other holder)."""
        from sqlalchemy import text

        connection: Any = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self._key})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        finally:
            connection.close()
