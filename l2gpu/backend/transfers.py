"""The transfer ledger: every move of array data between the host and the device, with its bytes.

Each entry records a direction (``"h2d"`` host to device, ``"d2h"`` device to host), the bytes
moved, a label (given by the caller, or the first call site outside :mod:`l2gpu.backend`) and
whether the move was explicit. On a real GPU the ledger sees the explicit moves only
(:func:`l2gpu.backend.to_device`, ``.get()`` through it); CuPy's own hidden synchronisations are
invisible to it. Under the strict simulated device (:mod:`l2gpu.backend.strict`) it also sees
the syncs CuPy makes behind a data-dependent size (a boolean mask, ``nonzero``), marked
``explicit=False``.

Tests read it as ``with transfers.recording() as moves: ...`` (the moves made inside the block)
or through :func:`ledger` and :meth:`Ledger.reset`. See ``docs/engines.md``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Literal

Direction = Literal["h2d", "d2h"]
_BACKEND_DIR = os.path.join("l2gpu", "backend") + os.sep


@dataclass(frozen=True)
class Transfer:
    """One move of array data.

    Attributes
    ----------
    direction : {"h2d", "d2h"}
        Host to device, or device to host.
    nbytes : int
        Bytes moved.
    label : str
        What moved: the caller's label, or ``file:line (function)`` of the call site.
    explicit : bool
        False for a sync the code did not ask for by name (a boolean mask's size).
    """

    direction: Direction
    nbytes: int
    label: str
    explicit: bool = True


@dataclass
class Ledger:
    """An append-only list of :class:`Transfer` with counts and byte totals."""

    entries: list[Transfer] = field(default_factory=list)

    def count(self, direction: Direction | None = None, explicit: bool | None = None) -> int:
        """Return the number of moves, optionally of one direction and of one kind."""
        return len(self.select(direction, explicit))

    def nbytes(self, direction: Direction | None = None) -> int:
        """Bytes moved, optionally in one direction."""
        return sum(t.nbytes for t in self.select(direction))

    def select(
        self, direction: Direction | None = None, explicit: bool | None = None
    ) -> list[Transfer]:
        """Return the entries of one direction and kind (``None`` matches all)."""
        return [
            t
            for t in self.entries
            if (direction is None or t.direction == direction)
            and (explicit is None or t.explicit == explicit)
        ]

    def labels(self, direction: Direction | None = None) -> list[str]:
        """Labels of the moves, in order."""
        return [t.label for t in self.select(direction)]

    def reset(self) -> None:
        """Forget every entry."""
        self.entries.clear()

    def summary(self) -> str:
        """One line per direction: count and MiB, for logs and assertion messages."""
        return "; ".join(
            f"{d}: {self.count(d)} moves, {self.nbytes(d) / 2**20:.3f} MiB" for d in ("h2d", "d2h")
        )


_LEDGER = Ledger()
_LISTENERS: list[Ledger] = []
_LOCK = threading.Lock()


def ledger() -> Ledger:
    """Return the process-wide ledger (every move since the start or the last reset)."""
    return _LEDGER


def call_site() -> str:
    """Return ``file:line (function)`` of the first frame outside :mod:`l2gpu.backend`."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _BACKEND_DIR in frame.f_code.co_filename:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    path = frame.f_code.co_filename
    short = path[path.rfind("l2gpu") :] if "l2gpu" in path else path.rsplit("/", 1)[-1]
    return f"{short}:{frame.f_lineno} ({frame.f_code.co_name})"


def record(direction: Direction, nbytes: int, label: str | None, explicit: bool = True) -> None:
    """Append one move to the process-wide ledger and to every open :func:`recording`."""
    entry = Transfer(direction, int(nbytes), label or call_site(), explicit)
    with _LOCK:
        _LEDGER.entries.append(entry)
        for listener in _LISTENERS:
            listener.entries.append(entry)


@contextmanager
def recording() -> Iterator[Ledger]:
    """Collect the moves made inside the ``with`` block into a fresh :class:`Ledger`."""
    moves = Ledger()
    with _LOCK:
        _LISTENERS.append(moves)
    try:
        yield moves
    finally:
        with _LOCK:
            _LISTENERS.remove(moves)
