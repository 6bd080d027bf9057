"""CUDA twin of :mod:`l2gpu.kernels.triple_barrier`: one thread per row."""

from __future__ import annotations

from typing import Any

from numba import cuda

from l2gpu.backend.launch import kernel_args
from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK, launch_per_row
from l2gpu.kernels.launch_spec import F64_1D, I64_1D, LaunchSpec
from l2gpu.kernels.triple_barrier import make_triple_barrier_ops

_first_touch = make_triple_barrier_ops(cuda.jit(device=True))


TRIPLE_BARRIER_LAUNCH = LaunchSpec(
    "_triple_barrier_kernel",
    (F64_1D, I64_1D, I64_1D, F64_1D, F64_1D, F64_1D, I64_1D),
    register_budget=32,
)


@cuda.jit
def _triple_barrier_kernel(mid, ts, ends, upper, lower, label, touch_ts):
    t = cuda.grid(1)
    if t < mid.shape[0]:
        label[t], touch_ts[t] = _first_touch(mid, ts, t, ends[t], upper[t], lower[t])


def triple_barrier_cuda(
    mid: Any,
    ts: Any,
    ends: Any,
    upper: Any,
    lower: Any,
    label: Any,
    touch_ts: Any,
    threads_per_block: int = DEFAULT_THREADS_PER_BLOCK,
) -> None:
    """Launch one thread per row; arrays on the device (CuPy, or the strict simulated device)."""
    launch_per_row(
        _triple_barrier_kernel,
        mid.shape[0],
        threads_per_block,
        *kernel_args(mid, ts, ends, upper, lower, label, touch_ts),
    )
