"""Depth-walk fill price of a taker order of size ``q`` against one side of the book.

Levels are taken from the best outward; ``VWAP = sum(px_i * take_i) / q``. When the visible depth
runs out, the rest fills at the last visible level (and the row counts as depth-exhausted). A side
with no level at all gives NaN. Buying 1.5 against asks 1.0@2.000, 2.0@2.010 gives 2.0033333...;
selling 1.5 against bids 1.0@1.000, 2.0@0.990 gives 0.9966666....

Every product that feeds a sum goes through ``mul`` (:mod:`l2gpu.kernels.unfused`), so the CPU
and the CUDA twin compute the same bits.

The CUDA twin is :mod:`l2gpu.kernels.depth_walk_cuda`; the naive reference is in
``tests/reference.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numba

from l2gpu.kernels.jit import cpu_device_jit
from l2gpu.kernels.unfused import mul_cpu


def make_depth_walk_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile the walk with ``jit``; return ``fill_price(px, sz, t, qty) -> (vwap, exhausted)``.

    ``mul`` is the target's unfused product (``mul_cpu`` or ``mul_cuda``).
    """

    @jit
    def fill_price(px, sz, t, qty):
        remaining = qty
        notional = 0.0
        last = math.nan
        for k in range(px.shape[0]):
            price = px[k, t]
            if math.isnan(price):
                break
            take = min(remaining, sz[k, t])
            notional += mul(price, take)
            remaining -= take
            last = price
            if remaining <= 0.0:
                break
        if math.isnan(last):
            return math.nan, True
        exhausted = remaining > 0.0
        if exhausted:
            notional += mul(last, remaining)
        return notional / qty, exhausted

    return fill_price


fill_price_cpu = make_depth_walk_ops(cpu_device_jit, mul_cpu)


@numba.njit(parallel=True, cache=True)
def depth_walk_cpu(px, sz, qty, vwap, exhausted):
    """CPU driver: rows in parallel; writes the fill VWAP and the depth-exhausted flag."""
    for t in numba.prange(px.shape[1]):
        vwap[t], exhausted[t] = fill_price_cpu(px, sz, t, qty)
