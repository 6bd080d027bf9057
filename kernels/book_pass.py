"""Every per-row book feature of a ``compute()`` call in one pass over the book (CPU).

A pass computes ``R`` requests, each a feature kind with its parameters, into rows of ``out``
(the caller's feature matrix) or of ``scratch`` (the rows only other features read).
Rows run in parallel chunks; a chunk goes block by block of :data:`BLOCK_ROWS` rows, so the
block's slice of the book is read from memory once and stays in cache while each request
computes its rows. The level sums a request needs (``Q_bid``, ``Q_ask``, ``N_bid``, ``N_ask``
over the top ``k`` levels with weights ``w``, :mod:`l2gpu.kernels.level_sums`) are computed
once per block for each distinct ``(k, w)`` and shared by the requests that use them.

Each kind performs the operations of its array formula (``l2gpu/features/book_shape.py``,
``execution.py``, ``flow.py``) in the same order, and the safe ratio of
:func:`l2gpu.kernels.ratio.safe_div`, so the floats are the same bits. Kinds, with ``b``, ``a``
the best bid and ask, ``bs``, ``as`` their sizes, ``m = (b + a) * 0.5``:

- ``MID``: ``m``; ``SPREAD``: ``a - b``; ``SPREAD_BPS``: ``1e4 * (a - b) / m``;
- ``MICROPRICE``: ``ratio(b * as + a * bs, bs + as)``;
- ``WMID``: ``ratio(ratio(N_bid, Q_bid) * Q_ask + ratio(N_ask, Q_ask) * Q_bid, Q_bid + Q_ask)``;
- ``IMBALANCE``: ``ratio(Q_bid - Q_ask, Q_bid + Q_ask)``; ``DEPTH_BID``: ``Q_bid``;
  ``DEPTH_ASK``: ``Q_ask``; ``SLOPE``: ``ratio(a_{k-1} - b_{k-1}, Q_bid + Q_ask)``;
- ``IMPACT_BUY``: ``1e4 * (vwap_ask(q) - m) / m``, ``IMPACT_SELL``: ``1e4 * (m - vwap_bid(q)) /
  m`` with the depth walk of :mod:`l2gpu.kernels.depth_walk`, taken level by level over the
  block's rows (:func:`_block_walk`);
- ``FLOW``: ``e_t`` summed over the top ``k`` levels (:mod:`l2gpu.kernels.flow`), 0 at row 0.

CPU only; the GPU runs the array formulas (``docs/kernels.md``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from l2gpu.kernels.ratio import safe_div
from l2gpu.kernels.unfused import mul_cpu

MID, SPREAD, SPREAD_BPS, MICROPRICE, WMID, IMBALANCE = 0, 1, 2, 3, 4, 5
DEPTH_BID, DEPTH_ASK, SLOPE, IMPACT_BUY, IMPACT_SELL, FLOW = 6, 7, 8, 9, 10, 11
BLOCK_ROWS = 512
"""Rows per block: the block's levels (10 levels x 4 arrays x 8 bytes a row) fit in L2."""
CHUNK_ROWS = 1 << 15
"""Rows per parallel chunk (a whole number of blocks)."""
WALK_LEVELS = 2
"""Levels of the depth walk taken over all of a block's rows at once (most taker sizes of
interest fill within the first two levels; deeper rows continue alone)."""


@numba.njit(cache=True, nogil=True, inline="always")
def _block_sums(bid_px, bid_sz, ask_px, ask_sz, weights, levels, sums, b0, b1):
    """Set ``sums[:, t - b0]`` to (Q_bid, Q_ask, N_bid, N_ask) of rows ``b0 .. b1 - 1``.

    Level by level over contiguous slices of the block's rows (a loop the compiler
    vectorises), the levels added in order from 0.0 as in :mod:`l2gpu.kernels.level_sums`. A
    notional there skips a level without size; here it adds 0.0 instead, which leaves the sum's
    bits as they are (the sum starts at +0.0 and so is never -0.0).
    """
    n = b1 - b0
    q_bid, q_ask, n_bid, n_ask = sums[0, :n], sums[1, :n], sums[2, :n], sums[3, :n]
    q_bid[:] = 0.0
    q_ask[:] = 0.0
    n_bid[:] = 0.0
    n_ask[:] = 0.0
    for i in range(levels):
        w = weights[i]
        bp, bs, ap, az = bid_px[i, b0:b1], bid_sz[i, b0:b1], ask_px[i, b0:b1], ask_sz[i, b0:b1]
        for j in range(n):
            b = w * bs[j]
            a = w * az[j]
            q_bid[j] += b
            q_ask[j] += a
            n_bid[j] += bp[j] * b if b > 0.0 else 0.0
            n_ask[j] += ap[j] * a if a > 0.0 else 0.0


