"""``latency_spike``: the execution path stalls for ``stall`` at ``count`` seeded times.

The spikes reach the sweep through the book's clock. Spike ``i`` starts at ``s_i``
(:func:`~l2gpu.stress.scenario.seeded_windows`, ``count`` windows of ``stall``); the stressed
time of an event at ``tau`` is ``tau' = tau - sum_i clip(tau - s_i, 0, stall)``: the clock stands
still during each stall and runs on ``stall`` behind after it. Book rows and trades keep their
order and their contents; ``ts`` and ``local_ts`` move by the same amount. A time latency ``L``
is measured on this clock, so an order in flight when a stall begins fills ``stall`` later in
real time (at the first row with ``tau' >= tau'_decision + L``), and an order decided during a
stall waits for its end, then ``L``. A latency in rows is not affected. See
``docs/stress.md#latency_spike``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from l2gpu.backend.arrays import array_namespace
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.stress.scenario import (
    SCENARIOS,
    Scenario,
    Stressed,
    duration_ns,
    seeded_windows,
    trades_with_times,
    whole,
    with_times,
)

NAME = "latency_spike"


def stalled_clock(ts: Any, starts: np.ndarray, stall: int) -> Any:
    """``ts`` (int64 ns) on the clock that stands still for ``stall`` ns at each of ``starts``."""
    xp = array_namespace(ts)
    out = ts
    for start in starts.tolist():
        out = out - xp.clip(ts - start, 0, stall)
    return out


def latency_spike(
    book: Book, trades: Trades | None, rng: np.random.Generator, params: Mapping[str, Any]
) -> Stressed:
    """Stall the clock at seeded times (see the module doc)."""
    stall = duration_ns(NAME, "stall", params["stall"])
    starts = seeded_windows(book, whole(NAME, "count", params["count"], 1), stall, rng, NAME)
    host = stalled_clock(book.host_ts(), starts, stall)
    out = with_times(book, stalled_clock(book.ts, starts, stall), host)
    moved = None
    if trades is not None:
        moved = trades_with_times(trades, stalled_clock(trades.ts, starts, stall))
    return Stressed(out, moved)


SCENARIOS.add(
    NAME,
    Scenario(
        name=NAME,
        doc="the clock stands still for stall at count seeded times: time latencies across "
        "a stall grow by it",
        defaults={"count": 5, "stall": "500ms"},
        units={"count": "spikes", "stall": "duration"},
        transform=latency_spike,
    ),
)
