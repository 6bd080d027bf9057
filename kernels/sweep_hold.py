"""Exact event skipping of a position: it jumps to the next row where an exit rule can fire.

A config in a position with no order pending changes at a row only through its equity mark
(``cash + position * mid``) unless an exit rule fires there (``docs/semantics.md``): the
signal against ``exit``, the mid against the stop and the take-profit levels, ``max_hold``.
:func:`make_hold_ops` compiles the two pieces a driver needs, single-source like every kernel
(``docs/kernels.md``):

- ``next_exit(t, stop, h, q, ...)``: the first row ``>= t`` (``stop`` if none before it) where
  an exit rule of parameters ``q`` fires for the position of hot state ``h``: the earliest of
  the signal's first crossing of ``exit`` and the mid's first crossing of each price level
  (descents of block maxima, :mod:`l2gpu.kernels.block_maxima`), and the first row held
  ``max_hold`` (arithmetic on rows, a binary search of ``ts`` for a time hold);
- ``skip_hold(r0, r1, h, ...)``: the hot state after rows ``r0 .. r1-1`` of that position,
  exactly as the dense scan leaves it. The peak and the drawdown of the equity come from block
  summaries of the mid; each row that closes a Sharpe bucket closes it with the equity at the
  last row with a mid before it (one Welford update, as row by row); the exposure comes from
  the clock (its per-row increments telescope).

The equity of a position is a monotone function of the mid (increasing for a long), so over a
block the peak comes from the block's largest mid and the drawdown from the peak before the
block to the block's smallest mid, both exactly as the dense scan rounds them. A drawdown
inside the block (a fall of the mid after a rise in it) could set a new largest drawdown; it is
bounded from above by the block's largest fall of the mid (:func:`block_falls`) and a margin
for rounding, and where that bound passes the drawdown so far, the block is looked into (its 16
sub-blocks in turn, down to single rows). The largest drawdown is then the dense scan's, bit
for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from l2gpu.kernels.block_maxima import CHUNK_ROWS, LEVELS, SHIFT, level_blocks
from l2gpu.kernels.sweep_skip import make_resume

ROUNDING_MARGIN = float(16 * np.finfo(np.float64).eps)
"""Relative bound on the rounding of two equity marks and their difference (a few ulp, and room)."""


@numba.njit(cache=True)
def _falls_chunk(mid, mid_tree, offsets, out, chunk):
    rows = mid.shape[0]
    first, stop = level_blocks(rows, 1, chunk)
    for j in range(first, stop):  # blocks of rows
        high, low, fall, rise = -np.inf, np.inf, 0.0, 0.0
        for i in range(j << SHIFT, min(rows, (j + 1) << SHIFT)):
            m = mid[i]
            if not np.isnan(m):
                fall = max(fall, high - m)
                rise = max(rise, m - low)
                high, low = max(high, m), min(low, m)
        out[0, offsets[1] + j], out[1, offsets[1] + j] = fall, rise
    for k in range(2, LEVELS + 1):  # blocks of blocks
        below = -(-rows // (1 << (SHIFT * (k - 1))))
        first, stop = level_blocks(rows, k, chunk)
        for j in range(first, stop):
            high, low, fall, rise = -np.inf, np.inf, 0.0, 0.0
            start = offsets[k - 1] + (j << SHIFT)
            for c in range(start, offsets[k - 1] + min(below, (j + 1) << SHIFT)):
                fall = max(fall, out[0, c], high + mid_tree[1, c])
                rise = max(rise, out[1, c], mid_tree[0, c] - low)
                high, low = max(high, mid_tree[0, c]), min(low, -mid_tree[1, c])
            out[0, offsets[k] + j], out[1, offsets[k] + j] = fall, rise


@numba.njit(parallel=True, cache=True)
def _falls_into(mid, mid_tree, offsets, out):
    for chunk in numba.prange(-(-mid.shape[0] // CHUNK_ROWS)):
        _falls_chunk(mid, mid_tree, offsets, out, chunk)


def block_falls(mid: np.ndarray, mid_tree: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Return the largest fall and rise of the mid inside each block, float64 ``[2, W]``.

    ``falls[0]`` is the largest ``mid[i] - mid[j]`` and ``falls[1]`` the largest
    ``mid[j] - mid[i]`` over rows ``i <= j`` of a block with a mid (0 where there is no such
    pair), block ``j`` of level ``k`` from ``offsets[k]`` as in ``mid_tree``, the mid's block
    maxima (``[2, W]``, :func:`l2gpu.kernels.block_maxima.block_maxima`). Chunks of
    :data:`~l2gpu.kernels.block_maxima.CHUNK_ROWS` rows run in parallel.
    """
    out = np.zeros((2, mid_tree.shape[1]))
    _falls_into(np.ascontiguousarray(mid, dtype=np.float64), mid_tree, offsets, out)
    return out


