"""Slow, obvious references of the store invariants: one row, one level at a time."""

from __future__ import annotations

import math
from typing import Any


def book_failing_rows(book: Any) -> dict[str, list[int]]:
    """Rows failing each book check, found by looping over rows and levels in plain Python."""
    failing: dict[str, list[int]] = {}

    def mark(name: str, row: int) -> None:
        rows = failing.setdefault(name, [])
        if not rows or rows[-1] != row:
            rows.append(row)

    for t in range(len(book.ts)):
        if t and book.ts[t] < book.ts[t - 1]:
            mark("ts_order", t)
        for side, better in (("bid", lambda a, b: a > b), ("ask", lambda a, b: a < b)):
            px = [float(v) for v in getattr(book, f"{side}_px")[:, t]]
            sz = [float(v) for v in getattr(book, f"{side}_sz")[:, t]]
            levels = list(zip(px, sz, strict=True))
            checks = {
                "level_finite": any(math.isinf(p) or not math.isfinite(s) for p, s in levels),
                "level_price_positive": any(not math.isnan(p) and not p > 0 for p in px),
                "missing_level": any(math.isnan(p) and s != 0 for p, s in levels),
                "level_size_positive": any(not math.isnan(p) and not s > 0 for p, s in levels),
                "levels_packed": any(
                    math.isnan(px[k]) and not math.isnan(px[k + 1]) for k in range(len(px) - 1)
                ),
                "levels_ordered": any(
                    not math.isnan(px[k])
                    and not math.isnan(px[k + 1])
                    and not better(px[k], px[k + 1])
                    for k in range(len(px) - 1)
                ),
            }
            for name, fails in checks.items():
                if fails:
                    mark(name, t)
    return {name: sorted(set(rows)) for name, rows in failing.items()}


def trades_failing_rows(trades: Any) -> dict[str, list[int]]:
    """Trades failing each trades check, by a plain loop."""
    failing: dict[str, list[int]] = {}
    latest = None
    seen: set[Any] = set()
    for i in range(len(trades.ts)):
        ts = int(trades.ts[i])
        px, sz, side = float(trades.px[i]), float(trades.sz[i]), int(trades.side[i])
        trade_id = trades.trade_id[i]
        checks = {
            "trade_time_order": latest is not None and ts < latest,
            "trade_id_unique": trade_id in seen,
            "trade_price_positive": not (math.isfinite(px) and px > 0),
            "trade_size_positive": not (math.isfinite(sz) and sz > 0),
            "trade_side": side not in (-1, 1),
        }
        for name, fails in checks.items():
            if fails:
                failing.setdefault(name, []).append(i)
        latest = ts if latest is None else max(latest, ts)
        seen.add(trade_id)
    return failing
