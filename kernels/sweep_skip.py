"""Exact event skipping for the sweep state machine: a flat config jumps to its next entry.

A config that is flat with no order pending changes nothing at a row unless its entry can fire
there (``x >= entry`` for a long, ``x <= -entry`` for a short, from its next entry row on), the
row closes a Sharpe bucket, or the row's mid turns the equity mark into cash (the first row with
a mid). :func:`make_skip_ops` compiles the two pieces a driver needs, single-source like every
kernel (``docs/kernels.md``):

- ``next_entry(x, tree, offsets, a, stop, q)``: the first row ``>= a`` (``stop`` if none before
  it) where the entry of parameters ``q`` fires on signal ``x``. It descends the signal's block
  maxima (:func:`block_maxima`: blocks of 16, 256, 4,096 and 65,536 rows, of ``x`` and of
  ``-x``, NaN never counting), built once per sweep and shared by every config;
- ``skip_flat(r0, r1, h, ...)``: the hot state after rows ``r0 .. r1-1`` of a flat, idle
  config, marking only the rows that change something: each row that closes a bucket (one
  Welford update per closed bucket, exactly as row by row) and the first row with a mid.
  Every other row would mark the same equity in the same bucket, which changes nothing.

The rows to mark come from ``change_at`` (int64 ``[T]``: the first row ``>= r`` whose bucket
differs from the row before it) and ``valid_at`` (the first row ``>= r`` with a mid), both
``T`` where there is none (:func:`row_index`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

SHIFT = 4
"""Each level's blocks are 2**SHIFT (16) blocks of the level below."""
LEVELS = 4
"""Levels of block maxima above the rows: blocks of 16, 256, 4,096 and 65,536 rows."""


def level_offsets(rows: int) -> np.ndarray:
    """int64 ``[LEVELS + 1]``: where level ``k`` (1..LEVELS) starts in a signal's block maxima."""
    offsets = np.zeros(LEVELS + 1, np.int64)
    for k in range(1, LEVELS):
        offsets[k + 1] = offsets[k] + -(-rows // (1 << (SHIFT * k)))
    return offsets


def block_maxima(signals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Block maxima of every signal and of its negation; return ``(tree, offsets)``.

    ``tree`` is float64 ``[S, 2, W]``: ``tree[s, 0]`` holds the maxima of ``x = signals[s]``,
    ``tree[s, 1]`` those of ``-x``, level ``k`` of them from ``offsets[k]`` (block ``j`` of
    level ``k`` covers rows ``j * 16**k`` up to ``(j + 1) * 16**k``; NaN counts as ``-inf``).
    """
    n_signals, rows = signals.shape
    offsets = level_offsets(rows)
    width = int(offsets[LEVELS] + -(-rows // (1 << (SHIFT * LEVELS))))
    tree = np.empty((n_signals, 2, width))
    for side, sign in enumerate((1.0, -1.0)):
        below = np.where(np.isnan(signals), -np.inf, sign * signals)
        for k in range(1, LEVELS + 1):
            n = -(-below.shape[1] // (1 << SHIFT))
            padded = np.full((n_signals, n << SHIFT), -np.inf)
            padded[:, : below.shape[1]] = below
            below = padded.reshape(n_signals, n, 1 << SHIFT).max(axis=2)
            tree[:, side, offsets[k] : offsets[k] + n] = below
    return tree, offsets


def row_index(mid: np.ndarray, row_bucket: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(change_at, valid_at)`` of the rows (see the module doc), int64 ``[T]`` each."""
    rows = mid.shape[0]
    changes = np.flatnonzero(np.diff(row_bucket) != 0) + 1
    valid = np.flatnonzero(~np.isnan(mid))
    at = np.arange(rows)
    change_at = np.append(changes, rows)[np.searchsorted(changes, at)]
    valid_at = np.append(valid, rows)[np.searchsorted(valid, at)]
    return change_at.astype(np.int64), valid_at.astype(np.int64)


def make_skip_ops(jit: Callable[[Any], Any], mul: Any, mark: Any) -> Any:
    """Compile the skipping with ``jit``; return ``(next_entry, skip_flat)``.

    ``mark`` is the state machine's (:func:`l2gpu.kernels.sweep.make_sweep_ops`), compiled with
    the same ``jit`` and ``mul``.
    """

    @jit
    def first_at_least(x, sign, tree, offsets, i, stop, e):
        """Return the first row ``>= i`` with ``sign * x >= e``, ``stop`` if none before it."""
        k = 0
        while i < stop:
            while k < LEVELS and (i & ((1 << (SHIFT * (k + 1))) - 1)) == 0:
                k += 1
            while True:
                m = sign * x[i] if k == 0 else tree[offsets[k] + (i >> (SHIFT * k))]
                if m >= e:
                    if k == 0:
                        return i
                    k -= 1  # the row is in this block: look at its first sub-block
                else:
                    i += 1 << (SHIFT * k)
                    if i >= stop:
                        return stop
                    if k < LEVELS and (i & ((1 << (SHIFT * (k + 1))) - 1)) == 0:
                        break
        return stop

    @jit
    def next_entry(x, tree, offsets, a, stop, q):
        """First row ``>= a`` where the entry of ``q`` fires (``q[2]``/``q[3]``: long/short)."""
        f = stop
        if q[2]:
            f = first_at_least(x, 1.0, tree[0], offsets, a, stop, q[0])
        if q[3]:
            f = first_at_least(x, -1.0, tree[1], offsets, a, f, q[0])
        return f

    @jit
    def skip_flat(r0, r1, h, ts, mid, row_bucket, change_at, valid_at, fs, ist, buckets):
        """Hot state ``h`` of a flat config with no order pending after rows ``r0 .. r1-1``."""
        cash, position, entry_px, peak, max_dd, start_eq, last_eq, exposure = h[:8]
        bucket = h[15]
        settled = False  # once a mid has been marked, every mark is cash, the last equity
        r = r0
        while r < r1:
            s = change_at[r]
            if not settled:
                s = min(s, valid_at[r])
            if s >= r1:
                break
            equity = last_eq
            if not math.isnan(mid[s]):
                equity = cash + mul(position, mid[s])
                settled = True
            marks = mark(
                row_bucket[s], equity, peak, max_dd, start_eq, last_eq, bucket, fs, ist, buckets
            )
            peak, max_dd, start_eq, last_eq, bucket = marks
            r = s + 1
        return (
            cash,
            position,
            entry_px,
            peak,
            max_dd,
            start_eq,
            last_eq,
            exposure,
            h[8],
            h[9],
            h[10],
            h[11],
            h[12],
            h[13],
            h[14],
            bucket,
            ts[r1 - 1],
            h[17],
            h[18],
        )

    return next_entry, skip_flat