@numba.njit(cache=True, nogil=True, inline="always")
def _block_flow(bid_px, bid_sz, ask_px, ask_sz, levels, out, b0, b1):
    """Set ``out[t]`` to the flow of the top ``levels`` levels, rows ``b0 .. b1 - 1``.

    Level by level over contiguous slices of the rows and of the rows before them, added in
    order from 0.0 as :mod:`l2gpu.kernels.flow` adds them row by row (0 at row 0).
    """
    if b0 == 0:
        out[0] = 0.0
    first = max(b0, 1)
    acc = out[first:b1]
    acc[:] = 0.0
    for i in range(levels):
        pb, pb0 = bid_px[i, first:b1], bid_px[i, first - 1 : b1 - 1]
        qb, qb0 = bid_sz[i, first:b1], bid_sz[i, first - 1 : b1 - 1]
        pa, pa0 = ask_px[i, first:b1], ask_px[i, first - 1 : b1 - 1]
        qa, qa0 = ask_sz[i, first:b1], ask_sz[i, first - 1 : b1 - 1]
        for j in range(acc.shape[0]):
            acc[j] += (
                (1.0 if pb[j] >= pb0[j] else 0.0) * qb[j]
                - (1.0 if pb[j] <= pb0[j] else 0.0) * qb0[j]
                - (1.0 if pa[j] <= pa0[j] else 0.0) * qa[j]
                + (1.0 if pa[j] >= pa0[j] else 0.0) * qa0[j]
            )


@numba.njit(cache=True, nogil=True, inline="always")
def _block_walk(px, sz, qty, walk, b0, b1):
    """Set ``walk[0, t - b0]`` to the fill VWAP of ``qty`` at rows ``b0 .. b1 - 1``.

    The operations of :func:`l2gpu.kernels.depth_walk.make_depth_walk_ops`'s ``fill_price`` for
    each row, in its order. The first :data:`WALK_LEVELS` levels are taken level by level over
    contiguous slices of the block's rows, branch-free (selects, not jumps); the few rows that
    still walk on go level by level alone; the divisions run over the block's rows again. A row
    stops walking at a NaN price or once its size is filled.
    """
    n = b1 - b0
    remaining, notional, last, walking = walk[0, :n], walk[1, :n], walk[2, :n], walk[3, :n]
    remaining[:] = qty
    notional[:] = 0.0
    last[:] = math.nan
    walking[:] = 1.0
    first_levels = min(WALK_LEVELS, px.shape[0])
    for k in range(first_levels):
        price, size = px[k, b0:b1], sz[k, b0:b1]
        for j in range(n):
            p = price[j]
            live = (walking[j] > 0.0) & (p == p)
            take = min(remaining[j], size[j])
            notional[j] = notional[j] + mul_cpu(p, take) if live else notional[j]
            remaining[j] = remaining[j] - take if live else remaining[j]
            last[j] = p if live else last[j]
            walking[j] = 1.0 if live & (remaining[j] > 0.0) else 0.0
    for j in range(n):
        if walking[j] > 0.0:
            t = b0 + j
            for k in range(first_levels, px.shape[0]):
                p = px[k, t]
                if math.isnan(p):
                    break
                take = min(remaining[j], sz[k, t])
                notional[j] += mul_cpu(p, take)
                remaining[j] -= take
                last[j] = p
                if remaining[j] <= 0.0:
                    break
    for j in range(n):
        rest = remaining[j]
        total = notional[j] + mul_cpu(last[j], rest) if rest > 0.0 else notional[j]
        remaining[j] = math.nan if math.isnan(last[j]) else total / qty


