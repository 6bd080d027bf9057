"""Sweep-kernel seconds at each block size and at each register cap (GPU only).

:func:`~l2gpu.kernels.jit.block_size_for` picks the sweep kernel's block size from the config
count (one thread per config, every multiprocessor given at least one block). This measures one
launch over a device book at every power-of-two block size up to
:data:`~l2gpu.kernels.sweep_cuda.SWEEP_MAX_THREADS`, after checking that every size leaves the
same final state, bit for bit. Steps/s that fall with the config count show how much of the chip
a small sweep leaves idle (issue 15, part 3: whether splitting time into segments pays).
:func:`time_register_caps` compiles the same kernel with lower register caps
(``max_registers``): the kernel keeps each config's hot state in registers (issue 15, part 1),
which costs occupancy; a cap trades spills for more resident threads, and only a device can say
which wins. Timed with CUDA events: a warm-up launch, then the median of ``repeat`` launches,
each from a fresh state. Run by ``make gpu-check`` (``tools/gpu_check.py``).
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

from benchmarks import sweep_workloads
from l2gpu.backtest.gpu_driver import device_state, signal_order
from l2gpu.backtest.params import encode, expand_grid, normalise
from l2gpu.backtest.sweep_inputs import book_arrays, signal_matrix
from l2gpu.data import Book

BUCKET_NS = 60 * 10**9


def block_sizes(largest: int) -> list[int]:
    """Powers of two from 1 to ``largest``."""
    return [1 << k for k in range(largest.bit_length()) if 1 << k <= largest]


def time_block_sizes(
    book: Book, signal: Any, configs: list[int], repeat: int = 3
) -> list[dict[str, Any]]:
    """For each config count, kernel seconds and steps/s at each block size (and the chosen one).

    ``book`` and ``signal`` are on the GPU. Raises ``AssertionError`` when a block size changes
    the final state.
    """
    from l2gpu.backend.arrays import multiprocessors
    from l2gpu.kernels.jit import block_size_for
    from l2gpu.kernels.sweep_cuda import SWEEP_MAX_THREADS, _sweep_kernel

    inputs = book_arrays(book, BUCKET_NS)
    names, matrix = signal_matrix({"imb": signal}, len(book), "gpu")
    rows = len(book)
    results = []
    for n in configs:
        params = _dense_params(n, names)
        chosen = block_size_for(n, multiprocessors(), SWEEP_MAX_THREADS)
        want = _launch(inputs, matrix, params, chosen, _sweep_kernel)[1]
        seconds = {
            threads: _checked_seconds(
                (inputs, matrix, params),
                threads,
                _sweep_kernel,
                want,
                repeat,
                f"{threads} threads ({n} configs)",
            )
            for threads in block_sizes(SWEEP_MAX_THREADS)
        }
        best = min(seconds, key=seconds.__getitem__)
        results.append(
            {
                "configs": n,
                "rows": rows,
                "chosen_threads": chosen,
                "chosen_steps_per_s": n * rows / seconds[chosen],
                "best_threads": best,
                "best_steps_per_s": n * rows / seconds[best],
                "seconds_by_threads": seconds,
            }
        )
    return results


def time_register_caps(
    book: Book, signal: Any, configs: int, caps: list[int], repeat: int = 3
) -> list[dict[str, Any]]:
    """Kernel seconds and steps/s of the sweep kernel compiled at each register cap.

    ``0`` in ``caps`` is the kernel as shipped. Each cap's registers and local (spill) bytes per
    thread come from the compiled kernel. Raises ``AssertionError`` when a cap changes the
    final state.
    """
    from numba import cuda

    from l2gpu.backend.arrays import multiprocessors
    from l2gpu.kernels import sweep_cuda
    from l2gpu.kernels.jit import block_size_for

    inputs = book_arrays(book, BUCKET_NS)
    names, matrix = signal_matrix({"imb": signal}, len(book), "gpu")
    params = _dense_params(configs, names)
    threads = block_size_for(configs, multiprocessors(), sweep_cuda.SWEEP_MAX_THREADS)
    shipped = sweep_cuda._sweep_kernel
    want = _launch(inputs, matrix, params, threads, shipped)[1]
    results = []
    for cap in caps:
        # (numba's simulator, which mypy reads, has no max_registers; a device build has.)
        kernel = shipped if cap == 0 else cuda.jit(max_registers=cap)(shipped.py_func)  # type: ignore[call-arg]
        seconds = _checked_seconds(
            (inputs, matrix, params), threads, kernel, want, repeat, f"cap {cap}"
        )
        results.append(
            {
                "cap": cap or "shipped",
                "configs": configs,
                "rows": len(book),
                "threads_per_block": threads,
                **_resources(kernel),
                "seconds": seconds,
                "steps_per_s": configs * len(book) / seconds,
            }
        )
    return results


def _dense_params(n: int, names: list[str]) -> np.ndarray:
    """The encoded parameters of the dense workload's ``n`` configs."""
    return encode(normalise(expand_grid(sweep_workloads.dense_grid(n)), names), names)


def _checked_seconds(
    work: tuple[Any, Any, np.ndarray],
    threads: int,
    kernel: Any,
    want: tuple[np.ndarray, np.ndarray],
    repeat: int,
    where: str,
) -> float:
    """Median seconds of ``repeat`` launches after a warm-up (which compiles a new build).

    ``work`` is (book arrays, signal matrix, params). Raises ``AssertionError`` naming
    ``where`` when the final state differs from ``want``.
    """
    _launch(*work, threads, kernel)
    runs = [_launch(*work, threads, kernel) for _ in range(repeat)]
    for got, expected, what in zip(runs[-1][1], want, ("fstate", "istate"), strict=True):
        assert np.array_equal(got, expected, equal_nan=True), f"{what} differs at {where}"
    return statistics.median(elapsed for elapsed, _ in runs)


def _resources(kernel: Any) -> dict[str, int | None]:
    """Registers and local (spill) bytes per thread of a compiled kernel; None on the simulator."""
    signatures = getattr(kernel, "signatures", None)
    if not signatures:
        return {"registers": None, "local_bytes": None}
    return {
        "registers": kernel.get_regs_per_thread(signatures[0]),
        "local_bytes": kernel.get_local_mem_per_thread(signatures[0]),
    }


def _launch(
    inputs: Any, matrix: Any, params: np.ndarray, threads: int, kernel: Any
) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    """Seconds of one launch of ``kernel`` (a build of the sweep kernel) from a fresh state.

    Launched as :func:`~l2gpu.kernels.sweep_cuda.sweep_chunk_cuda` launches its own, at
    ``threads`` per block; returns the seconds and the final state on the host.
    """
    from numba import cuda

    from l2gpu.backend.arrays import array_namespace, to_device
    from l2gpu.backend.launch import kernel_args
    from l2gpu.kernels.jit import blocks_for

    state, out = device_state(params, 0, 0)
    order = signal_order(state.params, array_namespace(state.params))
    start, stop = cuda.event(), cuda.event()
    start.record()
    kernel[blocks_for(params.shape[0], threads), threads](
        *kernel_args(inputs, matrix, order, state, out), 0
    )
    stop.record()
    stop.synchronize()
    final = (to_device(state.fstate, "cpu", "state"), to_device(state.istate, "cpu", "state"))
    return start.elapsed_time(stop) / 1e3, final
