"""An Optuna journal file whose writes are grouped: one locked, fsynced append per batch phase.

Optuna's own ``JournalFileBackend`` appends and fsyncs once per storage operation (every
suggested parameter, every attribute, every ``tell``), about a dozen times per trial. This
backend writes the same file format (one JSON operation per line, readable by
``optuna.storages.journal.JournalFileBackend``) but lets a caller hold the file lock across many
operations with :meth:`JournalFile.batch`: the operations are kept in memory and written with
one ``write`` and one ``fsync`` when the batch ends. Outside a batch each append is written at
once, as Optuna's backend does.

Exclusion between processes is ``fcntl.flock`` on the journal file itself, which the kernel
releases when its holder dies, so a killed worker never leaves a stale lock behind. Every writer
of the file must use this class (readers may use anything). See ``docs/search.md``.

A process killed in the middle of its write can leave a partial last line. The next writer,
holding the lock, cuts it off before appending (a record of the repair is kept in
:attr:`JournalFile.repairs`); operations on that line are lost, which the search driver
tolerates (see :mod:`l2gpu.search.driver`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from optuna.storages.journal import BaseJournalBackend

log = logging.getLogger(__name__)
READ_CHUNK_BYTES = 1 << 20


class JournalConflictError(RuntimeError):
    """Another program appended to the journal while this process held its lock."""


class JournalFile(BaseJournalBackend):
    """Optuna journal backend on one local file, with batched, locked appends.

    Parameters
    ----------
    path : pathlib.Path
        The journal file; created (with its folder) if missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        self._position = 0  # bytes of complete lines parsed so far
        self._count = 0  # complete lines (operations) parsed so far
        self._pending: list[dict[str, Any]] | None = None  # operations of the batch in progress
        self._batch_size_at_start = 0
        self._mutex = threading.RLock()
        self.repairs: list[str] = []

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("a JournalFile holds an open file and a lock; open it again by path")

    def close(self) -> None:
        """Close the file (a batch in progress must have ended)."""
        with self._mutex:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        """Operations numbered ``log_number_from`` onward: the file's, then the batch's."""
        with self._mutex:
            if log_number_from < self._count:
                # A reader starting over (a new JournalStorage on this backend): parse again.
                self._position, self._count = 0, 0
            first = self._count
            logs = self._read_new()
            if self._pending is not None:
                logs = logs + self._pending
            return logs[max(0, log_number_from - first) :]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Append ``logs``: to the batch in progress, else to the file at once."""
        with self._mutex:
            if self._pending is not None:
                self._pending.extend(logs)
                return
            with self._locked():
                self._write(logs)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold the file lock; operations appended meanwhile are written once, at the end.

        Other processes wait for the lock, so what a caller reads and creates inside one batch
        (counting trials, then asking for new ones) is atomic across workers. Other threads of
        this process may append meanwhile (a heartbeat): their operations join the batch. The
        operations are written even when the body raises: Optuna has applied them in memory.
        """
        with self._mutex:
            if self._pending is not None:
                raise RuntimeError("JournalFile.batch() does not nest")
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._repair_tail()
            self._batch_size_at_start = os.fstat(self._fd).st_size
            self._pending = []
        try:
            yield
        finally:
            with self._mutex:
                pending, self._pending = self._pending, None
                try:
                    if pending:
                        self._flush(pending)
                finally:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _flush(self, pending: list[dict[str, Any]]) -> None:
        """Write a batch's operations (lock held)."""
        if os.fstat(self._fd).st_size != self._batch_size_at_start:
            raise JournalConflictError(
                f"{self.path}: another program appended to the journal while l2gpu held its "
                "lock; only l2gpu may write an l2gpu journal (Optuna tools may read it)"
            )
        written = self._write(pending)
        if self._position == self._batch_size_at_start:
            # Optuna has read these operations already, from the batch.
            self._position += written
            self._count += len(pending)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            self._repair_tail()
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _repair_tail(self) -> None:
        """Cut off a partial last line left by a writer killed mid-write (lock held)."""
        size = os.fstat(self._fd).st_size
        if size == 0 or os.pread(self._fd, 1, size - 1) == b"\n":
            return
        keep = size
        while keep > 0:
            start = max(0, keep - READ_CHUNK_BYTES)
            newline = os.pread(self._fd, keep - start, start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            keep = start
        os.ftruncate(self._fd, keep)
        os.fsync(self._fd)
        message = (
            f"{self.path}: cut off a partial last record of {size - keep} bytes, left by a "
            "process killed while writing"
        )
        self.repairs.append(message)
        log.warning(message)

    def _write(self, logs: list[dict[str, Any]]) -> int:
        """Append ``logs`` as JSON lines with one write and one fsync; return the bytes."""
        data = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in logs).encode()
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
        return len(data)

    def _read_new(self) -> list[dict[str, Any]]:
        """Parse the complete lines after :attr:`_position` (a partial last line waits)."""
        size = os.fstat(self._fd).st_size
        if size <= self._position:
            return []
        data = os.pread(self._fd, size - self._position, self._position)
        end = data.rfind(b"\n") + 1
        lines = data[:end].splitlines()
        logs = []
        for number, line in enumerate(lines, start=self._count):
            try:
                logs.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{self.path}: operation {number} is not valid JSON ({exc}); the journal "
                    "was written by something other than Optuna or l2gpu"
                ) from None
        self._position += end
        self._count += len(lines)
        return logs