@numba.njit(cache=True, nogil=True, inline="always")
def _fill(kind, bid_px, bid_sz, ask_px, ask_sz, sums, walk, levels, qty, out, b0, b1):
    """Fill ``out[b0:b1]`` with request ``kind``; ``sums[:, t - b0]`` holds row ``t``'s sums.

    ``walk`` is scratch for the depth walk (float64 ``[4, BLOCK_ROWS]``).

    One loop per kind, so that each loop body is straight-line code.
    """
    if kind == MID:
        for t in range(b0, b1):
            out[t] = (bid_px[0, t] + ask_px[0, t]) * 0.5
    elif kind == SPREAD:
        for t in range(b0, b1):
            out[t] = ask_px[0, t] - bid_px[0, t]
    elif kind == SPREAD_BPS:
        for t in range(b0, b1):
            b, a = bid_px[0, t], ask_px[0, t]
            out[t] = 1e4 * (a - b) / ((b + a) * 0.5)
    elif kind == MICROPRICE:
        for t in range(b0, b1):
            bs, az = bid_sz[0, t], ask_sz[0, t]
            out[t] = safe_div(bid_px[0, t] * az + ask_px[0, t] * bs, bs + az)
    elif kind == IMPACT_BUY:
        _block_walk(ask_px, ask_sz, qty, walk, b0, b1)
        for t in range(b0, b1):
            m = (bid_px[0, t] + ask_px[0, t]) * 0.5
            out[t] = 1e4 * (walk[0, t - b0] - m) / m
    elif kind == IMPACT_SELL:
        _block_walk(bid_px, bid_sz, qty, walk, b0, b1)
        for t in range(b0, b1):
            m = (bid_px[0, t] + ask_px[0, t]) * 0.5
            out[t] = 1e4 * (m - walk[0, t - b0]) / m
    elif kind == FLOW:
        _block_flow(bid_px, bid_sz, ask_px, ask_sz, levels, out, b0, b1)
    elif kind == WMID:
        for t in range(b0, b1):
            q_bid, q_ask = sums[0, t - b0], sums[1, t - b0]
            vwap_bid = safe_div(sums[2, t - b0], q_bid)
            vwap_ask = safe_div(sums[3, t - b0], q_ask)
            out[t] = safe_div(vwap_bid * q_ask + vwap_ask * q_bid, q_bid + q_ask)
    elif kind == IMBALANCE:
        for t in range(b0, b1):
            q_bid, q_ask = sums[0, t - b0], sums[1, t - b0]
            out[t] = safe_div(q_bid - q_ask, q_bid + q_ask)
    elif kind == DEPTH_BID:
        for t in range(b0, b1):
            out[t] = sums[0, t - b0]
    elif kind == DEPTH_ASK:
        for t in range(b0, b1):
            out[t] = sums[1, t - b0]
    else:
        for t in range(b0, b1):
            spread = ask_px[levels - 1, t] - bid_px[levels - 1, t]
            out[t] = safe_div(spread, sums[0, t - b0] + sums[1, t - b0])


@numba.njit(parallel=True, cache=True, error_model="numpy")
def book_pass_cpu(
    bid_px,
    bid_sz,
    ask_px,
    ask_sz,
    weights,
    sum_levels,
    kinds,
    sum_of,
    levels,
    qty,
    rows,
    out,
    scratch,
):
    """Fill request ``r`` at every row into ``out[rows[r]]``, or ``scratch[-1 - rows[r]]``.

    Parameters
    ----------
    bid_px, bid_sz, ask_px, ask_sz : float64 [depth, T]
        The book.
    weights : float64 [S, depth]
        Level weights of each distinct set of level sums.
    sum_levels : int64 [S]
        Levels summed by each set.
    kinds, sum_of, levels : int64 [R]
        Each request's kind, the set of level sums it reads (any for a kind without sums), and
        its level count (``SLOPE``, ``FLOW``).
    qty : float64 [R]
        Each request's taker size, base units (``IMPACT_*``).
    rows : int64 [R]
        Where each request goes: row ``rows[r]`` of ``out`` where it is at least 0, else row
        ``-1 - rows[r]`` of ``scratch``.
    out, scratch : float64 [*, T]
        The results (either may have no rows).
    """
    n_rows = bid_px.shape[1]
    n_sums = weights.shape[0]
    for c in numba.prange((n_rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        sums = np.empty((max(1, n_sums), 4, BLOCK_ROWS))
        walk = np.empty((4, BLOCK_ROWS))
        for b0 in range(c * CHUNK_ROWS, min(n_rows, (c + 1) * CHUNK_ROWS), BLOCK_ROWS):
            b1 = min(n_rows, b0 + BLOCK_ROWS)
            for s in range(n_sums):
                _block_sums(
                    bid_px, bid_sz, ask_px, ask_sz, weights[s], sum_levels[s], sums[s], b0, b1
                )
            for r in range(kinds.shape[0]):
                dest = out[rows[r]] if rows[r] >= 0 else scratch[-1 - rows[r]]
                _fill(
                    kinds[r],
                    bid_px,
                    bid_sz,
                    ask_px,
                    ask_sz,
                    sums[sum_of[r]],
                    walk,
                    levels[r],
                    qty[r],
                    dest,
                    b0,
                    b1,
                )
