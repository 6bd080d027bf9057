"""CUDA twin of :mod:`l2gpu.kernels.top_of_book`: one thread per row."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from l2gpu.backend.launch import kernel_args
from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK, launch_per_row
from l2gpu.kernels.launch_spec import F64_1D, F64_2D, I64, LaunchSpec
from l2gpu.kernels.top_of_book import make_top_of_book_ops

_top_of_book_row = make_top_of_book_ops(cuda.jit(device=True))


TOP_OF_BOOK_LAUNCH = LaunchSpec(
    "_top_of_book_kernel",
    (F64_2D, F64_2D, F64_2D, F64_2D, I64, F64_1D, F64_1D, F64_1D),
    register_budget=32,
)


@cuda.jit
def _top_of_book_kernel(bid_px, bid_sz, ask_px, ask_sz, levels, mid, spread, imbalance):
    t = cuda.grid(1)
    if t < bid_px.shape[1]:
        _top_of_book_row(bid_px, bid_sz, ask_px, ask_sz, levels, t, mid, spread, imbalance)


def top_of_book_cuda(
    bid_px: Any,
    bid_sz: Any,
    ask_px: Any,
    ask_sz: Any,
    levels: int,
    mid: Any,
    spread: Any,
    imbalance: Any,
    threads_per_block: int = DEFAULT_THREADS_PER_BLOCK,
) -> None:
    """Launch one thread per row; arrays on the device (CuPy, or the strict simulated device)."""
    launch_per_row(
        _top_of_book_kernel,
        bid_px.shape[1],
        threads_per_block,
        *kernel_args(bid_px, bid_sz, ask_px, ask_sz, np.int64(levels), mid, spread, imbalance),
    )
