"""The per-config state machine of the quote family, single-source (``docs/quote.md``).

One config walks the rows in order; at each row ``t`` (steps as in ``docs/quote.md``):

1-2. orders whose arrival time has come and the row's trades, in time order: an order reaches
   the exchange after the trades up to its arrival, against the book as it stood then (cancels,
   post-only quotes: a crossing one is rejected; the market order of a risk exit); trades fill
   the resting quotes they meet (through the price, or at it beyond the size ahead);
3. the book change: a quote the opposite best reaches fills; otherwise the unexplained fall of
   the displayed size moves it up its queue (``l2gpu.kernels.quote_queue``);
4. (fills change cash and position at once; the strategy sees them ``response_latency`` later)
5. risk exits on the seen position: a stop or ``max_hold`` cancels both quotes and sends a market
   order, until the seen position is flat; then ``cooldown`` rows without quoting;
6. the decision, on its clock: bid and ask around the skewed centre, sent where they changed;
7. equity is marked to the mid (drawdown, per-bucket changes for the Sharpe ratio).

``finish`` drops every quote after the last row and closes the position against it. All state
lives in ``fstate``/``istate`` rows (:mod:`l2gpu.kernels.quote_layout`), so rows can be fed in
chunks. Book arrays are indexed ``t - offset``; rows ``t`` and ``t - 1`` must be in them.

The CPU drivers are in :mod:`l2gpu.kernels.quote_cpu`, the CUDA twin in
:mod:`l2gpu.kernels.quote_cuda`, the plain-Python reference in ``tests/reference_quote.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from l2gpu.kernels.execution import make_taker_fill_ops
from l2gpu.kernels.quote_exchange import make_exchange_ops
from l2gpu.kernels.quote_layout import (
    F_BUCKET_START_EQUITY,
    F_LAST_EQUITY,
    F_MARKET_QTY,
    F_MAX_DRAWDOWN,
    F_PEAK,
    F_POSITION,
    F_SEEN_AVG_PX,
    F_SEEN_POSITION,
    I_DECIDED,
    I_EXITING,
    I_LAST_DECISION,
    I_MARKET,
    I_MARKET_TARGET,
    I_NEXT_QUOTE_ROW,
    I_SEEN_OPEN_ROW,
    I_SEEN_OPEN_TS,
    I_SIDE,
    I_TAKER_EXITS,
    I_THROTTLED,
    MARKET_NONE,
    MARKET_TRAVELLING,
    NO_PRICE,
    P_COOLDOWN,
    P_ENTRY_LATENCY,
    P_ENTRY_LATENCY_IS_TIME,
    P_HALF_SPREAD,
    P_INV_SKEW,
    P_MAX_HOLD,
    P_MAX_HOLD_IS_TIME,
    P_MAX_POSITION,
    P_REQUOTE,
    P_REQUOTE_IS_TIME,
    P_SIZE,
    P_SKEW_BPS,
    P_STOP_BPS,
    P_TAKER_FEE_BPS,
    SI_FRESH,
    SI_LATEST_LIVE,
    SI_LATEST_PX,
    SI_RESTING,
    SI_RING_COUNT,
    SIDE_I_WIDTH,
)
from l2gpu.kernels.quote_marks import make_mark_ops
from l2gpu.kernels.quote_orders import make_order_ops
from l2gpu.kernels.quote_queue import make_queue_ops


def make_quote_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile the state machine with ``jit``; return ``(step_row, finish)``.

    ``mul`` is the target's product that is never fused into a multiply-add (every product
    that feeds a sum goes through it, so the CPU and the CUDA twin round alike).
    """
    taker_fill = make_taker_fill_ops(jit, mul)
    _, best_tick, _, _ = make_queue_ops(jit, mul)
    fill, _, see_due, send, _ = make_order_ops(jit, mul)
    arrive_one, market_fill, orders_and_trades, book_change = make_exchange_ops(jit, mul)
    equity, mark, add_buckets = make_mark_ops(jit, mul)

    @jit
    def want(side, price, t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist):
        """Send ``price`` (or a cancel, ``NO_PRICE``) where it differs from the latest order."""
        s = I_SIDE + side * SIDE_I_WIDTH
        latest = ist[s + SI_LATEST_PX] if ist[s + SI_LATEST_LIVE] > 0 else NO_PRICE
        if price == latest:
            return
        if not send(side, t, ts_t, price, par, ist):
            ist[I_THROTTLED] += 1
            return
        if par[P_ENTRY_LATENCY] <= 0.0:
            arrive_one(side, t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist)
            ist[s + SI_FRESH] = 0

    @jit
    def risk(t, offset, ts_t, mid_t, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rf, ri):
        """Step 5: stop and max_hold on the seen position; market orders until it is flat."""
        see_due(t, ts_t, par, fs, ist)
        seen = fs[F_SEEN_POSITION]
        if ist[I_EXITING] == 0 and seen != 0.0:
            stop = par[P_STOP_BPS] * 1e-4
            avg = fs[F_SEEN_AVG_PX]
            hit = False
            if stop > 0.0 and not math.isnan(mid_t):
                if seen > 0.0:
                    hit = mid_t <= avg * (1.0 - stop)
                else:
                    hit = mid_t >= avg * (1.0 + stop)
            if par[P_MAX_HOLD] >= 0.0:
                if par[P_MAX_HOLD_IS_TIME] > 0.0:
                    held = float(ts_t - ist[I_SEEN_OPEN_TS])
                else:
                    held = float(t - ist[I_SEEN_OPEN_ROW])
                hit = hit or held >= par[P_MAX_HOLD]
            if hit:
                ist[I_EXITING] = 1
        if ist[I_EXITING] == 0 or ist[I_MARKET] != MARKET_NONE:
            return
        if seen != 0.0:
            fs[F_MARKET_QTY] = -seen
            ist[I_TAKER_EXITS] += 1
            ist[I_MARKET] = MARKET_TRAVELLING
            latency = par[P_ENTRY_LATENCY]
            if latency > 0.0:
                if par[P_ENTRY_LATENCY_IS_TIME] > 0.0:
                    ist[I_MARKET_TARGET] = ts_t + int(latency)
                else:
                    ist[I_MARKET_TARGET] = t + int(latency)
                return
            market_fill(t - offset, ts_t, t, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rf, ri)
            see_due(t, ts_t, par, fs, ist)
        if fs[F_SEEN_POSITION] == 0.0 and ist[I_MARKET] == MARKET_NONE:
            ist[I_EXITING] = 0
            ist[I_NEXT_QUOTE_ROW] = t + int(par[P_COOLDOWN])

    @jit
    def decide(t, offset, ts_t, mid_t, x, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist):
        """Step 6: the wanted bid and ask, on the requote clock (both cancelled while exiting)."""
        if ist[I_EXITING] > 0:
            for side in range(2):
                want(
                    side,
                    NO_PRICE,
                    t,
                    offset,
                    ts_t,
                    bid_px,
                    bid_sz,
                    ask_px,
                    ask_sz,
                    tick,
                    par,
                    fs,
                    ist,
                )
            return
        if t < ist[I_NEXT_QUOTE_ROW] or math.isnan(mid_t) or math.isnan(x):
            return
        if ist[I_DECIDED] > 0:
            if par[P_REQUOTE_IS_TIME] > 0.0:
                clock = float(ts_t - ist[I_LAST_DECISION])
            else:
                clock = float(t - ist[I_LAST_DECISION])
            if clock < par[P_REQUOTE]:
                return
        ist[I_DECIDED] = 1
        ist[I_LAST_DECISION] = ts_t if par[P_REQUOTE_IS_TIME] > 0.0 else t
        size = par[P_SIZE]
        seen = fs[F_SEEN_POSITION]
        half = par[P_HALF_SPREAD]
        skewed = mul(mid_t, 1.0 + mul(par[P_SKEW_BPS] * 1e-4, x))
        centre = skewed - mul(par[P_INV_SKEW] * tick, seen) / size
        bid = int(math.floor((centre - mul(half, tick)) / tick))  # noqa: RUF046 (a float on CUDA)
        ask = int(math.ceil((centre + mul(half, tick)) / tick))  # noqa: RUF046
        best_ask = best_tick(ask_px, t - offset, tick)
        best_bid = best_tick(bid_px, t - offset, tick)
        if best_ask != NO_PRICE:
            bid = min(bid, best_ask - 1)
        if best_bid != NO_PRICE:
            ask = max(ask, best_bid + 1)
        if abs(seen + size) > par[P_MAX_POSITION]:
            bid = NO_PRICE
        if abs(seen - size) > par[P_MAX_POSITION]:
            ask = NO_PRICE
        want(0, bid, t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist)
        want(1, ask, t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist)

    @jit
    def step_row(
        t,
        offset,
        ts_t,
        mid_t,
        x,
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        tick,
        tick_num,
        tick_den,
        lo,
        hi,
        trade_ts,
        trade_tick,
        trade_sz,
        trade_side,
        trade_future_mid,
        row_future_mid,
        bucket_t,
        par,
        fs,
        ist,
        rf,
        ri,
        buckets,
    ):
        """Advance one config by row ``t``; its trades are ``lo .. hi-1`` (``x``: its signal)."""
        orders_and_trades(
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
        )
        for side in range(2):
            book_change(
                side,
                t,
                offset,
                ts_t,
                row_future_mid,
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
            )
        risk(t, offset, ts_t, mid_t, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rf, ri)
        decide(t, offset, ts_t, mid_t, x, bid_px, bid_sz, ask_px, ask_sz, tick, par, fs, ist)
        mark(bucket_t, equity(mid_t, fs), fs, ist, buckets)

    @jit
    def finish(
        last,
        offset,
        ts_last,
        mid_last,
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        par,
        fs,
        ist,
        rf,
        ri,
        buckets,
    ):
        """After the last row: drop every quote, close the position, close the last bucket."""
        for side in range(2):
            s = I_SIDE + side * SIDE_I_WIDTH
            ist[s + SI_RESTING] = 0
            ist[s + SI_RING_COUNT] = 0
        ist[I_MARKET] = MARKET_NONE
        position = fs[F_POSITION]
        if position != 0.0:
            col = last - offset
            vwap, _ = taker_fill(-position, abs(position), col, bid_px, bid_sz, ask_px, ask_sz)
            ist[I_TAKER_EXITS] += 1
            if not math.isnan(vwap):
                fill(-position, vwap, par[P_TAKER_FEE_BPS], ts_last, last, 0, 0, fs, ist, rf, ri)
        final = equity(mid_last, fs)
        if final > fs[F_PEAK]:
            fs[F_PEAK] = final
        if fs[F_PEAK] - final > fs[F_MAX_DRAWDOWN]:
            fs[F_MAX_DRAWDOWN] = fs[F_PEAK] - final
        add_buckets(fs, ist, final - fs[F_BUCKET_START_EQUITY], 0, buckets)
        fs[F_LAST_EQUITY] = final

    return step_row, finish
