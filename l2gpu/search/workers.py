"""Workers of a study: who owns a trial, whether that worker is gone, heartbeats, seeds.

Each process that runs a study registers as a *worker*: the next free ordinal of the study (0
for the first process ever, 1 for the next, whether it runs beside the first or resumes after
it), recorded in the study's user attribute ``l2gpu.worker.<ordinal>`` with its host, pid,
process start time and last heartbeat (unix s). Every trial it creates carries its owner in
user attributes: ``l2gpu.worker`` (the ordinal), ``l2gpu.host`` and ``l2gpu.pid``.

A RUNNING trial may be reclaimed (finished by another worker) only when its owner is gone:

- on the same host, when the pid is dead, or alive but a different process (its start time
  differs from the recorded one, so a reused pid is not mistaken for the owner), or the pid is
  this process's and the worker that created the trial has ended;
- on another host, whose pids mean nothing here, when its heartbeat is older than
  ``stale_after_s`` (``None``: never, for clusters whose workers may pause for long).

Sampler seeds differ per worker (:func:`worker_seed`) so that workers, and a resumed study,
never repeat the proposals of the first process. See ``docs/search.md``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

WORKER_KEY = "l2gpu.worker"
"""Trial user attribute: the ordinal of the worker that owns the trial."""
HOST_KEY = "l2gpu.host"
PID_KEY = "l2gpu.pid"
RECLAIMED_KEY = "l2gpu.reclaimed_from"
"""Trial user attribute: the ordinal of the gone worker a reclaimed trial was taken from."""
RECORD_PREFIX = "l2gpu.worker."
"""Study user attribute ``l2gpu.worker.<ordinal>``: host, pid, started, beat."""


def process_started(pid: int) -> int | None:
    """Return the start time of process ``pid`` (Linux clock ticks since boot), if known."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    try:
        return int(fields[19])  # field 22 of stat(5); fields[0] is field 3
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """Return whether process ``pid`` runs on this host (a zombie, dead, unreaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): the pid exists
    return state != b"Z"


def worker_seed(base_seed: int, ordinal: int) -> int:
    """Return the sampler seed of worker ``ordinal``: the base seed for the first, then distinct.

    Worker 0 uses ``base_seed`` itself, so a study run by one process is reproducible with
    the seed the user gave; later workers draw theirs from ``SeedSequence([base_seed,
    ordinal])``.
    """
    if ordinal == 0:
        return base_seed
    return int(np.random.SeedSequence([base_seed, ordinal]).generate_state(1)[0])


@dataclass(frozen=True)
class Worker:
    """One process running a study.

    Attributes
    ----------
    ordinal : int
        The worker's number in the study, in order of registration.
    host : str
        ``socket.gethostname()``.
    pid : int
        Process id.
    started : int or None
        Process start time (clock ticks since boot, Linux), against pid reuse.
    """

    ordinal: int
    host: str
    pid: int
    started: int | None

    @classmethod
    def this_process(cls, ordinal: int) -> Worker:
        """Return the worker ``ordinal`` as this process."""
        pid = os.getpid()
        return cls(ordinal, socket.gethostname(), pid, process_started(pid))

    @property
    def record_key(self) -> str:
        """Return the study user attribute that records this worker."""
        return f"{RECORD_PREFIX}{self.ordinal}"

    def record(self) -> dict[str, Any]:
        """Return the worker's record with a heartbeat of now (unix s)."""
        return {"host": self.host, "pid": self.pid, "started": self.started, "beat": time.time()}

    def trial_attrs(self) -> dict[str, Any]:
        """Return the user attributes that mark a trial as owned by this worker."""
        return {WORKER_KEY: self.ordinal, HOST_KEY: self.host, PID_KEY: self.pid}


def next_ordinal(study_attrs: Mapping[str, Any], owners: Iterable[int] = ()) -> int:
    """Return the first ordinal above every registered worker and every trial owner."""
    taken = [int(k[len(RECORD_PREFIX) :]) for k in study_attrs if k.startswith(RECORD_PREFIX)]
    return max([*taken, *owners], default=-1) + 1


@dataclass(frozen=True)
class Judge:
    """Decides whether the owner of a trial is gone, from this process's point of view.

    Attributes
    ----------
    me : Worker
        This process's worker.
    active : collection of int
        Ordinals of the workers still running in this process.
    records : mapping
        The study's user attributes (worker records among them).
    stale_after_s : float or None
        Heartbeat age after which another host's worker counts as gone; ``None``: never.
    """

    me: Worker
    active: Collection[int]
    records: Mapping[str, Any]
    stale_after_s: float | None

    def owner_gone(self, attrs: Mapping[str, Any]) -> bool:
        """Return whether the owner recorded in a trial's user attributes ``attrs`` is gone."""
        ordinal = int(attrs[WORKER_KEY])
        record = self.records.get(f"{RECORD_PREFIX}{ordinal}") or {}
        host = attrs.get(HOST_KEY, record.get("host"))
        pid = int(attrs.get(PID_KEY, record.get("pid", -1)))
        if host == self.me.host:
            if pid == self.me.pid:
                return ordinal not in self.active  # this process: gone once that worker ended
            if not pid_alive(pid):
                return True
            started = record.get("started")
            now_started = process_started(pid)
            return started is not None and now_started is not None and started != now_started
        return self.heartbeat_stale(record.get("beat"))

    def heartbeat_stale(self, beat: float | None) -> bool:
        """Return whether a heartbeat (unix s; ``None``: none) is older than ``stale_after_s``."""
        if self.stale_after_s is None:
            return False
        return beat is None or time.time() - float(beat) > self.stale_after_s

    def worker_gone(self, ordinal: int) -> bool:
        """Return whether worker ``ordinal`` is gone (judged from its record alone)."""
        record = self.records.get(f"{RECORD_PREFIX}{ordinal}")
        if record is None:
            return True
        attrs = {WORKER_KEY: ordinal, HOST_KEY: record.get("host"), PID_KEY: record.get("pid")}
        return self.owner_gone(attrs)


class Heartbeat:
    """A daemon thread that calls ``beat()`` every ``interval_s`` until stopped.

    Parameters
    ----------
    beat : callable
        Writes the worker's record (its heartbeat) to the study.
    interval_s : float
        Seconds between beats.
    """

    def __init__(self, beat: Callable[[], None], interval_s: float) -> None:
        self._beat = beat
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="l2gpu-heartbeat", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        """Start beating."""
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and wait for the thread."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._beat()
            except Exception as exc:  # the driver reports it at the next batch
                self.error = exc
                return
