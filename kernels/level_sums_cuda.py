"""CUDA twin of :mod:`l2gpu.kernels.level_sums`: one thread per row."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from l2gpu.backend.launch import kernel_args
from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK, launch_per_row
from l2gpu.kernels.launch_spec import F64_1D, F64_2D, I64, LaunchSpec
from l2gpu.kernels.level_sums import make_level_sums_ops

_level_sums_row = make_level_sums_ops(cuda.jit(device=True))


LEVEL_SUMS_LAUNCH = LaunchSpec(
    "_level_sums_kernel",
    (F64_2D, F64_2D, F64_2D, F64_2D, F64_1D, I64, F64_2D),
    register_budget=48,
    allow_fma="feature sums, compared with the CPU at rtol 1e-10",
)


@cuda.jit
def _level_sums_kernel(bid_px, bid_sz, ask_px, ask_sz, weights, levels, out):
    t = cuda.grid(1)
    if t < bid_px.shape[1]:
        _level_sums_row(bid_px, bid_sz, ask_px, ask_sz, weights, levels, t, out)


def level_sums_cuda(
    bid_px: Any,
    bid_sz: Any,
    ask_px: Any,
    ask_sz: Any,
    weights: Any,
    levels: int,
    out: Any,
    threads_per_block: int = DEFAULT_THREADS_PER_BLOCK,
) -> None:
    """Launch one thread per row; arrays on the device (CuPy, or the strict simulated device)."""
    launch_per_row(
        _level_sums_kernel,
        bid_px.shape[1],
        threads_per_block,
        *kernel_args(bid_px, bid_sz, ask_px, ask_sz, weights, np.int64(levels), out),
    )
