"""Per-row sums over the top ``k`` levels: sizes and notionals of both sides, in one pass.

For row ``t`` and level weights ``w_i``: ``Q_bid = sum w_i bid_sz_i``, ``Q_ask`` likewise,
``N_bid = sum w_i bid_sz_i bid_px_i`` over levels with a positive size (a missing level, price
NaN and size 0, adds nothing), ``N_ask`` likewise. Levels are added in order, as a loop would.

The CUDA twin is :mod:`l2gpu.kernels.level_sums_cuda`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

from l2gpu.kernels.jit import cpu_device_jit


def make_level_sums_ops(jit: Callable[[Any], Any]) -> Any:
    """Compile the per-row sums with ``jit``; return ``level_sums_row``."""

    @jit
    def level_sums_row(bid_px, bid_sz, ask_px, ask_sz, weights, levels, t, out):
        q_bid = 0.0
        q_ask = 0.0
        n_bid = 0.0
        n_ask = 0.0
        for i in range(levels):
            b = weights[i] * bid_sz[i, t]
            a = weights[i] * ask_sz[i, t]
            q_bid += b
            q_ask += a
            if b > 0.0:
                n_bid += bid_px[i, t] * b
            if a > 0.0:
                n_ask += ask_px[i, t] * a
        out[0, t] = q_bid
        out[1, t] = q_ask
        out[2, t] = n_bid
        out[3, t] = n_ask

    return level_sums_row


_level_sums_row_cpu = make_level_sums_ops(cpu_device_jit)


@numba.njit(parallel=True, cache=True)
def level_sums_cpu(bid_px, bid_sz, ask_px, ask_sz, weights, levels, out):
    """CPU driver: rows in parallel; ``out`` is ``[4, T]``."""
    for t in numba.prange(bid_px.shape[1]):
        _level_sums_row_cpu(bid_px, bid_sz, ask_px, ask_sz, weights, levels, t, out)
