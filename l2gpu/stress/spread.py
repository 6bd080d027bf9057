"""``spread_widening``: every bid moved down and every ask moved up by ``ticks`` ticks.

``bid_px' = bid_px - ticks * tick`` and ``ask_px' = ask_px + ticks * tick`` at every level and
row (exact on the tick grid, :func:`~l2gpu.stress.scenario.shift_ticks`), so the spread widens by
``2 * ticks`` ticks, each side stays sorted and bids stay below asks (a bid that would reach 0
or below becomes a missing level); sizes, times and trades are
unchanged; no random draw. See ``docs/stress.md#spread_widening``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.stress.scenario import (
    SCENARIOS,
    Scenario,
    Stressed,
    above_zero,
    shift_ticks,
    tick_size,
    whole,
)

NAME = "spread_widening"


def spread_widening(
    book: Book, trades: Trades | None, rng: np.random.Generator, params: Mapping[str, Any]
) -> Stressed:
    """Widen the book by ``ticks`` on each side (see the module doc)."""
    ticks = whole(NAME, "ticks", params["ticks"], 0)
    tick = tick_size(book, NAME)
    bid_px, bid_sz = above_zero(shift_ticks(book.bid_px, -ticks, tick), book.bid_sz)
    out = dataclasses.replace(
        book, bid_px=bid_px, bid_sz=bid_sz, ask_px=shift_ticks(book.ask_px, ticks, tick)
    )
    return Stressed(out._with_host_ts(book.host_ts()), trades)


SCENARIOS.add(
    NAME,
    Scenario(
        name=NAME,
        doc="bids moved down and asks up by ticks ticks",
        defaults={"ticks": 2},
        units={"ticks": "ticks per side"},
        transform=spread_widening,
    ),
)
