"""``flash_crash``: the mid falls by a shock, liquidity near the touch is withdrawn, it recovers.

One crash starts at a seeded time ``s`` (:func:`~l2gpu.stress.scenario.seeded_windows` with one
window of ``fall + hold + recovery``). Its intensity at time ``tau`` is
``a = clip((tau - s) / fall, 0, 1) - clip((tau - s - fall - hold) / recovery, 0, 1)``: 0 before,
rising to 1 over ``fall``, 1 for ``hold``, back to 0 over ``recovery``. Every price of a row
moves by ``-round(a * shock_bps * 1e-4 * ref / tick)`` ticks, ``ref`` the row's mid (the one
side's best price when the other is empty); sizes of the first ``levels`` levels of each side
are scaled by ``1 - withdraw * a`` (``withdraw <= 0.99``: a level that is there keeps a size).
A level whose price would reach 0 or below becomes missing. Trades move by the same rule with
their own price as ``ref``. See ``docs/stress.md#flash_crash``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from l2gpu.backend.arrays import array_namespace
from l2gpu.core.units import BPS
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.stress.scenario import (
    SCENARIOS,
    Scenario,
    Stressed,
    above_zero,
    duration_ns,
    in_range,
    seeded_windows,
    shift_ticks,
    tick_size,
    whole,
)

NAME = "flash_crash"


def intensity(ts: Any, start: int, fall: int, hold: int, recovery: int) -> Any:
    """Return the crash's intensity in ``[0, 1]`` at each time of ``ts`` (ns), where it lives."""
    xp = array_namespace(ts)
    down = xp.clip((ts - start) / fall, 0.0, 1.0)
    up = xp.clip((ts - (start + fall + hold)) / recovery, 0.0, 1.0)
    return down - up


def _shift(ref: Any, a: Any, shock: float, tick: str) -> Any:
    """Ticks moved: ``-round(a * shock * ref / tick)``, 0 where ``ref`` is missing."""
    xp = array_namespace(ref)
    per_tick = float(tick)
    ticks = xp.round(-a * shock * ref / per_tick)
    return xp.where(xp.isnan(ticks), 0.0, ticks)


def flash_crash(
    book: Book, trades: Trades | None, rng: np.random.Generator, params: Mapping[str, Any]
) -> Stressed:
    """Apply a flash crash (see the module doc)."""
    shock = in_range(NAME, "shock_bps", params["shock_bps"], 0.0, 5_000.0) * BPS
    withdraw = in_range(NAME, "withdraw", params["withdraw"], 0.0, 0.99)
    levels = whole(NAME, "levels", params["levels"], 0)
    fall = duration_ns(NAME, "fall", params["fall"])
    hold = duration_ns(NAME, "hold", params["hold"], allow_zero=True)
    recovery = duration_ns(NAME, "recovery", params["recovery"])
    tick = tick_size(book, NAME)
    start = int(seeded_windows(book, 1, fall + hold + recovery, rng, NAME)[0])
    xp = array_namespace(book.ts)
    a = intensity(book.ts, start, fall, hold, recovery)
    bid, ask = book.bid_px[0], book.ask_px[0]
    ref = xp.where(xp.isnan(bid), ask, xp.where(xp.isnan(ask), bid, (bid + ask) / 2))
    ticks = _shift(ref, a, shock, tick)[None, :]
    near = (xp.arange(book.depth) < levels)[:, None]
    keep = xp.where(near, 1.0 - withdraw * a[None, :], 1.0)
    bid_px, bid_sz = above_zero(shift_ticks(book.bid_px, ticks, tick), book.bid_sz * keep)
    ask_px, ask_sz = above_zero(shift_ticks(book.ask_px, ticks, tick), book.ask_sz * keep)
    stressed = Book(
        book.ts, book.local_ts, book.seq, bid_px, bid_sz, ask_px, ask_sz, meta=book.meta
    )._with_host_ts(book.host_ts())
    moved = None
    if trades is not None:
        ta = intensity(trades.ts, start, fall, hold, recovery)
        px = shift_ticks(trades.px, _shift(trades.px, ta, shock, tick), tick)
        moved = Trades(trades.ts, trades.local_ts, px, trades.sz, trades.side, trades.trade_id)
    return Stressed(stressed, moved)


SCENARIOS.add(
    NAME,
    Scenario(
        name=NAME,
        doc="the mid falls by shock_bps over fall, liquidity near the touch withdrawn, then "
        "recovers over recovery",
        defaults={
            "shock_bps": 200.0,
            "fall": "10s",
            "hold": "5s",
            "recovery": "30s",
            "withdraw": 0.8,
            "levels": 5,
        },
        units={
            "shock_bps": "bps of the mid",
            "fall": "duration",
            "hold": "duration",
            "recovery": "duration",
            "withdraw": "fraction of size",
            "levels": "levels per side",
        },
        transform=flash_crash,
    ),
)
