"""``stale_gaps``: the feed goes silent over ``count`` seeded windows and the book freezes.

Window ``i`` is ``[g_i, g_i + width)`` (:func:`~l2gpu.stress.scenario.seeded_windows`); every
book row with ``ts`` in a window is removed, so the last row before it stands until the first
row after it. Trades are kept (they still happen; the book does not show them). See
``docs/stress.md#stale_gaps``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

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
    whole,
)

NAME = "stale_gaps"


def stale_gaps(
    book: Book, trades: Trades | None, rng: np.random.Generator, params: Mapping[str, Any]
) -> Stressed:
    """Remove the rows in seeded windows (see the module doc)."""
    width = duration_ns(NAME, "width", params["width"])
    starts = seeded_windows(book, whole(NAME, "count", params["count"], 1), width, rng, NAME)
    kept = np.flatnonzero(~in_windows(book.host_ts(), starts, width))
    if kept.shape[0] == 0:
        raise ValueError(f"stress scenario {NAME!r}: the gaps remove every row of the book")
    return Stressed(take_rows(book, kept, "stale_gaps rows kept"), trades)


SCENARIOS.add(
    NAME,
    Scenario(
        name=NAME,
        doc="book rows removed over count seeded windows of width: the book freezes",
        defaults={"count": 5, "width": "2s"},
        units={"count": "gaps", "width": "duration"},
        transform=stale_gaps,
    ),
)
