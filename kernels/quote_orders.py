"""Fills, the strategy's delayed view of them, and the orders travelling to the exchange.

Single-source device functions composed by :mod:`l2gpu.kernels.quote` (``docs/quote.md``):

- ``fill(...)``: a fill of ``qty`` (signed base units) at ``price``: cash, position, fees,
  turnover and the record;
- ``push_unseen(...)``: the fill enters the queue the strategy sees ``response_latency`` later
  (when the queue is full, its oldest fill is seen at once and counted in ``seen_early``);
- ``see_due(t, ts_t, par, fs, ist)``: the strategy sees the fills whose time has come, oldest
  first (average entry price and opening time of the seen position, the end of its orders);
- ``send(side, t, ts_t, price, par, ist)``: put an order (a price in ticks, or ``NO_PRICE`` to
  cancel only) on a side's ring of messages in flight; returns False when the ring is full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from l2gpu.kernels.execution import make_fee_ops
from l2gpu.kernels.quote_layout import (
    F_CASH,
    F_FEES,
    F_MAX_ABS_POSITION,
    F_POSITION,
    F_SEEN_AVG_PX,
    F_SEEN_POSITION,
    F_TURNOVER,
    F_UNSEEN,
    I_MARKET,
    I_RECORDED,
    I_SEEN_EARLY,
    I_SEEN_OPEN_ROW,
    I_SEEN_OPEN_TS,
    I_SIDE,
    I_UNSEEN,
    I_UNSEEN_COUNT,
    I_UNSEEN_HEAD,
    MARKET_NONE,
    MAX_IN_FLIGHT,
    MAX_UNSEEN,
    NO_PRICE,
    P_ENTRY_LATENCY,
    P_ENTRY_LATENCY_IS_TIME,
    P_RESPONSE_LATENCY,
    P_RESPONSE_LATENCY_IS_TIME,
    R_FEE,
    R_MAKER,
    R_ORDER_ID,
    R_POSITION,
    R_PX,
    R_QTY,
    R_ROW,
    R_TS,
    SI_LATEST_ID,
    SI_LATEST_LIVE,
    SI_LATEST_PX,
    SI_RING,
    SI_RING_COUNT,
    SI_RING_HEAD,
    SIDE_I_WIDTH,
    UF_PX,
    UF_QTY,
    UI_ID,
    UI_KIND,
    UI_ROW,
    UI_TARGET,
    UI_TS,
    UNSEEN_COMPLETES,
    UNSEEN_F_WIDTH,
    UNSEEN_I_WIDTH,
    UNSEEN_MARKET,
    UNSEEN_PARTIAL,
)

QTY_EPS = 1e-9
"""Base units below which a position or a quote's remaining size counts as zero."""


