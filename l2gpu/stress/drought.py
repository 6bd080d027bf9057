"""``liquidity_drought``: every size of the book scaled down by a factor.

``bid_sz' = factor * bid_sz`` and ``ask_sz' = factor * ask_sz`` at every level and row; prices,
times and trades are unchanged; no random draw. See ``docs/stress.md#liquidity_drought``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.stress.scenario import SCENARIOS, Scenario, Stressed, in_range

NAME = "liquidity_drought"


def liquidity_drought(
    book: Book, trades: Trades | None, rng: np.random.Generator, params: Mapping[str, Any]
) -> Stressed:
    """Scale every size by ``factor`` (see the module doc)."""
    factor = in_range(NAME, "factor", params["factor"], 1e-9, 1.0)
    out = dataclasses.replace(book, bid_sz=book.bid_sz * factor, ask_sz=book.ask_sz * factor)
    return Stressed(out._with_host_ts(book.host_ts()), trades)


SCENARIOS.add(
    NAME,
    Scenario(
        name=NAME,
        doc="every size of the book scaled down by factor",
        defaults={"factor": 0.2},
        units={"factor": "fraction of size"},
        transform=liquidity_drought,
    ),
)
