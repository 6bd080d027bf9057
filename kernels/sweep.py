"""The per-config backtest state machine of the threshold family, single-source for both targets.

One config walks the rows in order; at each row ``t``:

1. a pending order whose time has come (row ``>= target`` or ``ts >= target``) fills against
   the book at ``t``, walking the depth (see :mod:`l2gpu.kernels.depth_walk`);
2. with no order pending: flat and ``t >= next entry row``, ``x >= entry`` places a buy and
   ``x <= -entry`` a sell (as ``direction`` allows); in a position, from the row after the entry
   fill, the exit rules place the closing order. An order with zero latency fills at once;
3. equity is marked to the mid (``cash + position * mid``; a missing mid keeps the last equity),
   updating the drawdown, the exposure and the per-bucket equity changes behind the Sharpe ratio.

An order meeting an empty book side does not fill (an entry is dropped; an exit is retried by
the exit rules on later rows). :func:`finish` drops an order still pending after the last row
and closes an open position against the last row; when that side of the last row is empty the
position stays open (``F_POSITION`` is left as it is, and the results report it). All state lives
in the rows of ``fstate`` and ``istate`` (layout in :mod:`l2gpu.kernels.sweep_layout`), so rows
can be fed in chunks.

Every product that feeds a sum is taken with ``mul``, the target's unfused product
(:mod:`l2gpu.kernels.unfused`): the CUDA twin then rounds money exactly as the CPU does, so
decisions, counts and money agree bit for bit between the engines (``docs/gpu.md``). The
invariants the results keep are in ``docs/sweep-invariants.md``.

The CPU drivers are in :mod:`l2gpu.kernels.sweep_cpu`; the CUDA twin is
:mod:`l2gpu.kernels.sweep_cuda`; the plain-Python reference is ``tests/reference_sweep.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from l2gpu.kernels.execution import make_fee_ops, make_latency_ops, make_taker_fill_ops
from l2gpu.kernels.sweep_layout import (
    F_BUCKET_START_EQUITY,
    F_CASH,
    F_ENTRY_FEE,
    F_ENTRY_PX,
    F_EXPOSURE_NS,
    F_FEES,
    F_GROSS,
    F_HOLD_NS,
    F_LAST_EQUITY,
    F_MAX_DRAWDOWN,
    F_PEAK,
    F_POSITION,
    F_SHARPE_M2,
    F_SHARPE_MEAN,
    F_SUM_LOSS,
    F_SUM_WIN,
    F_TURNOVER,
    I_BUCKET,
    I_BUCKETS,
    I_DECISION_ROW,
    I_DEPTH_EXHAUSTED,
    I_ENTRY_ROW,
    I_ENTRY_TS,
    I_LAST_TS,
    I_NEXT_ENTRY_ROW,
    I_PENDING,
    I_PENDING_SIDE,
    I_STARTED,
    I_TARGET,
    I_TARGET_IS_TIME,
    I_TRADES,
    I_WINS,
    P_COOLDOWN,
    P_DIRECTION,
    P_ENTRY,
    P_EXIT,
    P_FEE_BPS,
    P_LATENCY,
    P_LATENCY_IS_TIME,
    P_MAX_HOLD,
    P_MAX_HOLD_IS_TIME,
    P_SIZE,
    P_STOP_BPS,
    P_TAKE_PROFIT_BPS,
    PENDING_ENTRY,
    PENDING_EXIT,
    PENDING_NONE,
    R_ENTRY_DECISION_ROW,
    R_ENTRY_FEE,
    R_ENTRY_PX,
    R_ENTRY_ROW,
    R_ENTRY_TS,
    R_EXIT_DECISION_ROW,
    R_EXIT_FEE,
    R_EXIT_PX,
    R_EXIT_ROW,
    R_EXIT_TS,
    R_NET,
    R_SIZE,
)


def make_sweep_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile the state machine with ``jit``; return ``(step_row, finish)``.

    ``mul`` is the target's unfused product (``mul_cpu`` or ``mul_cuda``). The execution models
    it composes (:mod:`l2gpu.kernels.execution`): the taker fill, one latency (decision to
    fill), the taker fee.
    """
    taker_fill = make_taker_fill_ops(jit, mul)
    fee_of = make_fee_ops(jit, mul)
    due_at, is_due = make_latency_ops(jit)

    @jit
    def add_buckets(fs, ist, change, zeros, buckets):
        """Welford update with the closed bucket's ``change``, then ``zeros`` empty buckets.

        The change is also written to ``buckets[bucket]`` unless ``buckets`` is empty.
        """
        if buckets.shape[0] > 0:
            buckets[ist[I_BUCKET]] = change
        n = ist[I_BUCKETS] + 1
        delta = change - fs[F_SHARPE_MEAN]
        fs[F_SHARPE_MEAN] += delta / n
        fs[F_SHARPE_M2] += mul(delta, change - fs[F_SHARPE_MEAN])
        ist[I_BUCKETS] = n
        if zeros > 0:
            total = n + zeros
            delta = -fs[F_SHARPE_MEAN]
            fs[F_SHARPE_MEAN] += delta * zeros / total
            fs[F_SHARPE_M2] += delta * delta * n * zeros / total
            ist[I_BUCKETS] = total

    @jit
    def fill(t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rec_f, rec_i):
        """Fill the pending order at row ``t`` (book index ``t - offset``).

        Returns False, filling nothing, when that side of the book is empty.
        """
        side = ist[I_PENDING_SIDE]
        qty = par[P_SIZE]
        vwap, exhausted = taker_fill(side, qty, t - offset, bid_px, bid_sz, ask_px, ask_sz)
        kind = ist[I_PENDING]
        ist[I_PENDING] = PENDING_NONE
        if math.isnan(vwap):
            return False
        notional = mul(vwap, qty)
        fee = fee_of(notional, par[P_FEE_BPS])
        fs[F_CASH] -= mul(float(side), notional) + fee
        fs[F_FEES] += fee
        fs[F_TURNOVER] += notional
        if exhausted:
            ist[I_DEPTH_EXHAUSTED] += 1
        # Record buffers hold the round trips the sweep counted: a position still open at the
        # end (its exit never filled) has no row to write its entry into.
        recording = rec_f.shape[0] > ist[I_TRADES]
        if kind == PENDING_ENTRY:
            fs[F_POSITION] = side * qty
            fs[F_ENTRY_PX] = vwap
            fs[F_ENTRY_FEE] = fee
            ist[I_ENTRY_ROW] = t
            ist[I_ENTRY_TS] = ts_t
            if recording:
                k = ist[I_TRADES]
                rec_f[k, R_SIZE] = side * qty
                rec_f[k, R_ENTRY_PX] = vwap
                rec_f[k, R_ENTRY_FEE] = fee
                rec_i[k, R_ENTRY_ROW] = t
                rec_i[k, R_ENTRY_TS] = ts_t
                rec_i[k, R_ENTRY_DECISION_ROW] = ist[I_DECISION_ROW]
            return True
        position = fs[F_POSITION]
        gross = mul(position, vwap - fs[F_ENTRY_PX])
        net = gross - fs[F_ENTRY_FEE] - fee
        fs[F_GROSS] += gross
        if net > 0.0:
            ist[I_WINS] += 1
            fs[F_SUM_WIN] += net
        elif net < 0.0:
            fs[F_SUM_LOSS] -= net
        fs[F_HOLD_NS] += ts_t - ist[I_ENTRY_TS]
        if recording:
            k = ist[I_TRADES]
            rec_f[k, R_EXIT_PX] = vwap
            rec_f[k, R_EXIT_FEE] = fee
            rec_f[k, R_NET] = net
            rec_i[k, R_EXIT_ROW] = t
            rec_i[k, R_EXIT_TS] = ts_t
            rec_i[k, R_EXIT_DECISION_ROW] = ist[I_DECISION_ROW]
        ist[I_TRADES] += 1
        fs[F_POSITION] = 0.0
        ist[I_NEXT_ENTRY_ROW] = t + 1 + int(par[P_COOLDOWN])
        return True

    @jit
    def place(
        t, offset, ts_t, kind, side, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rec_f, rec_i
    ):
        """Place an order decided at row ``t``; with zero latency it fills at ``t``."""
        ist[I_PENDING] = kind
        ist[I_DECISION_ROW] = t
        ist[I_PENDING_SIDE] = side
        latency = par[P_LATENCY]
        if latency <= 0.0:
            fill(t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rec_f, rec_i)
        else:
            is_time = 1 if par[P_LATENCY_IS_TIME] > 0.0 else 0
            ist[I_TARGET] = due_at(t, ts_t, latency, is_time)
            ist[I_TARGET_IS_TIME] = is_time

    @jit
    def mark(bucket, equity, fs, ist, buckets):
        """Mark equity at a row: drawdown and the per-bucket changes behind the Sharpe ratio."""
        if equity > fs[F_PEAK]:
            fs[F_PEAK] = equity
        drawdown = fs[F_PEAK] - equity
        if drawdown > fs[F_MAX_DRAWDOWN]:
            fs[F_MAX_DRAWDOWN] = drawdown
        if bucket != ist[I_BUCKET]:
            add_buckets(
                fs,
                ist,
                fs[F_LAST_EQUITY] - fs[F_BUCKET_START_EQUITY],
                bucket - ist[I_BUCKET] - 1,
                buckets,
            )
            fs[F_BUCKET_START_EQUITY] = fs[F_LAST_EQUITY]
            ist[I_BUCKET] = bucket
        fs[F_LAST_EQUITY] = equity

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
        bucket_t,
        par,
        fs,
        ist,
        rec_f,
        rec_i,
        buckets,
    ):
        """Advance one config by row ``t`` (``x`` is its signal at ``t``)."""
        if ist[I_STARTED] > 0 and fs[F_POSITION] != 0.0:
            fs[F_EXPOSURE_NS] += ts_t - ist[I_LAST_TS]
        ist[I_LAST_TS] = ts_t
        ist[I_STARTED] = 1
        if ist[I_PENDING] != PENDING_NONE and is_due(t, ts_t, ist[I_TARGET], ist[I_TARGET_IS_TIME]):
            fill(t, offset, ts_t, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rec_f, rec_i)
        if ist[I_PENDING] == PENDING_NONE:
            position = fs[F_POSITION]
            if position == 0.0:
                if t >= ist[I_NEXT_ENTRY_ROW]:
                    direction = par[P_DIRECTION]
                    side = 0
                    if x >= par[P_ENTRY] and direction >= 0.0:
                        side = 1
                    elif x <= -par[P_ENTRY] and direction <= 0.0:
                        side = -1
                    if side != 0:
                        place(
                            t,
                            offset,
                            ts_t,
                            PENDING_ENTRY,
                            side,
                            bid_px,
                            bid_sz,
                            ask_px,
                            ask_sz,
                            par,
                            fs,
                            ist,
                            rec_f,
                            rec_i,
                        )
            elif t > ist[I_ENTRY_ROW]:
                entry_px = fs[F_ENTRY_PX]
                if position > 0.0:
                    leave = x <= par[P_EXIT]
                else:
                    leave = x >= -par[P_EXIT]
                if par[P_MAX_HOLD] >= 0.0:
                    if par[P_MAX_HOLD_IS_TIME] > 0.0:
                        held = float(ts_t - ist[I_ENTRY_TS])
                    else:
                        held = float(t - ist[I_ENTRY_ROW])
                    leave = leave or held >= par[P_MAX_HOLD]
                stop = mul(par[P_STOP_BPS], 1e-4)
                take = mul(par[P_TAKE_PROFIT_BPS], 1e-4)
                if position > 0.0:
                    leave = leave or (stop > 0.0 and mid_t <= entry_px * (1.0 - stop))
                    leave = leave or (take > 0.0 and mid_t >= entry_px * (1.0 + take))
                else:
                    leave = leave or (stop > 0.0 and mid_t >= entry_px * (1.0 + stop))
                    leave = leave or (take > 0.0 and mid_t <= entry_px * (1.0 - take))
                if leave:
                    side = -1 if position > 0.0 else 1
                    place(
                        t,
                        offset,
                        ts_t,
                        PENDING_EXIT,
                        side,
                        bid_px,
                        bid_sz,
                        ask_px,
                        ask_sz,
                        par,
                        fs,
                        ist,
                        rec_f,
                        rec_i,
                    )
        equity = fs[F_LAST_EQUITY]
        if not math.isnan(mid_t):
            equity = fs[F_CASH] + mul(fs[F_POSITION], mid_t)
        mark(bucket_t, equity, fs, ist, buckets)

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
        rec_f,
        rec_i,
        buckets,
    ):
        """After the last row: drop a pending order, close a position, close the last bucket."""
        ist[I_PENDING] = PENDING_NONE
        position = fs[F_POSITION]
        if position != 0.0:
            ist[I_PENDING] = PENDING_EXIT
            ist[I_DECISION_ROW] = last
            ist[I_PENDING_SIDE] = -1 if position > 0.0 else 1
            # Where that side of the last row is empty, nothing fills: the position stays open.
            fill(last, offset, ts_last, bid_px, bid_sz, ask_px, ask_sz, par, fs, ist, rec_f, rec_i)
        equity = fs[F_CASH] + mul(fs[F_POSITION], mid_last)
        if math.isnan(equity):
            equity = fs[F_LAST_EQUITY]
        if equity > fs[F_PEAK]:
            fs[F_PEAK] = equity
        if fs[F_PEAK] - equity > fs[F_MAX_DRAWDOWN]:
            fs[F_MAX_DRAWDOWN] = fs[F_PEAK] - equity
        add_buckets(fs, ist, equity - fs[F_BUCKET_START_EQUITY], 0, buckets)
        fs[F_LAST_EQUITY] = equity

    return step_row, finish
