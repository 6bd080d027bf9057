"""The market side of the quote reference: the book's levels, trades per row, equity statistics.

Plain Python, written from docs/quote.md, independent of the kernels (see ``reference_quote``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np

from l2gpu.data.trades import Trades

UNITS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}


def span(value):
    """(amount, in_time) of a rows-or-duration parameter; None stays None."""
    if value is None:
        return None
    if isinstance(value, int | np.integer):
        return int(value), False
    for unit in ("ms", "us", "ns", "s"):
        if value.endswith(unit) and value[: -len(unit)].replace(".", "").isdigit():
            return round(float(value[: -len(unit)]) * UNITS[unit]), True
    return int(value), False


def ticks_of(px, tick):
    return None if math.isnan(px) else round(px / tick)


class Levels:
    """The visible levels of one side at one row, as a list of (ticks, size) from the best."""

    def __init__(self, prices, sizes, tick):
        self.levels = []
        for px, sz in zip(prices, sizes, strict=True):
            if math.isnan(px):
                break
            self.levels.append((ticks_of(float(px), tick), float(sz)))

    def best(self):
        return self.levels[0][0] if self.levels else None

    def shown(self, p, is_bid):
        """D(p): the size at p, 0 inside the spread or between levels, inf beyond the last."""
        for q, size in self.levels:
            if q == p:
                return size
            if (is_bid and q < p) or (not is_bid and q > p):
                return 0.0
        return math.inf


def fraction(tick_size):
    dec = Decimal(tick_size)
    scale = max(0, -int(dec.as_tuple().exponent))
    return int(dec.scaleb(scale)), 10**scale


def trades_by_row(ts: list[int], trades: Trades, tick: float) -> list[list[dict[str, Any]]]:
    """Trades of each row: ts in (ts[t-1], ts[t]]; row 0 takes everything up to ts[0]."""
    rows = len(ts)
    out: list[list[dict[str, Any]]] = [[] for _ in range(rows)]
    t = 0
    for i in range(len(trades)):
        when = int(trades.ts[i])
        while t < rows and ts[t] < when:
            t += 1
        if t == rows:
            break
        out[t].append(
            {
                "ts": when,
                "tick": round(float(trades.px[i]) / tick),
                "sz": float(trades.sz[i]),
                "seller": int(trades.side[i]) < 0,
            }
        )
    return out


def equity_statistics(equities, bucket_end, last_bucket, bucket_ns):
    """(per-bucket equity changes, annualised Sharpe, max drawdown) of a marked equity path."""
    ends, level = [], 0.0
    for b in range(last_bucket + 1):
        level = bucket_end.get(b, level)
        ends.append(level)
    changes = np.diff(np.array([0.0, *ends]))
    sharpe = math.nan
    deviation = float(np.std(changes, ddof=1)) if len(changes) >= 2 else 0.0
    if deviation > 0:
        sharpe = float(np.mean(changes)) / deviation * math.sqrt(365 * 86400e9 / bucket_ns)
    peak, drawdown = 0.0, 0.0
    for e in equities:
        peak = max(peak, e)
        drawdown = max(drawdown, peak - e)
    return changes, sharpe, drawdown
