"""When the replay steps: at the recording's own pace times a speed, or as fast as it can.

At ``speed`` > 0 the recording's clock runs ``speed`` times as fast as the wall clock from the
first row (1 = real time): each step covers the rows whose time has come, and the pace sleeps
(at most a frame, so the view keeps moving) until the next row is due. At ``speed`` 0 it steps
as fast as the kernel runs, in batches of rows sized so that each takes about one frame of wall
time. How many rows a step covers never changes a fill or the pnl (``docs/replay.md``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from l2gpu.core.units import NS_PER_S

FRAME_S = 0.1
"""Wall time between two views, at most, while the replay runs."""
FIRST_BATCH = 64
"""Rows of the first step at speed 0."""


class Pace:
    """Chooses how far each step goes.

    Parameters
    ----------
    ts : numpy.ndarray
        The book's exchange times, ns.
    speed : float
        Recording seconds per wall second; 0 is as fast as possible.
    frame_s : float
        Wall time between two views, at most, s.
    clock, sleep : callable
        The wall clock (s) and how to wait (tests pass fakes).
    """

    def __init__(
        self,
        ts: np.ndarray,
        speed: float,
        frame_s: float = FRAME_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not speed >= 0:
            raise ValueError(f"speed {speed}: give 0 (as fast as possible) or a positive factor")
        self.ts = ts
        self.speed = speed
        self.frame_s = frame_s
        self.clock = clock
        self.sleep = sleep
        self._started: float | None = None
        self._last: float | None = None
        self._batch = FIRST_BATCH

    def next_stop(self, done: int, limit: int) -> int:
        """Return the row the next step stops before (``done`` when none is due yet)."""
        if self.speed == 0:
            return min(done + self._next_batch(), limit)
        now = self.clock()
        if self._started is None:
            self._started = now
        due = self._due(now)
        if due <= done:
            wait = (int(self.ts[done]) - int(self.ts[0])) / NS_PER_S / self.speed - (
                now - self._started
            )
            self.sleep(min(max(wait, 0.0), self.frame_s))
            due = self._due(self.clock())
        return min(max(due, done), limit)

    def _due(self, now: float) -> int:
        """Rows whose time has come at wall time ``now``."""
        assert self._started is not None
        recording_ns = int(self.ts[0]) + int((now - self._started) * self.speed * NS_PER_S)
        return int(np.searchsorted(self.ts, recording_ns, side="right"))

    def _next_batch(self) -> int:
        """Rows of the next step at speed 0: doubled or halved toward one frame per step."""
        now = self.clock()
        if self._last is not None:
            took = now - self._last
            if took < self.frame_s / 2:
                self._batch *= 2
            elif took > self.frame_s:
                self._batch = max(1, self._batch // 2)
        self._last = now
        return self._batch
