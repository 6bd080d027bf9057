"""CUDA twin of :mod:`l2gpu.kernels.depth_walk`: one thread per row."""

from __future__ import annotations

from typing import Any

from numba import cuda

from l2gpu.backend.launch import kernel_args
from l2gpu.kernels.depth_walk import make_depth_walk_ops
from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK, launch_per_row
from l2gpu.kernels.launch_spec import BOOL_1D, F64, F64_1D, F64_2D, LaunchSpec
from l2gpu.kernels.unfused_cuda import mul_cuda

_fill_price = make_depth_walk_ops(cuda.jit(device=True), mul_cuda)


DEPTH_WALK_LAUNCH = LaunchSpec(
    "_depth_walk_kernel", (F64_2D, F64_2D, F64, F64_1D, BOOL_1D), register_budget=32
)


@cuda.jit
def _depth_walk_kernel(px, sz, qty, vwap, exhausted):
    t = cuda.grid(1)
    if t < px.shape[1]:
        vwap[t], exhausted[t] = _fill_price(px, sz, t, qty)


def depth_walk_cuda(
    px: Any,
    sz: Any,
    qty: float,
    vwap: Any,
    exhausted: Any,
    threads_per_block: int = DEFAULT_THREADS_PER_BLOCK,
) -> None:
    """Launch one thread per row; arrays on the device (CuPy, or the strict simulated device)."""
    launch_per_row(
        _depth_walk_kernel,
        px.shape[1],
        threads_per_block,
        *kernel_args(px, sz, float(qty), vwap, exhausted),
    )
