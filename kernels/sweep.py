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
position stays open (``F_POSITION`` is left as it is, and the results report it).

State lives in the rows of ``fstate`` and ``istate`` (layout in :mod:`l2gpu.kernels.sweep_layout`)
between chunks of rows. Within a chunk a driver keeps it in locals: :func:`load` reads a config's
parameters once (as the tuple ``q``) and its hot state (what every row reads or writes: cash,
position, the pending order, the drawdown and bucket marks, the clock) as the tuple ``h``;
``step`` takes and returns ``h``, row after row; :func:`store` writes ``h`` back at the end of
the chunk. Fields only fills and bucket closes touch (fees, turnover, round-trip statistics,
the Sharpe accumulators) stay in the arrays, written where they change. Registers can then hold
the hot state: the compiler need not prove that stores to the state rows do not alias.

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
    """Compile the state machine with ``jit``; return its pieces a driver or a skip composes.

    They are ``(load, step, store, finish, mark, add_buckets)``.

    ``mul`` is the target's unfused product (``mul_cpu`` or ``mul_cuda``). The execution models
    it composes (:mod:`l2gpu.kernels.execution`): the taker fill, one latency (decision to
    fill), the taker fee.
    """
    taker_fill = make_taker_fill_ops(jit, mul)
    fee_of = make_fee_ops(jit, mul)
    due_at, is_due = make_latency_ops(jit)

    @jit
    def load(par, fs, ist):
        """``(q, h)``: the parameters and the hot state of one config (see the module doc)."""
        q = (
            par[P_ENTRY],
            par[P_EXIT],
            par[P_DIRECTION] >= 0.0,  # longs allowed
            par[P_DIRECTION] <= 0.0,  # shorts allowed
            par[P_MAX_HOLD],
            par[P_MAX_HOLD_IS_TIME] > 0.0,
            mul(par[P_STOP_BPS], 1e-4),
            mul(par[P_TAKE_PROFIT_BPS], 1e-4),
            par[P_SIZE],
            par[P_LATENCY],
            1 if par[P_LATENCY_IS_TIME] > 0.0 else 0,
            par[P_FEE_BPS],
            int(par[P_COOLDOWN]),
        )
        h = (
            fs[F_CASH],
            fs[F_POSITION],
            fs[F_ENTRY_PX],
            fs[F_PEAK],
            fs[F_MAX_DRAWDOWN],
            fs[F_BUCKET_START_EQUITY],
            fs[F_LAST_EQUITY],
            fs[F_EXPOSURE_NS],
            ist[I_PENDING],
            ist[I_PENDING_SIDE],
            ist[I_TARGET],
            ist[I_TARGET_IS_TIME],
            ist[I_ENTRY_ROW],
            ist[I_ENTRY_TS],
            ist[I_NEXT_ENTRY_ROW],
            ist[I_BUCKET],
            ist[I_LAST_TS],
            ist[I_STARTED],
            ist[I_DECISION_ROW],
        )
        return q, h

    @jit
    def store(h, fs, ist):
        """Write the hot state ``h`` back into the config's state rows."""
        fs[F_CASH], fs[F_POSITION], fs[F_ENTRY_PX], fs[F_PEAK] = h[0], h[1], h[2], h[3]
        fs[F_MAX_DRAWDOWN], fs[F_BUCKET_START_EQUITY], fs[F_LAST_EQUITY] = h[4], h[5], h[6]
        fs[F_EXPOSURE_NS] = h[7]
        ist[I_PENDING], ist[I_PENDING_SIDE], ist[I_TARGET], ist[I_TARGET_IS_TIME] = h[8:12]
        ist[I_ENTRY_ROW], ist[I_ENTRY_TS], ist[I_NEXT_ENTRY_ROW], ist[I_BUCKET] = h[12:16]
        ist[I_LAST_TS], ist[I_STARTED], ist[I_DECISION_ROW] = h[16], h[17], h[18]

    @jit
    def add_buckets(fs, ist, index, change, zeros, buckets):
        """Welford update with bucket ``index``'s ``change``, then ``zeros`` empty buckets.

        The change is also written to ``buckets[index]`` unless ``buckets`` is empty.
        """
        if buckets.shape[0] > 0:
            buckets[index] = change
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
    def mark(bucket_t, equity, peak, max_dd, start_eq, last_eq, bucket, fs, ist, buckets):
        """Mark ``equity`` at a row of bucket ``bucket_t``: drawdown and the Sharpe buckets.

        Returns the new ``(peak, max_dd, start_eq, last_eq, bucket)``.
        """
        if equity > peak:
            peak = equity
        drawdown = peak - equity
        if drawdown > max_dd:
            max_dd = drawdown
        if bucket_t != bucket:
            add_buckets(fs, ist, bucket, last_eq - start_eq, bucket_t - bucket - 1, buckets)
            start_eq = last_eq
            bucket = bucket_t
        return peak, max_dd, start_eq, equity, bucket

    @jit
    def fill(
        t,
        col,
        ts_t,
        kind,
        side,
        decision,
        q,
        acct,
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        fs,
        ist,
        rec_f,
        rec_i,
    ):
        """Fill the pending order at row ``t`` (book column ``col``).

        ``acct`` is ``(cash, position, entry_px, entry_row, entry_ts, next_entry)``; returns it
        updated, or unchanged when that side of the book is empty (nothing fills).
        """
        cash, position, entry_px, entry_row, entry_ts, next_entry = acct
        qty = q[8]
        vwap, exhausted = taker_fill(side, qty, col, bid_px, bid_sz, ask_px, ask_sz)
        if math.isnan(vwap):
            return acct
        notional = mul(vwap, qty)
        fee = fee_of(notional, q[11])
        cash -= mul(float(side), notional) + fee
        fs[F_FEES] += fee
        fs[F_TURNOVER] += notional
        if exhausted:
            ist[I_DEPTH_EXHAUSTED] += 1
        # Record buffers hold the round trips the sweep counted: a position still open at the
        # end (its exit never filled) has no row to write its entry into.
        k = ist[I_TRADES]
        recording = rec_f.shape[0] > k
        if kind == PENDING_ENTRY:
            fs[F_ENTRY_FEE] = fee
            if recording:
                rec_f[k, R_SIZE] = side * qty
                rec_f[k, R_ENTRY_PX] = vwap
                rec_f[k, R_ENTRY_FEE] = fee
                rec_i[k, R_ENTRY_ROW] = t
                rec_i[k, R_ENTRY_TS] = ts_t
                rec_i[k, R_ENTRY_DECISION_ROW] = decision
            return cash, side * qty, vwap, t, ts_t, next_entry
        gross = mul(position, vwap - entry_px)
        net = gross - fs[F_ENTRY_FEE] - fee
        fs[F_GROSS] += gross
        if net > 0.0:
            ist[I_WINS] += 1
            fs[F_SUM_WIN] += net
        elif net < 0.0:
            fs[F_SUM_LOSS] -= net
        fs[F_HOLD_NS] += ts_t - entry_ts
        if recording:
            rec_f[k, R_EXIT_PX] = vwap
            rec_f[k, R_EXIT_FEE] = fee
            rec_f[k, R_NET] = net
            rec_i[k, R_EXIT_ROW] = t
            rec_i[k, R_EXIT_TS] = ts_t
            rec_i[k, R_EXIT_DECISION_ROW] = decision
        ist[I_TRADES] = k + 1
        return cash, 0.0, entry_px, entry_row, entry_ts, t + 1 + q[12]

    @jit
    def leaves(t, ts_t, mid_t, x, q, position, entry_px, entry_row, entry_ts):
        """Whether an exit rule fires at row ``t`` for the open ``position``."""
        if position > 0.0:
            leave = x <= q[1]
        else:
            leave = x >= -q[1]
        if q[4] >= 0.0:
            held = float(ts_t - entry_ts) if q[5] else float(t - entry_row)
            leave = leave or held >= q[4]
        stop, take = q[6], q[7]
        if position > 0.0:
            leave = leave or (stop > 0.0 and mid_t <= entry_px * (1.0 - stop))
            leave = leave or (take > 0.0 and mid_t >= entry_px * (1.0 + take))
        else:
            leave = leave or (stop > 0.0 and mid_t >= entry_px * (1.0 + stop))
            leave = leave or (take > 0.0 and mid_t <= entry_px * (1.0 - take))
        return leave

    @jit
    def step(
        t,
        offset,
        ts_t,
        mid_t,
        x,
        bucket_t,
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        q,
        h,
        fs,
        ist,
        rec_f,
        rec_i,
        buckets,
    ):
        """Advance one config by row ``t``; returns the new hot state.

        ``x`` is its signal at ``t``; the book's column ``t - offset`` is row ``t``.
        """
        cash, position, entry_px, peak, max_dd, start_eq, last_eq, exposure = h[:8]
        pending, side, target, target_is_time, entry_row, entry_ts, next_entry = h[8:15]
        bucket, last_ts, started, decision = h[15:]
        if started > 0 and position != 0.0:
            exposure += ts_t - last_ts
        if pending != PENDING_NONE and is_due(t, ts_t, target, target_is_time):
            acct = (cash, position, entry_px, entry_row, entry_ts, next_entry)
            acct = fill(
                t,
                t - offset,
                ts_t,
                pending,
                side,
                decision,
                q,
                acct,
                bid_px,
                bid_sz,
                ask_px,
                ask_sz,
                fs,
                ist,
                rec_f,
                rec_i,
            )
            cash, position, entry_px, entry_row, entry_ts, next_entry = acct
            pending = PENDING_NONE
        if pending == PENDING_NONE:
            kind, new_side = PENDING_NONE, 0
            if position == 0.0:
                if t >= next_entry:
                    if x >= q[0] and q[2]:
                        kind, new_side = PENDING_ENTRY, 1
                    elif x <= -q[0] and q[3]:
                        kind, new_side = PENDING_ENTRY, -1
            elif t > entry_row and leaves(
                t, ts_t, mid_t, x, q, position, entry_px, entry_row, entry_ts
            ):
                kind, new_side = PENDING_EXIT, -1 if position > 0.0 else 1
            if kind != PENDING_NONE:
                # Place the order decided at t; with zero latency it fills at t.
                pending, side, decision = kind, new_side, t
                if q[9] <= 0.0:
                    acct = (cash, position, entry_px, entry_row, entry_ts, next_entry)
                    acct = fill(
                        t,
                        t - offset,
                        ts_t,
                        kind,
                        side,
                        t,
                        q,
                        acct,
                        bid_px,
                        bid_sz,
                        ask_px,
                        ask_sz,
                        fs,
                        ist,
                        rec_f,
                        rec_i,
                    )
                    cash, position, entry_px, entry_row, entry_ts, next_entry = acct
                    pending = PENDING_NONE
                else:
                    target_is_time = q[10]
                    target = due_at(t, ts_t, q[9], target_is_time)
        equity = last_eq
        if not math.isnan(mid_t):
            equity = cash + mul(position, mid_t)
        marks = mark(bucket_t, equity, peak, max_dd, start_eq, last_eq, bucket, fs, ist, buckets)
        peak, max_dd, start_eq, last_eq, bucket = marks
        return (
            cash,
            position,
            entry_px,
            peak,
            max_dd,
            start_eq,
            last_eq,
            exposure,
            pending,
            side,
            target,
            target_is_time,
            entry_row,
            entry_ts,
            next_entry,
            bucket,
            ts_t,
            1,
            decision,
        )

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
        q, h = load(par, fs, ist)
        cash, position, entry_px, peak, max_dd, start_eq, last_eq = h[:7]
        side, decision = h[9], h[18]
        acct = (cash, position, entry_px, h[12], h[13], h[14])
        if position != 0.0:
            side, decision = -1 if position > 0.0 else 1, last
            # Where that side of the last row is empty, nothing fills: the position stays open.
            acct = fill(
                last,
                last - offset,
                ts_last,
                PENDING_EXIT,
                side,
                last,
                q,
                acct,
                bid_px,
                bid_sz,
                ask_px,
                ask_sz,
                fs,
                ist,
                rec_f,
                rec_i,
            )
        cash, position, entry_px = acct[:3]
        equity = cash + mul(position, mid_last)
        if math.isnan(equity):
            equity = last_eq
        if equity > peak:
            peak = equity
        if peak - equity > max_dd:
            max_dd = peak - equity
        add_buckets(fs, ist, h[15], equity - start_eq, 0, buckets)
        fs[F_CASH], fs[F_POSITION], fs[F_ENTRY_PX] = cash, position, entry_px
        fs[F_PEAK], fs[F_MAX_DRAWDOWN], fs[F_LAST_EQUITY] = peak, max_dd, equity
        ist[I_ENTRY_ROW], ist[I_ENTRY_TS], ist[I_NEXT_ENTRY_ROW] = acct[3:]
        ist[I_PENDING], ist[I_PENDING_SIDE], ist[I_DECISION_ROW] = PENDING_NONE, side, decision

    return load, step, store, finish, mark, add_buckets
