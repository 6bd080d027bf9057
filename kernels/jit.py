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


def launch_per_row(kernel: Any, rows: int, threads_per_block: int, *args: Any) -> None:
    """Launch a CUDA ``kernel`` with one thread per row; nothing to do for zero rows."""
    if rows:
        kernel[blocks_for(rows, threads_per_block), threads_per_block](*args)
