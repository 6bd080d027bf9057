"""``bursts``: over ``count`` seeded windows the feed falls behind and delivers in a rush.

Window ``i`` is ``[b_i, e_i)``, ``e_i = b_i + width``
(:func:`~l2gpu.stress.scenario.seeded_windows`). A book row with ``ts`` in it moves to
``ts' = e_i - (e_i - ts) // compress`` (its time to the window's end divided by ``compress``,
whole ns) and is delivered ``repeat`` times in a row (identical copies, same ``ts'``, ``seq``
repeated); ``local_ts`` moves by the same amount. Trades in a window move by the same map and
are not repeated. Rows keep their order, so times stay non-decreasing. See
``docs/stress.md#bursts``.
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
    in_windows,
    seeded_windows,
    take_rows,
    trades_with_times,
    whole,
    with_times,
)

NAME = "bursts"


def compressed(ts: Any, starts: np.ndarray, width: int, compress: int) -> Any:
    """``ts`` (int64 ns) with each time in a window squeezed toward the window's end."""
    xp = array_namespace(ts)
    out = ts
    for start in starts.tolist():
        end = start + width
        inside = (ts >= start) & (ts < end)
        out = xp.where(inside, end - (end - ts) // compress, out)
    return out


def bursts(
    book: Book, trades: Trades | None, rng: np.random.Generator, params: Mapping[str, Any]
) -> Stressed:
    """Compress and repeat the rows of seeded windows (see the module doc)."""
    width = duration_ns(NAME, "width", params["width"])
    compress = whole(NAME, "compress", params["compress"], 1)
    repeat = whole(NAME, "repeat", params["repeat"], 1, 1_000)
    starts = seeded_windows(book, whole(NAME, "count", params["count"], 1), width, rng, NAME)
    host = book.host_ts()
    timed = with_times(
        book,
        compressed(book.ts, starts, width, compress),
        compressed(host, starts, width, compress),
    )
    copies = np.where(in_windows(host, starts, width), repeat, 1)
    rows = np.repeat(np.arange(len(book), dtype=np.int64), copies)
    out = take_rows(timed, rows, "bursts rows repeated")
    moved = None
    if trades is not None:
        moved = trades_with_times(trades, compressed(trades.ts, starts, width, compress))
    return Stressed(out, moved)


SCENARIOS.add(
    NAME,
    Scenario(
        name=NAME,
        doc="rows of count seeded windows squeezed toward the window's end by compress and "
        "each delivered repeat times",
        defaults={"count": 5, "width": "2s", "compress": 10, "repeat": 2},
        units={
            "count": "bursts",
            "width": "duration",
            "compress": "times faster",
            "repeat": "copies per row",
        },
        transform=bursts,
    ),
)