@numba.njit(parallel=True, cache=True)
def _last_row_with_mid_into(mid, out):
    rows = mid.shape[0]
    chunks = -(-rows // CHUNK_ROWS)
    tails = np.full(chunks + 1, -1)  # the last row with a mid before each chunk, for now its own
    for c in numba.prange(chunks):
        last = -1
        for r in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            if not np.isnan(mid[r]):
                last = r
            out[r] = last
        tails[c + 1] = last
    for c in range(1, chunks + 1):
        tails[c] = tails[c - 1] if tails[c] < 0 else tails[c]
    for c in numba.prange(chunks):
        r = c * CHUNK_ROWS
        while r < min(rows, (c + 1) * CHUNK_ROWS) and out[r] < 0:
            out[r] = tails[c]
            r += 1


def last_row_with_mid(mid: np.ndarray) -> np.ndarray:
    """int64 ``[T]``: the last row ``<= r`` with a mid, -1 where there is none."""
    out = np.empty(mid.shape[0], np.int64)
    _last_row_with_mid_into(mid, out)
    return out


def make_hold_ops(
    jit: Callable[[Any], Any], mul: Any, add_buckets: Any, first_at_least: Any, first_listed: Any
) -> Any:
    """Compile the skipping of positions with ``jit``; return ``(next_exit, skip_hold)``.

    ``add_buckets`` is the state machine's (:func:`l2gpu.kernels.sweep.make_sweep_ops`),
    ``first_at_least`` the descent (:func:`l2gpu.kernels.block_maxima.make_descent`) and
    ``first_listed`` the search of the signal (:func:`l2gpu.kernels.candidates.make_listed_search`),
    compiled with the same ``jit`` and ``mul``.
    """
    resume = make_resume(jit)

    @jit
    def first_held(ts, lo, hi, entry_ts, max_hold_ns):
        """First row in ``lo .. hi-1`` held ``max_hold_ns`` since ``entry_ts`` (``hi`` if none).

        ``ts`` never decreases, so the rows held long enough are the tail of the range: probes
        at growing distances from ``lo`` bracket the first of them, a bisection finds it.
        """
        reach = 16
        while True:
            probe = min(lo + reach, hi)
            if probe == hi or float(ts[probe] - entry_ts) >= max_hold_ns:
                hi = probe
                break
            lo = probe + 1
            reach *= 4
        while lo < hi:
            half = (lo + hi) >> 1
            if float(ts[half] - entry_ts) >= max_hold_ns:
                hi = half
            else:
                lo = half + 1
        return lo

    @jit
    def next_exit(t, stop, h, q, signal, mid, mid_tree, offsets, ts):
        """First row ``>= t`` (``stop`` if none) where an exit rule of ``q`` fires (``h``).

        ``signal`` is ``(x, x_tree, listed)``: the signal, its block maxima and its candidate
        lists (as ``first_listed`` takes them); ``mid_tree`` is the mid's block maxima
        (``[2, W]``, the series and its negation). The comparisons are those of the state
        machine's ``leaves``, written as ``sign * series >= level``.
        """
        x, x_tree, listed = signal
        position, entry_px, entry_row, entry_ts = h[1], h[2], h[12], h[13]
        long = position > 0.0
        f = first_listed(x, 1 if long else 0, x_tree, listed, offsets, t, stop, -q[1])
        stop_frac, take_frac = q[6], q[7]
        if stop_frac > 0.0:
            if long:
                level = entry_px * (1.0 - stop_frac)
                f = first_at_least(mid, -1.0, mid_tree[1], offsets, t, f, -level)
            else:
                level = entry_px * (1.0 + stop_frac)
                f = first_at_least(mid, 1.0, mid_tree[0], offsets, t, f, level)
        if take_frac > 0.0:
            if long:
                level = entry_px * (1.0 + take_frac)
                f = first_at_least(mid, 1.0, mid_tree[0], offsets, t, f, level)
            else:
                level = entry_px * (1.0 - take_frac)
                f = first_at_least(mid, -1.0, mid_tree[1], offsets, t, f, -level)
        if q[4] >= 0.0:  # the hold last: a time hold is searched for before ``f`` only
            if q[5]:
                f = first_held(ts, t, f, entry_ts, q[4])
            elif q[4] <= float(f - entry_row):
                f = max(t, entry_row + math.ceil(q[4]))
        return f

    @jit
    def marks_over(a, b, cash, position, peak, max_dd, mid, mid_tree, falls, offsets):
        """``(peak, max_dd)`` after marking rows ``a .. b-1`` (see the module doc)."""
        long = position > 0.0
        size = abs(position)
        fall_of = falls[0] if long else falls[1]
        i = a
        while i < b:
            k = 0  # the largest block starting at i that ends by b
            while (
                k < LEVELS
                and (i & ((1 << (SHIFT * (k + 1))) - 1)) == 0
                and i + (1 << (SHIFT * (k + 1))) <= b
            ):
                k += 1
            while k > 0:
                j = offsets[k] + (i >> (SHIFT * k))
                high, low = mid_tree[0][j], -mid_tree[1][j]
                if high == -math.inf:  # no mid in the block
                    break
                fall = fall_of[j]
                if fall > 0.0:
                    scale = abs(cash) + size * max(abs(high), abs(low))
                    if size * fall + ROUNDING_MARGIN * scale > max_dd:
                        k -= 1  # a drawdown inside could be the largest: its first sub-block
                        continue
                worst = cash + mul(position, low if long else high)
                best = cash + mul(position, high if long else low)
                if peak - worst > max_dd:
                    max_dd = peak - worst
                if best > peak:
                    peak = best
                break
            if k > 0:
                i += 1 << (SHIFT * k)
                continue
            end = min(b, ((i >> SHIFT) + 1) << SHIFT)  # the rows to the next block, one by one
            for r in range(i, end):
                m = mid[r]
                if not math.isnan(m):
                    equity = cash + mul(position, m)
                    if equity > peak:  # as the dense scan's ``mark``, to the sign of a zero
                        peak = equity
                    if peak - equity > max_dd:
                        max_dd = peak - equity
            i = end
        return peak, max_dd

    @jit
    def skip_hold(r0, r1, h, rows, summaries, fs, ist, buckets):
        """Hot state ``h`` of a position with no order pending after rows ``r0 .. r1-1``.

        ``rows`` is ``(ts, mid, row_bucket, change_at)``, ``summaries`` is
        ``(mid_tree, falls, offsets, last_valid)``; no exit rule fires on these rows. The peak
        and the drawdown come from one pass over the blocks of the rows; each row that closes a
        bucket then closes it with the last equity before it, as the dense scan's ``mark``.
        """
        ts, mid, row_bucket, change_at = rows
        mid_tree, falls, offsets, last_valid = summaries
        cash, position = h[0], h[1]
        start_eq, last_eq, bucket = h[5], h[6], h[15]
        peak, max_dd = marks_over(r0, r1, cash, position, h[3], h[4], mid, mid_tree, falls, offsets)
        s = change_at[r0]
        while s < r1:
            v = last_valid[s - 1]
            if v >= r0:
                last_eq = cash + mul(position, mid[v])
            add_buckets(fs, ist, bucket, last_eq - start_eq, row_bucket[s] - bucket - 1, buckets)
            start_eq, bucket = last_eq, row_bucket[s]
            s = change_at[s + 1] if s + 1 < r1 else r1
        v = last_valid[r1 - 1]
        if v >= r0:
            last_eq = cash + mul(position, mid[v])
        marks = (peak, max_dd, start_eq, last_eq, bucket)
        return resume(h, marks, h[7] + (ts[r1 - 1] - h[16]), ts[r1 - 1])

    return next_exit, skip_hold
