"""The exchange side of the quote kernel: orders arriving, trades and book changes meeting quotes.

Single-source device functions composed by :mod:`l2gpu.kernels.quote` (steps 1 to 3 of
``docs/quote.md``):

- ``orders_and_trades(...)``: the orders due at a row and the row's trades, in time order (an
  order arriving at ``a`` comes after the trades with ``ts <= a``). An order reaches the
  exchange against the book as it stood at ``a``: a cancel, then a post-only quote (rejected
  when it would cross) whose queue starts at the displayed size; the market order of a risk exit
  walks that book's depth (``market_fill``). Trades fill the quotes they meet (through the
  price, or at it beyond the size ahead, fully or partially) and shorten their queues;
- ``arrive_one(side, ...)``: the oldest order in flight on a side reaches the exchange (also at
  once, for zero latency);
- ``book_change(side, ...)``: the opposite best reaching a quote fills it; otherwise its queue
  follows the displayed size (:mod:`l2gpu.kernels.quote_queue`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from l2gpu.kernels.execution import make_taker_fill_ops
from l2gpu.kernels.quote_layout import (
    F_ADVERSE_SUM,
    F_MAKER_VOLUME,
    F_MARKET_QTY,
    F_PLACED_VOLUME,
    F_SIDE,
    I_ADVERSE_N,
    I_FILLS,
    I_MARKET,
    I_MARKET_TARGET,
    I_REJECTED,
    I_SIDE,
    MARKET_NONE,
    MARKET_TRAVELLING,
    MARKET_UNSEEN,
    MAX_IN_FLIGHT,
    NO_PRICE,
    P_ENTRY_LATENCY_IS_TIME,
    P_MAKER_FEE_BPS,
    P_PARTIAL,
    P_QUEUE,
    P_QUEUE_POWER,
    P_SIZE,
    P_TAKER_FEE_BPS,
    SF_AHEAD,
    SF_MET,
    SF_REMAINING,
    SI_ARRIVAL_TS,
    SI_FRESH,
    SI_ID,
    SI_LATEST_ID,
    SI_LATEST_LIVE,
    SI_PX,
    SI_RESTING,
    SI_RING,
    SI_RING_COUNT,
    SI_RING_HEAD,
    SIDE_F_WIDTH,
    SIDE_I_WIDTH,
    UNSEEN_COMPLETES,
    UNSEEN_MARKET,
    UNSEEN_PARTIAL,
)
from l2gpu.kernels.quote_orders import QTY_EPS, make_order_ops
from l2gpu.kernels.quote_queue import make_queue_ops


def make_exchange_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile with ``jit``; return ``(arrive_one, market_fill, orders_and_trades, book_change)``.

    ``market_fill`` is also what a zero-latency risk exit fills with; ``mul`` is the target's
    unfused product (see :func:`l2gpu.kernels.quote.make_quote_ops`).
    """
    taker_fill = make_taker_fill_ops(jit, mul)
    _, best_tick, displayed, fallen = make_queue_ops(jit, mul)
    fill, push_unseen, _, _, due = make_order_ops(jit, mul)

    @jit
    def maker_fill(side, qty, fill_ts, t, future_mid, tick_num, tick_den, par, fs, ist, rf, ri):
        """Fill ``qty`` of the quote resting on ``side`` at its price."""
        s = I_SIDE + side * SIDE_I_WIDTH
        f = F_SIDE + side * SIDE_F_WIDTH
        price = (ist[s + SI_PX] * tick_num) / tick_den
        sign = 1.0 if side == 0 else -1.0
        remaining = fs[f + SF_REMAINING] - qty
        complete = remaining < QTY_EPS
        fs[f + SF_REMAINING] = remaining
        oid = ist[s + SI_ID]
        fill(sign * qty, price, par[P_MAKER_FEE_BPS], fill_ts, t, 1, oid, fs, ist, rf, ri)
        kind = UNSEEN_COMPLETES + side if complete else UNSEEN_PARTIAL
        push_unseen(sign * qty, price, fill_ts, t, kind, oid, par, fs, ist)
        ist[I_FILLS] += 1
        fs[F_MAKER_VOLUME] += qty
        if not math.isnan(future_mid):
            fs[F_ADVERSE_SUM] += sign * (price - future_mid) / price
            ist[I_ADVERSE_N] += 1
        if complete:
            ist[s + SI_RESTING] = 0

    @jit
    def market_fill(col, fill_ts, t, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rf, ri):
        """Fill the market order against book column ``col``; dropped on an empty side."""
        qty = fs[F_MARKET_QTY]
        vwap, _ = taker_fill(qty, abs(qty), col, bid_px, bid_sz, ask_px, ask_sz)
        if math.isnan(vwap):
            ist[I_MARKET] = MARKET_NONE
            return
        fill(qty, vwap, par[P_TAKER_FEE_BPS], fill_ts, t, 0, 0, fs, ist, rf, ri)
        push_unseen(qty, vwap, fill_ts, t, UNSEEN_MARKET, 0, par, fs, ist)
        ist[I_MARKET] = MARKET_UNSEEN

    @jit
    def place(
        side, price, oid, arrival, col, fresh, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist
    ):
        """Handle an order at the exchange: cancel what rests, then rest its quote (if any)."""
        s = I_SIDE + side * SIDE_I_WIDTH
        f = F_SIDE + side * SIDE_F_WIDTH
        ist[s + SI_RESTING] = 0
        if price == NO_PRICE:
            return
        if side == 0:
            opposite = best_tick(ask_px, col, tick)
            crosses = opposite != NO_PRICE and price >= opposite
        else:
            opposite = best_tick(bid_px, col, tick)
            crosses = opposite != NO_PRICE and price <= opposite
        if crosses:
            ist[I_REJECTED] += 1
            if ist[s + SI_LATEST_ID] == oid:
                ist[s + SI_LATEST_LIVE] = 0
            return
        if side == 0:
            ahead = displayed(bid_px, bid_sz, col, price, tick, 1)
        else:
            ahead = displayed(ask_px, ask_sz, col, price, tick, -1)
        ist[s + SI_RESTING] = 1
        ist[s + SI_PX] = price
        ist[s + SI_ARRIVAL_TS] = arrival
        ist[s + SI_FRESH] = fresh
        ist[s + SI_ID] = oid
        fs[f + SF_REMAINING] = par[P_SIZE]
        fs[f + SF_AHEAD] = ahead
        fs[f + SF_MET] = 0.0
        fs[F_PLACED_VOLUME] += par[P_SIZE]

    @jit
    def arrive_one(side, t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist):
        """Handle the oldest message in flight on ``side``, due at row ``t``."""
        s = I_SIDE + side * SIDE_I_WIDTH
        slot = s + SI_RING + 2 * ist[s + SI_RING_HEAD]
        target = ist[slot]
        oid = ist[s + SI_LATEST_ID] - ist[s + SI_RING_COUNT] + 1
        ist[s + SI_RING_HEAD] = (ist[s + SI_RING_HEAD] + 1) % MAX_IN_FLIGHT
        ist[s + SI_RING_COUNT] -= 1
        if par[P_ENTRY_LATENCY_IS_TIME] > 0.0 and ts_t > target:
            col, fresh, arrival = t - 1 - offset, 0, target
        else:
            col, fresh, arrival = t - offset, 1, ts_t
        place(
            side,
            ist[slot + 1],
            oid,
            arrival,
            col,
            fresh,
            bid_px,
            bid_sz,
            ask_px,
            ask_sz,
            tick,
            par,
            fs,
            ist,
        )

    @jit
    def next_arrival(t, ts_t, par, ist):
        """Return (which, time) of the earliest order due at row ``t``: 0 bid, 1 ask, 2 market.

        ``which`` is -1 when none is due; at equal times the bid comes first, then the ask.
        """
        is_time = par[P_ENTRY_LATENCY_IS_TIME]
        which = -1
        when = 0
        for side in range(2):
            s = I_SIDE + side * SIDE_I_WIDTH
            if ist[s + SI_RING_COUNT] > 0:
                target = ist[s + SI_RING + 2 * ist[s + SI_RING_HEAD]]
                if due(target, is_time, t, ts_t):
                    arrival = target if is_time > 0.0 else ts_t
                    if which < 0 or arrival < when:
                        which, when = side, arrival
        if ist[I_MARKET] == MARKET_TRAVELLING and due(ist[I_MARKET_TARGET], is_time, t, ts_t):
            arrival = ist[I_MARKET_TARGET] if is_time > 0.0 else ts_t
            if which < 0 or arrival < when:
                which, when = 2, arrival
        return which, when

    @jit
    def trades(
        t,
        lo,
        hi,
        trade_ts,
        trade_tick,
        trade_sz,
        trade_side,
        trade_future_mid,
        tick_num,
        tick_den,
        par,
        fs,
        ist,
        rf,
        ri,
    ):
        """Step 2: the row's trades, one by one, against the quotes resting before them."""
        for k in range(lo, hi):
            side = 0 if trade_side[k] < 0 else 1
            s = I_SIDE + side * SIDE_I_WIDTH
            f = F_SIDE + side * SIDE_F_WIDTH
            if ist[s + SI_RESTING] == 0 or trade_ts[k] <= ist[s + SI_ARRIVAL_TS]:
                continue
            p = ist[s + SI_PX]
            through = trade_tick[k] < p if side == 0 else trade_tick[k] > p
            if through:
                maker_fill(
                    side,
                    fs[f + SF_REMAINING],
                    trade_ts[k],
                    t,
                    trade_future_mid[k],
                    tick_num,
                    tick_den,
                    par,
                    fs,
                    ist,
                    rf,
                    ri,
                )
            elif trade_tick[k] == p:
                v = trade_sz[k]
                fs[f + SF_MET] += v
                ahead = fs[f + SF_AHEAD]
                if v > ahead:
                    qty = fs[f + SF_REMAINING]
                    if par[P_PARTIAL] > 0.0:
                        qty = min(qty, v - ahead)
                    maker_fill(
                        side,
                        qty,
                        trade_ts[k],
                        t,
                        trade_future_mid[k],
                        tick_num,
                        tick_den,
                        par,
                        fs,
                        ist,
                        rf,
                        ri,
                    )
                fs[f + SF_AHEAD] = max(ahead - v, 0.0)

    @jit
    def book_change(
        side,
        t,
        offset,
        ts_t,
        future_mid,
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        tick,
        tick_num,
        tick_den,
        par,
        fs,
        ist,
        rf,
        ri,
    ):
        """Step 3 for one side: a fill by the opposite best, else the queue follows the book."""
        s = I_SIDE + side * SIDE_I_WIDTH
        f = F_SIDE + side * SIDE_F_WIDTH
        if ist[s + SI_RESTING] == 0:
            return
        col = t - offset
        p = ist[s + SI_PX]
        if side == 0:
            opposite = best_tick(ask_px, col, tick)
            crossed = opposite != NO_PRICE and opposite <= p
            now = displayed(bid_px, bid_sz, col, p, tick, 1)
        else:
            opposite = best_tick(bid_px, col, tick)
            crossed = opposite != NO_PRICE and opposite >= p
            now = displayed(ask_px, ask_sz, col, p, tick, -1)
        if crossed:
            maker_fill(
                side,
                fs[f + SF_REMAINING],
                ts_t,
                t,
                future_mid,
                tick_num,
                tick_den,
                par,
                fs,
                ist,
                rf,
                ri,
            )
            return
        ahead = fs[f + SF_AHEAD]
        if math.isinf(ahead):
            ahead = now
        elif ist[s + SI_FRESH] == 0:
            if side == 0:
                before = displayed(bid_px, bid_sz, col - 1, p, tick, 1)
            else:
                before = displayed(ask_px, ask_sz, col - 1, p, tick, -1)
            ahead = fallen(
                int(par[P_QUEUE]), par[P_QUEUE_POWER], ahead, before, fs[f + SF_MET], now
            )
        fs[f + SF_AHEAD] = ahead
        fs[f + SF_MET] = 0.0
        ist[s + SI_FRESH] = 0

    @jit
    def orders_and_trades(
        t,
        offset,
        ts_t,
        lo,
        hi,
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        tick,
        tick_num,
        tick_den,
        trade_ts,
        trade_tick,
        trade_sz,
        trade_side,
        trade_future_mid,
        par,
        fs,
        ist,
        rf,
        ri,
    ):
        """Run steps 1 and 2 in time order: each arrival after the row's trades up to its time."""
        k = lo
        while True:
            which, when = next_arrival(t, ts_t, par, ist)
            stop = k
            while stop < hi and (which < 0 or trade_ts[stop] <= when):
                stop += 1
            trades(
                t,
                k,
                stop,
                trade_ts,
                trade_tick,
                trade_sz,
                trade_side,
                trade_future_mid,
                tick_num,
                tick_den,
                par,
                fs,
                ist,
                rf,
                ri,
            )
            k = stop
            if which < 0:
                return
            if which < 2:
                arrive_one(
                    which, t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist
                )
            else:
                col = t - offset if when == ts_t else t - 1 - offset
                market_fill(col, when, t, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rf, ri)

    return arrive_one, market_fill, orders_and_trades, book_change
