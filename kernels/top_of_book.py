"""Mid, spread and top-``k`` imbalance per row: the reference single-source kernel.

For row ``t`` with best prices ``bp``, ``ap`` and level sizes ``b_i``, ``a_i``:

- ``mid = (bp + ap) / 2``; ``spread = ap - bp`` (NaN when a side is empty, since its price is NaN)
- ``imbalance_k = (sum_{i<k} b_i - sum_{i<k} a_i) / (sum_{i<k} b_i + sum_{i<k} a_i)``, NaN when the
  denominator is zero (an empty or zero-size book)

The CUDA twin is in :mod:`l2gpu.kernels.top_of_book_cuda`; the naive reference in
``tests/reference.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numba

from l2gpu.kernels.jit import cpu_device_jit


def make_top_of_book_ops(jit: Callable[[Any], Any]) -> Any:
    """Compile the per-row body with ``jit``; return ``top_of_book_row``."""

    @jit
    def top_of_book_row(bid_px, bid_sz, ask_px, ask_sz, levels, t, mid, spread, imbalance):
        best_bid = bid_px[0, t]
        best_ask = ask_px[0, t]
        mid[t] = (best_bid + best_ask) * 0.5
        spread[t] = best_ask - best_bid
        bid_total = 0.0
        ask_total = 0.0
        for k in range(levels):
            bid_total += bid_sz[k, t]
            ask_total += ask_sz[k, t]
        total = bid_total + ask_total
        if total > 0.0:
            imbalance[t] = (bid_total - ask_total) / total
        else:
            imbalance[t] = math.nan

    return top_of_book_row


_top_of_book_row_cpu = make_top_of_book_ops(cpu_device_jit)


@numba.njit(parallel=True, cache=True)
def top_of_book_cpu(bid_px, bid_sz, ask_px, ask_sz, levels, mid, spread, imbalance):
    """CPU driver: rows in parallel; writes ``mid``, ``spread``, ``imbalance`` (each ``[T]``)."""
    for t in numba.prange(bid_px.shape[1]):
        _top_of_book_row_cpu(bid_px, bid_sz, ask_px, ask_sz, levels, t, mid, spread, imbalance)