def make_order_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile with ``jit``; return ``(fill, push_unseen, see_due, send, due)``.

    ``mul`` is the target's unfused product (see :func:`l2gpu.kernels.quote.make_quote_ops`).
    """
    fee_of = make_fee_ops(jit, mul)

    @jit
    def due(target, is_time, t, ts_t):
        if is_time > 0.0:
            return ts_t >= target
        return t >= target

    @jit
    def see_one(fs, ist):
        head = ist[I_UNSEEN_HEAD]
        fb = F_UNSEEN + head * UNSEEN_F_WIDTH
        ib = I_UNSEEN + head * UNSEEN_I_WIDTH
        qty = fs[fb + UF_QTY]
        price = fs[fb + UF_PX]
        kind = ist[ib + UI_KIND]
        position = fs[F_SEEN_POSITION]
        after = position + qty
        if abs(after) < QTY_EPS:
            after = 0.0
        if position == 0.0 or (after != 0.0 and (after > 0.0) != (position > 0.0)):
            # Opened, or flipped through flat: the fill's price and time start the position.
            fs[F_SEEN_AVG_PX] = price
            ist[I_SEEN_OPEN_TS] = ist[ib + UI_TS]
            ist[I_SEEN_OPEN_ROW] = ist[ib + UI_ROW]
        elif (qty > 0.0) == (position > 0.0):
            size = abs(position)
            total = mul(fs[F_SEEN_AVG_PX], size) + mul(price, abs(qty))
            fs[F_SEEN_AVG_PX] = total / (size + abs(qty))
        if after == 0.0:
            fs[F_SEEN_AVG_PX] = 0.0
        fs[F_SEEN_POSITION] = after
        if kind == UNSEEN_MARKET:
            ist[I_MARKET] = MARKET_NONE
        elif kind != UNSEEN_PARTIAL:
            s = I_SIDE + (kind - UNSEEN_COMPLETES) * SIDE_I_WIDTH
            if ist[s + SI_LATEST_ID] == ist[ib + UI_ID]:
                ist[s + SI_LATEST_LIVE] = 0
        ist[I_UNSEEN_HEAD] = (head + 1) % MAX_UNSEEN
        ist[I_UNSEEN_COUNT] -= 1

    @jit
    def see_due(t, ts_t, par, fs, ist):
        is_time = par[P_RESPONSE_LATENCY_IS_TIME]
        while ist[I_UNSEEN_COUNT] > 0:
            ib = I_UNSEEN + ist[I_UNSEEN_HEAD] * UNSEEN_I_WIDTH
            if not due(ist[ib + UI_TARGET], is_time, t, ts_t):
                break
            see_one(fs, ist)

    @jit
    def fill(qty, price, fee_bps, fill_ts, t, maker, order_id, fs, ist, rec_f, rec_i):
        notional = mul(abs(qty), price)
        fee = fee_of(notional, fee_bps)
        fs[F_CASH] -= mul(qty, price) + fee
        fs[F_FEES] += fee
        fs[F_TURNOVER] += notional
        position = fs[F_POSITION] + qty
        if abs(position) < QTY_EPS:
            position = 0.0
        fs[F_POSITION] = position
        if abs(position) > fs[F_MAX_ABS_POSITION]:
            fs[F_MAX_ABS_POSITION] = abs(position)
        k = ist[I_RECORDED]
        if k < rec_f.shape[0]:
            rec_f[k, R_PX] = price
            rec_f[k, R_QTY] = qty
            rec_f[k, R_FEE] = fee
            rec_f[k, R_POSITION] = position
            rec_i[k, R_ROW] = t
            rec_i[k, R_TS] = fill_ts
            rec_i[k, R_MAKER] = maker
            rec_i[k, R_ORDER_ID] = order_id
        ist[I_RECORDED] = k + 1

    @jit
    def push_unseen(qty, price, fill_ts, t, kind, order_id, par, fs, ist):
        if ist[I_UNSEEN_COUNT] == MAX_UNSEEN:
            see_one(fs, ist)
            ist[I_SEEN_EARLY] += 1
        slot = (ist[I_UNSEEN_HEAD] + ist[I_UNSEEN_COUNT]) % MAX_UNSEEN
        fb = F_UNSEEN + slot * UNSEEN_F_WIDTH
        ib = I_UNSEEN + slot * UNSEEN_I_WIDTH
        fs[fb + UF_QTY] = qty
        fs[fb + UF_PX] = price
        latency = par[P_RESPONSE_LATENCY]
        if par[P_RESPONSE_LATENCY_IS_TIME] > 0.0:
            ist[ib + UI_TARGET] = fill_ts + int(latency)
        else:
            ist[ib + UI_TARGET] = t + int(latency)
        ist[ib + UI_TS] = fill_ts
        ist[ib + UI_ROW] = t
        ist[ib + UI_KIND] = kind
        ist[ib + UI_ID] = order_id
        ist[I_UNSEEN_COUNT] += 1

    @jit
    def send(side, t, ts_t, price, par, ist):
        s = I_SIDE + side * SIDE_I_WIDTH
        count = ist[s + SI_RING_COUNT]
        if count == MAX_IN_FLIGHT:
            return False
        slot = s + SI_RING + 2 * ((ist[s + SI_RING_HEAD] + count) % MAX_IN_FLIGHT)
        latency = par[P_ENTRY_LATENCY]
        if par[P_ENTRY_LATENCY_IS_TIME] > 0.0:
            ist[slot] = ts_t + int(latency)
        else:
            ist[slot] = t + int(latency)
        ist[slot + 1] = price
        ist[s + SI_RING_COUNT] = count + 1
        ist[s + SI_LATEST_PX] = price
        ist[s + SI_LATEST_ID] += 1
        ist[s + SI_LATEST_LIVE] = 1 if price != NO_PRICE else 0
        return True

    return fill, push_unseen, see_due, send, due
