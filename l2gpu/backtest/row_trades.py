"""Trades aligned to book rows: for each row, the trades since the previous row (CSR layout).

Row ``t`` holds the trades with ``ts`` in ``(ts_{t-1}, ts_t]`` (exchange time, ns), in file
order; row 0 holds every trade with ``ts <= ts_0``; trades after the last row belong to no row.
``first`` has ``T + 1`` entries: row ``t``'s trades are ``first[t] .. first[t + 1] - 1``. It is
one ``searchsorted`` of the book's times into the trades' times, on the device where the book
lives, so nothing of size configs x rows is ever built. Prices become integer ticks
(``round(px / tick)``), so a kernel compares trades with quotes in integers. See
``docs/quote.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from l2gpu.backend.arrays import Device, array_device, array_namespace, to_device
from l2gpu.data.trades import Trades

TICK_TOLERANCE = 1e-6
"""A trade price may sit this many ticks off the tick grid (float noise) and still be on it."""


class TradesAlignmentError(ValueError):
    """Trades that cannot be aligned to the book: the message names the trade and the problem."""


@dataclass(frozen=True)
class RowTrades:
    """Trades per book row, on one device.

    Attributes
    ----------
    first : int64 [T + 1]
        Row ``t`` holds trades ``first[t] .. first[t + 1] - 1``.
    ts : int64 [N]
        Exchange time, ns.
    tick : int64 [N]
        Price in ticks of the book's tick size.
    sz : float64 [N]
        Size, base units.
    side : int64 [N]
        +1 the buyer was the aggressor, -1 the seller was.
    """

    first: Any
    ts: Any
    tick: Any
    sz: Any
    side: Any

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def to(self, device: Device) -> RowTrades:
        """Return these arrays on ``device``."""
        if array_device(self.ts) == device:
            return self
        return RowTrades(
            *(to_device(a, device) for a in (self.first, self.ts, self.tick, self.sz, self.side))
        )


def _where(trades: Trades, index: int) -> str:
    ident = trades.trade_id[index]
    ident = ident.item() if isinstance(ident, np.generic) else ident
    return f"trade {index} (id {ident!r}, ts {int(trades.ts[index])})"


def check_trades(trades: Trades, tick: float) -> np.ndarray:
    """Check ``trades`` and return their prices in ticks (int64, host).

    Raises
    ------
    TradesAlignmentError
        Naming the first trade whose time goes back, whose price is not finite, positive and on
        the tick grid, whose size is not finite and positive, or whose side is not +1 or -1.
    """
    ts, px, sz, side = (np.asarray(a) for a in (trades.ts, trades.px, trades.sz, trades.side))
    back = np.flatnonzero(np.diff(ts) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise TradesAlignmentError(
            f"{_where(trades, i)}: time goes back from {int(ts[i - 1])}; the trades store must "
            "be in exchange-time order"
        )
    with np.errstate(invalid="ignore"):
        units = px / tick
        ticks = np.rint(units)
        bad_px = ~np.isfinite(px) | (px <= 0) | (np.abs(units - ticks) > TICK_TOLERANCE)
        bad_sz = ~np.isfinite(sz) | (sz <= 0)
    bad_side = (side != 1) & (side != -1)
    for mask, what in (
        (bad_px, lambda i: f"price {float(px[i])!r} is not a positive multiple of tick {tick!r}"),
        (bad_sz, lambda i: f"size {float(sz[i])!r} is not a positive number"),
        (bad_side, lambda i: f"side {int(side[i])} is not +1 (buyer aggressor) or -1 (seller)"),
    ):
        hits = np.flatnonzero(mask)
        if hits.size:
            i = int(hits[0])
            raise TradesAlignmentError(f"{_where(trades, i)}: {what(i)}")
    return ticks.astype(np.int64)


def align_trades(book_ts: Any, trades: Trades, tick: float) -> RowTrades:
    """Align ``trades`` to the rows of a book whose times are ``book_ts`` (see the module doc).

    Parameters
    ----------
    book_ts : int64 array [T]
        The book's exchange times, ns, non-decreasing (NumPy or CuPy; the result lives there).
    trades : Trades
        The trades store's rows, in exchange-time order.
    tick : float
        The book's tick size, quote currency.

    Returns
    -------
    RowTrades
    """
    ticks = check_trades(trades, tick)
    device = array_device(book_ts)
    xp = array_namespace(book_ts)
    ts = to_device(np.ascontiguousarray(trades.ts, dtype=np.int64), device)
    ends = xp.searchsorted(ts, book_ts, side="right").astype(xp.int64)
    first = xp.concatenate((xp.zeros(1, xp.int64), ends))
    return RowTrades(
        first=first,
        ts=ts,
        tick=to_device(ticks, device),
        sz=to_device(np.ascontiguousarray(trades.sz, dtype=np.float64), device),
        side=to_device(np.asarray(trades.side, dtype=np.int64), device),
    )
