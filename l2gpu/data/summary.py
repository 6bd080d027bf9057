"""A readable summary of a book: size, time span, prices, spreads, imbalance and data quality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l2gpu.data.book import Book
from l2gpu.features.top_of_book import top_of_book

NS_PER_S = 1e9


@dataclass(frozen=True)
class BookSummary:
    """Figures that describe a book at a glance (all on the host).

    Attributes
    ----------
    rows, depth : int
        Book size.
    start_ns, end_ns : int
        First and last ``ts``, ns since the Unix epoch.
    events_per_s : float
        Rows per second of exchange time.
    mid_min, mid_max : float
        Range of the mid, quote currency.
    spread_median_bps, spread_mean_bps : float
        Spread relative to the mid, bps.
    imbalance_quantiles : tuple of float
        5%, 50% and 95% quantiles of the top-``levels`` imbalance.
    levels : int
        Levels in the imbalance.
    crossed_rows, empty_side_rows : int
        Rows with best bid >= best ask; rows with a side that shows no level.
    """

    rows: int
    depth: int
    start_ns: int
    end_ns: int
    events_per_s: float
    mid_min: float
    mid_max: float
    spread_median_bps: float
    spread_mean_bps: float
    imbalance_quantiles: tuple[float, float, float]
    levels: int
    crossed_rows: int
    empty_side_rows: int


def summarize(book: Book, levels: int = 5, engine: str | None = None) -> BookSummary:
    """Summarise ``book`` using the top-of-book kernel on ``engine``."""
    if len(book) == 0:
        raise ValueError("cannot summarise an empty book")
    levels = min(levels, book.depth)
    host = book.to("cpu")
    stats = {k: np.asarray(v) for k, v in top_of_book(host, levels, engine).items()}
    spread_bps = 1e4 * stats["spread"] / stats["mid"]
    span_s = (int(host.ts[-1]) - int(host.ts[0])) / NS_PER_S
    empty = np.isnan(host.bid_px[0]) | np.isnan(host.ask_px[0])
    q05, q50, q95 = np.nanquantile(stats[f"imbalance_{levels}"], [0.05, 0.5, 0.95])
    return BookSummary(
        rows=len(host),
        depth=host.depth,
        start_ns=int(host.ts[0]),
        end_ns=int(host.ts[-1]),
        events_per_s=len(host) / span_s if span_s > 0 else float("nan"),
        mid_min=float(np.nanmin(stats["mid"])),
        mid_max=float(np.nanmax(stats["mid"])),
        spread_median_bps=float(np.nanmedian(spread_bps)),
        spread_mean_bps=float(np.nanmean(spread_bps)),
        imbalance_quantiles=(float(q05), float(q50), float(q95)),
        levels=levels,
        crossed_rows=int(host.crossed_rows().size),
        empty_side_rows=int(empty.sum()),
    )
