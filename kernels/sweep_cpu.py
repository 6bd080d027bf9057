"""CPU drivers of the sweep state machine (:mod:`l2gpu.kernels.sweep`): configs in parallel.

Arguments are bundled (:mod:`l2gpu.kernels.sweep_args`): ``book`` (:class:`BookArrays`),
``signals`` float64 ``[S, T]``, ``state`` (:class:`SweepState`) and ``out``
(:class:`SweepOutputs`). Config ``p`` advances ``state`` row ``p`` and writes ``out`` row ``p``.

The bundles are unpacked before the ``prange`` loop: with Numba 0.68, a view taken through a
named tuple's attribute inside a ``prange`` body and written by an inlined function lost its
writes (``tests/backtest/test_sweep.py`` would catch it). Each config's rows run in a function
of their own (``_run_config``), its hot state in locals (``docs/kernels.md``): Numba's parfor
array analysis fails on the state tuples when they are inlined into the ``prange`` body.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from l2gpu.kernels.block_maxima import make_descent
from l2gpu.kernels.candidates import make_listed_search
from l2gpu.kernels.jit import cpu_device_jit
from l2gpu.kernels.sweep import make_sweep_ops
from l2gpu.kernels.sweep_args import SKIP_FLAT, SKIP_HOLD
from l2gpu.kernels.sweep_hold import make_hold_ops
from l2gpu.kernels.sweep_ladder import WAITING, split_off, stop_fires, stop_frac
from l2gpu.kernels.sweep_layout import P_SIGNAL, PENDING_NONE
from l2gpu.kernels.sweep_skip import make_skip_ops
from l2gpu.kernels.unfused import mul_cpu

_NO_NRT: dict[str, Any] = {"_nrt": False}
"""Compile without reference counting (Numba's private option): for code that allocates nothing."""

_load_cpu, _step_cpu, _store_cpu, _finish_inline, _mark_cpu, _add_buckets_cpu = make_sweep_ops(
    cpu_device_jit, mul_cpu
)
_finish_cpu = numba.njit(cache=True, **_NO_NRT)(_finish_inline.py_func)
BLOCK_ROWS = 1 << 11
"""Rows a thread runs each of its configs over before it takes the next config."""

_first_at_least_cpu = make_descent(cpu_device_jit)
_first_listed_cpu = make_listed_search(cpu_device_jit, _first_at_least_cpu)
_next_entry_cpu, _skip_flat_cpu = make_skip_ops(
    cpu_device_jit, mul_cpu, _mark_cpu, _first_listed_cpu
)
_next_exit_cpu, _skip_hold_cpu = make_hold_ops(
    cpu_device_jit, mul_cpu, _add_buckets_cpu, _first_at_least_cpu, _first_listed_cpu
)


@numba.njit(cache=True, **_NO_NRT)
def _run_config(first, stop, pause, config, tight):
    """Advance one config from row ``first`` on, its hot state in locals; return where it stopped.

    It steps rows until ``stop``, or until the next row it would step is ``pause`` or later
    (a jump may carry it past ``pause``, never past ``stop``); it returns that next row, where
    a later call resumes it with the same results as one pass. ``config`` is ``(book, levels,
    searched, index, par, fs, ist, rec_f, rec_i, buckets)``. A ladder's leader
    (:mod:`l2gpu.kernels.sweep_ladder`) passes its tightest waiting member's stop as ``tight``,
    every other config ``None`` (a type of its own: that compilation has no ladder checks at
    all, so a config alone pays nothing for them): it stops before a row where that
    stop fires, returning the row (earlier than both ``stop`` and ``pause``), and searches its
    exits with that stop.

    Compiled without reference counting (``_nrt=False``; it allocates nothing): the state
    machine is inlined here, and counting the references to the state rows at every row made
    the scan four times slower. (Inlined into the ``prange`` body instead, the state tuples
    fail Numba's parfor array analysis.) ``index[0]`` says what the config skips (exactly):
    with ``SKIP_FLAT``, flat with no order pending, it jumps to the next row where its entry
    can fire (:mod:`l2gpu.kernels.sweep_skip`; ``searched`` is ``(signal, tree, listed)``: its
    signal, the signal's block maxima and its candidate lists, :mod:`l2gpu.kernels.candidates`);
    with ``SKIP_HOLD``, in a position with no order pending, to the next row where an exit rule can
    fire (:mod:`l2gpu.kernels.sweep_hold`). Rows in between are marked from summaries.
    """
    book, levels, searched, index, par, fs, ist, rec_f, rec_i, buckets = config
    ts, mid, row_bucket = book
    bid_px, bid_sz, ask_px, ask_sz = levels
    skip, offsets, change_at, valid_at, mid_tree, falls, last_valid = index
    rows = (ts, mid, row_bucket, change_at)
    summaries = (mid_tree, falls, offsets, last_valid)
    signal, tree, listed = searched
    q, h = _load_cpu(par, fs, ist)
    searched_q = q
    if tight is not None:
        searched_q = q[:6] + (tight,) + q[7:]  # noqa: RUF005 (as Numba types it)
    t = first
    while t < min(stop, pause):
        if tight is not None and h[1] != 0.0 and h[8] == PENDING_NONE and t > h[12]:  # noqa: SIM102
            if stop_fires(h[1], h[2], mid[t], tight):
                break
        h = _step_cpu(
            t,
            0,
            ts[t],
            mid[t],
            signal[t],
            row_bucket[t],
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
        )
        t += 1
        if skip == 0 or t >= stop or h[8] != PENDING_NONE:
            continue
        if h[1] == 0.0:
            if skip & SKIP_FLAT:
                f = _next_entry_cpu(signal, tree, listed, offsets, max(t, h[14]), stop, q)
                if f > t:
                    h = _skip_flat_cpu(
                        t, f, h, ts, mid, row_bucket, change_at, valid_at, fs, ist, buckets
                    )
                    t = f
        elif skip & SKIP_HOLD:
            if tight is not None and h[2] <= 0.0:
                continue  # no ordering of the stops to jump by: the next row splits them all
            f = _next_exit_cpu(t, stop, h, searched_q, searched, mid, mid_tree, offsets, ts)
            if f > t:
                h = _skip_hold_cpu(t, f, h, rows, summaries, fs, ist, buckets)
                t = f
    _store_cpu(h, fs, ist)
    return t


@numba.njit(cache=True)
def _resume(p, first, stop, pause, rows, levels, signals, state, out, index, ladder):
    """Run config ``p`` with :func:`_run_config` from row ``first``; return where it stopped.

    ``ladder`` is ``(mine, leads, next_rows, k, split)``: the thread's configs, how many of
    them after each one are the members of the stop ladder it leads (tightest first; 0 for a
    config that leads none), their next rows (``WAITING`` while they wait), ``p``'s place in
    ``mine`` and the plan's count of split members (:mod:`l2gpu.kernels.sweep_ladder`).
    """
    params, fstate, istate = state
    rec_f, rec_i, bucket_pnl = out
    flags, tree, offsets, change_at, valid_at, mid_tree, falls, last_valid = index[:8]
    listed_rows, listed_values, listed_start, listed_base = index[8:]
    mine, leads, next_rows, k, split = ladder
    par = params[p]
    s = int(par[P_SIGNAL])
    listed = (listed_rows, listed_values, listed_start[s], listed_base[s])
    config = (
        rows,
        levels,
        (signals[s], tree[s], listed),
        (flags[p], offsets, change_at, valid_at, mid_tree, falls, last_valid),
        par,
        fstate[p],
        istate[p],
        rec_f[p],
        rec_i[p],
        bucket_pnl[p],
    )
    t = first
    while True:
        done = split[p]
        tight = stop_frac(params[mine[k + 1 + done]]) if done < leads[k] else 0.0
        if not tight > 0.0:  # none waits, or only stops that are off: they never split
            return _run_config(t, stop, pause, config, None)
        t = _run_config(t, stop, pause, config, tight)
        if t >= min(stop, pause):
            return t
        split[p] = split_off(p, mine[k + 1 : k + 1 + leads[k]], done, rows[1][t], state, out)
        next_rows[k + 1 + done : k + 1 + split[p]] = t


@numba.njit(parallel=True, cache=True)
def sweep_cpu(book, signals, state, out, first, stop, index, plan):
    """Advance every config over rows ``first .. stop-1``, configs in parallel, rows in blocks.

    ``index`` (:class:`~l2gpu.kernels.sweep_args.SkipIndex`) says what each config skips;
    ``plan`` (:class:`~l2gpu.kernels.sweep_args.ThreadPlan`) which configs each thread runs.
    A thread takes the rows block by block (:data:`BLOCK_ROWS`) and, in each block, resumes
    every config of its own that has rows to step there, so that the book's columns a config's
    fills and jumps read are still in the core's cache when the next config reads them; a jump
    past the block's end is not cut there (``docs/kernels.md``). Blocks change which rows a
    call covers, never the results. The members of a stop ladder wait until their leader splits
    them off (:mod:`l2gpu.kernels.sweep_ladder`); call
    :func:`~l2gpu.kernels.sweep_ladder.release_cpu` after the last row.
    """
    ts, mid, row_bucket, bid_px, bid_sz, ask_px, ask_sz = book
    rows = (ts, mid, row_bucket)
    levels = (bid_px, bid_sz, ask_px, ask_sz)
    order, shares, followers, split = plan
    for g in numba.prange(shares.shape[0] - 1):
        mine = order[shares[g] : shares[g + 1]]
        leads = followers[shares[g] : shares[g + 1]]
        at = np.full(mine.shape[0], first)  # the next row of each config
        for k in range(mine.shape[0]):
            at[k + 1 + split[mine[k]] : k + 1 + leads[k]] = WAITING
        for pause in range(first + BLOCK_ROWS, stop + BLOCK_ROWS, BLOCK_ROWS):
            for k in range(mine.shape[0]):
                if at[k] < pause:
                    ladder = (mine, leads, at, k, split)
                    at[k] = _resume(
                        mine[k],
                        at[k],
                        stop,
                        pause,
                        rows,
                        levels,
                        signals,
                        state,
                        out,
                        index,
                        ladder,
                    )


@numba.njit(parallel=True, cache=True)
def row_inputs_cpu(ts, best_bid, best_ask, first_ns, bucket_ns, mid, row_bucket):
    """Fill each row's ``mid`` (``(best_bid + best_ask) * 0.5``) and Sharpe bucket, in parallel.

    ``row_bucket[t] = (ts[t] - first_ns) // bucket_ns`` (floor division, ns): the values of the
    array expressions of :func:`l2gpu.backtest.sweep_inputs.book_arrays`, in one pass.
    """
    for t in numba.prange(ts.shape[0]):
        mid[t] = (best_bid[t] + best_ask[t]) * 0.5
        row_bucket[t] = (ts[t] - first_ns) // bucket_ns


@numba.njit(parallel=True, cache=True)
def finish_cpu(book, state, out):
    """Close every config after the last row (see ``finish``)."""
    ts, mid, _, bid_px, bid_sz, ask_px, ask_sz = book
    params, fstate, istate = state
    rec_f, rec_i, bucket_pnl = out
    last = ts.shape[0] - 1
    for p in numba.prange(params.shape[0]):
        _finish_cpu(
            last,
            0,
            ts[last],
            mid[last],
            bid_px,
            bid_sz,
            ask_px,
            ask_sz,
            params[p],
            fstate[p],
            istate[p],
            rec_f[p],
            rec_i[p],
            bucket_pnl[p],
        )
