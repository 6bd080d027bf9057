"""Where a study is stored, and the lock that makes a worker's count-then-create atomic.

:func:`make_storage` is the one place a storage is built from ``sweep.storage``:

===================================  ==========================================================
``None`` (default) or ``"journal"``  Optuna journal in ``<study folder>/journal.log``, written
                                     in batches (:class:`~l2gpu.search.journal.JournalFile`)
``"journal:<path>"``                 the same journal at ``<path>``
``"memory"``                         in this process only (nothing survives it; tests,
                                     benchmarks)
``"sqlite:///<path>"``               Optuna's RDB storage on SQLite, one transaction per
                                     operation, waiting up to 60 s for other writers
``"postgresql+psycopg://..."``       Optuna's RDB storage on PostgreSQL (``pip install
                                     'l2gpu[dist]'``); a password may come from
                                     ``PGPASSWORD`` or ``~/.pgpass`` instead of the URL
any other SQLAlchemy URL             Optuna's RDB storage, without a study lock
===================================  ==========================================================

The lock is held while a worker counts the trials of the study and creates its next batch, and
while it tells a batch, so two workers never both take the last trials, nor both reclaim the
same trial, nor both take the same worker ordinal. The journal locks its own file; SQLite uses
a lock file beside the database; PostgreSQL an advisory lock on a key derived from the study
name (:mod:`l2gpu.search.pglock`). Other RDB URLs (MySQL...) get no lock: two workers there may
run up to one batch too many between them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import optuna

from l2gpu.search.journal import JournalFile
from l2gpu.search.pglock import SCHEMA_LOCK, AdvisoryLock

SQLITE_BUSY_TIMEOUT_S = 60
JOURNAL_FILE = "journal.log"
UNSET_PREFIX = "unset:"
"""``sweep.storage`` of ``sweep=postgres`` when its environment variable is missing."""
RDB_PREFIXES = ("sqlite", "postgresql", "mysql", "oracle", "mssql")


@dataclass
class StudyStorage:
    """An Optuna storage with the lock its workers share.

    Attributes
    ----------
    storage : optuna.storages.BaseStorage
        The storage.
    lock : callable
        Returns a context manager that holds the study lock (see the module docstring).
    description : str
        What and where it is, for messages.
    persistent : bool
        Whether the study outlives this process.
    repairs : list of str
        Repairs made to the stored study (a partial journal record cut off).
    """

    storage: optuna.storages.BaseStorage
    lock: Callable[[], AbstractContextManager[None]]
    description: str
    persistent: bool
    repairs: list[str] = field(default_factory=list)


def storage_kind(url: str | None) -> str:
    """Return ``journal``, ``memory`` or ``rdb`` for a ``sweep.storage`` value; else raise."""
    if url is None or url == "journal" or url.startswith("journal:"):
        return "journal"
    if url == "memory":
        return "memory"
    if url.startswith(UNSET_PREFIX):  # sweep=postgres without its environment variable
        variable = url[len(UNSET_PREFIX) :]
        raise ValueError(
            f"sweep.storage: ${variable} is not set; export it (python -m tools.postgres start "
            "prints it) or give sweep.storage=postgresql+psycopg://user@host:port/db"
        )
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme.split("+", 1)[0] in RDB_PREFIXES:
        return "rdb"
    raise ValueError(
        f"sweep.storage: {url!r} is not a storage l2gpu knows; use null (a journal in the "
        "study folder), 'journal:<path>', 'memory', 'sqlite:///<path>' or an SQLAlchemy URL "
        "such as 'postgresql+psycopg://user@host/db'"
    )


def make_storage(url: str | None, study_folder: Path) -> StudyStorage:
    """Build the storage ``url`` names (see the module docstring) for a study in ``study_folder``.

    Parameters
    ----------
    url : str or None
        ``sweep.storage``.
    study_folder : pathlib.Path
        ``<optuna_dir>/<study name>``: the default journal goes there.
    """
    kind = storage_kind(url)
    if kind == "memory":
        return StudyStorage(
            optuna.storages.InMemoryStorage(), contextlib.nullcontext, "memory", False
        )
    if kind == "journal":
        assert url is None or url.startswith("journal")
        given = url[len("journal:") :] if url and url.startswith("journal:") else ""
        path = Path(given).expanduser() if given else study_folder / JOURNAL_FILE
        journal = JournalFile(path)
        return StudyStorage(
            optuna.storages.JournalStorage(journal),
            journal.batch,
            f"journal {path}",
            True,
            journal.repairs,
        )
    assert url is not None
    if url.startswith("sqlite:///"):
        database = Path(url[len("sqlite:///") :])
        database.parent.mkdir(parents=True, exist_ok=True)
        lock_path = database.with_name(database.name + ".l2gpu-lock")
        with _file_lock(lock_path):  # workers started at once would race to create the schema
            rdb = optuna.storages.RDBStorage(
                url, engine_kwargs={"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
            )
        return StudyStorage(rdb, lambda: _file_lock(lock_path), f"SQLite {database}", True)
    if url.split("://", 1)[0].split("+", 1)[0] == "postgresql":
        return _postgres(url, study_folder.name)
    return StudyStorage(
        optuna.storages.RDBStorage(url), contextlib.nullcontext, without_password(url), True
    )


def _postgres(url: str, name: str) -> StudyStorage:
    """Optuna's RDB storage on PostgreSQL, locked per study by an advisory lock."""
    shown = without_password(url)
    try:
        with AdvisoryLock(url, SCHEMA_LOCK)():  # workers started at once create the tables once
            rdb = optuna.storages.RDBStorage(url)
    except ModuleNotFoundError as exc:
        raise ValueError(
            f"sweep.storage: {shown} needs the PostgreSQL driver ({exc}); pip install 'l2gpu[dist]'"
        ) from None
    except RuntimeError as exc:  # Optuna: the tables' schema is not one it can use
        raise ValueError(
            f"sweep.storage: {shown}: {exc} Is the database another program's? (MLflow needs a "
            "database of its own: both keep an alembic_version table)"
        ) from None
    except Exception as exc:  # SQLAlchemy's OperationalError and kin: no server, refused login
        if type(exc).__module__.split(".")[0] not in ("sqlalchemy", "psycopg"):
            raise
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise ValueError(
            f"sweep.storage: cannot open {shown}: {first.strip()}; check that the server "
            "is up and the login is right (user in the URL, PGPASSWORD or ~/.pgpass)"
        ) from None
    return StudyStorage(rdb, AdvisoryLock(url, name), f"PostgreSQL {shown}", True)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold ``fcntl.flock`` on ``path`` (created if missing); the kernel drops it if we die."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def without_password(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, for messages."""
    scheme, _, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{location}"
