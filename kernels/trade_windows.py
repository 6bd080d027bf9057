"""Trade-window features from prefix sums in one pass each (CPU): no ``[T]`` temporaries.

:func:`trade_prefixes_cpu` builds the prefix sums of the per-trade quantities a call needs
(:data:`SIZE`, :data:`NOTIONAL` ``sz * px``, :data:`BUY` / :data:`SELL` the size of buys /
sells, else 0, :data:`SIGNED` ``side * sz``) in one pass, each as
``concatenate(([0], cumsum(values)))`` does: ``numpy.cumsum`` adds left to right from the first
value, so the floats are the same.

With ``P[ends[t]] - P[starts[t]]`` the total of a prefix sum ``P`` over the trades of row
``t``'s window, each kernel performs the operations of its array formula
(``l2gpu/features/trade_flow.py``) in the same order, with the safe ratio of
:func:`l2gpu.kernels.ratio.safe_div`, so the floats are the same bits:

- :func:`trade_imbalance_cpu`: ``ratio(buy - sell, buy + sell)``;
- :func:`vwap_deviation_cpu`: ``1e4 * (mid / ratio(notional, size) - 1.0)``.

CPU only; the GPU runs the array formulas (``docs/kernels.md``).
"""

from __future__ import annotations

import numba

from l2gpu.kernels.ratio import safe_div

CHUNK_ROWS = 1 << 16
SIZE, NOTIONAL, BUY, SELL, SIGNED = 0, 1, 2, 3, 4


@numba.njit(cache=True, nogil=True)
def trade_prefixes_cpu(wanted, sz, px, side, out):
    """Fill ``out[k]`` (``N + 1``) with 0 then the running sum of quantity ``k``, where wanted.

    One pass over the trades for all five quantities (``k`` = :data:`SIZE` .. :data:`SIGNED`),
    each with its own accumulator, so that the sums' latencies overlap; a row of ``out`` that
    is not ``wanted`` is not written (its pages never touched).
    """
    n = sz.shape[0]
    for k in range(5):
        if wanted[k]:
            out[k, 0] = 0.0
    if n == 0:
        return
    size = sz[0]
    notional = sz[0] * px[0]
    buy = sz[0] if side[0] > 0 else 0.0
    sell = sz[0] if side[0] < 0 else 0.0
    signed = float(side[0]) * sz[0]
    for i in range(n):
        if i > 0:
            size += sz[i]
            notional += sz[i] * px[i]
            buy += sz[i] if side[i] > 0 else 0.0
            sell += sz[i] if side[i] < 0 else 0.0
            signed += float(side[i]) * sz[i]
        if wanted[SIZE]:
            out[SIZE, i + 1] = size
        if wanted[NOTIONAL]:
            out[NOTIONAL, i + 1] = notional
        if wanted[BUY]:
            out[BUY, i + 1] = buy
        if wanted[SELL]:
            out[SELL, i + 1] = sell
        if wanted[SIGNED]:
            out[SIGNED, i + 1] = signed


@numba.njit(parallel=True, cache=True, error_model="numpy")
def trade_imbalance_cpu(buy, sell, starts, ends, out):
    """Fill ``out[t]`` with the signed share of buy volume over ``starts[t] .. ends[t] - 1``.

    ``buy`` and ``sell`` are prefix sums of the buy and sell sizes (base units, leading 0).
    """
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            s, e = starts[t], ends[t]
            b = buy[e] - buy[s]
            a = sell[e] - sell[s]
            out[t] = safe_div(b - a, b + a)


@numba.njit(parallel=True, cache=True, error_model="numpy")
def vwap_deviation_cpu(notional, size, mid, starts, ends, out):
    """Fill ``out[t]`` with the mid's deviation from the window's trade VWAP, bps.

    ``notional`` and ``size`` are prefix sums of ``px * sz`` (quote) and ``sz`` (base units).
    """
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            s, e = starts[t], ends[t]
            vwap = safe_div(notional[e] - notional[s], size[e] - size[s])
            out[t] = 1e4 * (mid[t] / vwap - 1.0)
