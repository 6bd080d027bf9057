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

Their windows' first trades are found inside the pass, by the two-pointer search of
:mod:`l2gpu.kernels.windows` for a duration, as ``max(end - n, 0)`` for ``n`` trades: the
``[T]`` array of first trades is never written, faulted in and read back.

CPU only; the GPU runs the array formulas (``docs/kernels.md``).
"""

from __future__ import annotations

import numba
import numpy as np

from l2gpu.kernels.ratio import safe_div
from l2gpu.kernels.windows import advance_search

CHUNK_ROWS = 1 << 16
FIRST_QUERY = np.iinfo(np.int64).max
"""The "previous query" a chunk starts from: above every query, so its first is a binary search."""
SIZE, NOTIONAL, BUY, SELL, SIGNED = 0, 1, 2, 3, 4
IMBALANCE, VWAP_DEVIATION = 0, 1
"""The formulas of :func:`trade_window_cpu`."""
NO_MID = np.empty(0)
"""The ``mid`` argument of a formula that does not read it."""


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


@numba.njit(cache=True, nogil=True, inline="always")
def window_first(trade_ts, ts, t, ns, rows, dense, end, x, s):
    """Return the first trade of row ``t``'s window and the query that found it.

    A window of ``rows`` trades (``rows > 0``) starts ``rows`` before ``end``; a duration of
    ``ns`` after the last trade at or before ``ts[t] - ns``, found from ``s``, the answer for the
    previous query ``x`` (:func:`~l2gpu.kernels.windows.advance_search`).
    """
    if rows > 0:
        return max(end - rows, 0), x
    y = ts[t] - ns
    return advance_search(trade_ts, x, y, s, dense), y


@numba.njit(parallel=True, cache=True, error_model="numpy")
def trade_window_cpu(kind, first, second, mid, trade_ts, ts, ns, rows, ends, out):
    """Fill ``out[t]`` with formula ``kind`` of two prefix sums' totals over row ``t``'s window.

    With ``u``, ``v`` the totals of ``first`` and ``second`` over the trades ``s .. ends[t] - 1``
    (``s`` as :func:`window_first` finds it: no ``[T]`` array of first trades is written):
    :data:`IMBALANCE` is ``ratio(u - v, u + v)`` (buy and sell sizes), :data:`VWAP_DEVIATION`
    ``1e4 * (mid[t] / ratio(u, v) - 1.0)`` (notional and size; ``mid`` is read only there).
    """
    rows_out = out.shape[0]
    dense = 2 * trade_ts.shape[0] >= ts.shape[0]
    for c in numba.prange((rows_out + CHUNK_ROWS - 1) // CHUNK_ROWS):
        x, s = FIRST_QUERY, 0
        for t in range(c * CHUNK_ROWS, min(rows_out, (c + 1) * CHUNK_ROWS)):
            e = ends[t]
            s, x = window_first(trade_ts, ts, t, ns, rows, dense, e, x, s)
            u = first[e] - first[s]
            v = second[e] - second[s]
            if kind == IMBALANCE:
                out[t] = safe_div(u - v, u + v)
            else:
                out[t] = 1e4 * (mid[t] / safe_div(u, v) - 1.0)


def trade_imbalance_cpu(buy, sell, trade_ts, ts, ns, rows, ends, out):
    """Fill ``out[t]`` with the signed share of buy volume over row ``t``'s trailing window.

    ``buy`` and ``sell`` are prefix sums of the buy and sell sizes (base units, leading 0); the
    window as :func:`trade_window_cpu` takes it.
    """
    trade_window_cpu(IMBALANCE, buy, sell, NO_MID, trade_ts, ts, ns, rows, ends, out)


def vwap_deviation_cpu(notional, size, mid, trade_ts, ts, ns, rows, ends, out):
    """Fill ``out[t]`` with the mid's deviation from the window's trade VWAP, bps.

    ``notional`` and ``size`` are prefix sums of ``px * sz`` (quote) and ``sz`` (base units).
    """
    trade_window_cpu(VWAP_DEVIATION, notional, size, mid, trade_ts, ts, ns, rows, ends, out)
