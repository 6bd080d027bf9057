"""Triple barrier: the first touch of an upper or lower barrier before the vertical barrier.

For row ``t`` with horizon end row ``end`` (the vertical barrier) and barriers ``upper[t]``,
``lower[t]`` (prices): scan rows ``t+1 .. end``; the first ``mid_j >= upper`` gives +1, the first
``mid_j <= lower`` gives -1 (a missing mid touches nothing); if neither happens the label is 0 at
the vertical barrier. The touch time is ``ts`` of the touching row (of ``end`` for 0). A horizon
that runs past the data, or a missing barrier or mid at ``t``, gives NaN and touch time -1.

The CUDA twin is :mod:`l2gpu.kernels.triple_barrier_cuda`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numba

from l2gpu.kernels.jit import cpu_device_jit


def make_triple_barrier_ops(jit: Callable[[Any], Any]) -> Any:
    """Compile the per-row scan with ``jit``; return ``first_touch(...) -> (label, touch_ts)``."""

    @jit
    def first_touch(mid, ts, t, end, upper, lower):
        if end >= mid.shape[0] or math.isnan(upper) or math.isnan(lower) or math.isnan(mid[t]):
            return math.nan, -1
        for j in range(t + 1, end + 1):
            price = mid[j]
            if price >= upper:
                return 1.0, ts[j]
            if price <= lower:
                return -1.0, ts[j]
        return 0.0, ts[end]

    return first_touch


_first_touch_cpu = make_triple_barrier_ops(cpu_device_jit)


@numba.njit(parallel=True, cache=True)
def triple_barrier_cpu(mid, ts, ends, upper, lower, label, touch_ts):
    """CPU driver: rows in parallel."""
    for t in numba.prange(mid.shape[0]):
        label[t], touch_ts[t] = _first_touch_cpu(mid, ts, t, ends[t], upper[t], lower[t])
