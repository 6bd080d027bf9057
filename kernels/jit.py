"""The CPU decorator kernel factories are compiled with, and the CUDA launch geometry.

CUDA twins live in ``*_cuda.py`` modules that import ``numba.cuda`` at their top (the simulator
swaps that module global for its fake), and are imported only when the GPU engine runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

DEFAULT_THREADS_PER_BLOCK = 256

cpu_device_jit: Callable[[Any], Any] = numba.njit(inline="always", cache=True)


def blocks_for(n: int, threads_per_block: int) -> int:
    """Return the number of blocks so that ``blocks * threads_per_block >= n`` (at least one)."""
    return max(1, -(-n // threads_per_block))


def block_size_for(threads: int, multiprocessors: int, largest: int) -> int:
    """Threads per block for a launch of ``threads`` long-running threads (one per config).

    The largest power of two up to ``largest`` that still gives every one of the device's
    ``multiprocessors`` at least one block; 1 when there are fewer threads than multiprocessors.
    A sweep thread runs one config's rows one after the other, so a few thousand configs in
    blocks of 128 would leave most SMs idle: 1,000 configs on the 132 SMs of an H100 or H200 run
    in 250 blocks of 4, 10,000 in 157 blocks of 64.
    """
    size = largest
    while size > 1 and -(-threads // size) < multiprocessors:
        size //= 2
    return size


def launch_per_row(kernel: Any, rows: int, threads_per_block: int, *args: Any) -> None:
    """Launch a CUDA ``kernel`` with one thread per row; nothing to do for zero rows."""
    if rows:
        kernel[blocks_for(rows, threads_per_block), threads_per_block](*args)
