"""A NumPy ufunc applied in place over row chunks on several threads.

NumPy releases the GIL inside a ufunc's loop, so the chunks of a long array run side by side,
each through NumPy's own loop: the floats are those of one call over the whole array (an
elementwise ufunc does not depend on where the array is cut). The features use it for the logs
and roots of ``[T]`` columns that Numba cannot compute with NumPy's bits (``docs/kernels.md``).
The thread count is Numba's (``NUMBA_NUM_THREADS``), so one setting bounds both.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from itertools import pairwise
from typing import Any

import numba
import numpy as np

MIN_CHUNK_ROWS = 1 << 18
"""Fewer rows than this per thread run in one call: the hand-over would cost more than it saves."""


@cache
def _pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix="l2gpu-ufunc")


def ufunc_in_place(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
    """Set ``values`` to ``ufunc(values)`` chunk by chunk on Numba's thread count; return it.

    Parameters
    ----------
    ufunc : numpy.ufunc
        An elementwise unary ufunc such as ``numpy.log`` or ``numpy.sqrt``.
    values : numpy.ndarray
        A one-dimensional array, overwritten.

    The caller's ``numpy.errstate`` applies in every chunk, and an error raised in one (a
    ``FloatingPointError`` under ``errstate(invalid="raise")``) is raised here.
    """
    rows = values.shape[0]
    threads = max(1, min(numba.get_num_threads(), rows // MIN_CHUNK_ROWS))
    if threads == 1:
        return ufunc(values, out=values)
    cuts = np.linspace(0, rows, threads + 1).astype(np.int64)
    # Each chunk runs in a copy of the caller's context, so that its ``numpy.errstate`` holds.
    done: list[Any] = [
        _pool(threads).submit(contextvars.copy_context().run, ufunc, values[a:b], out=values[a:b])
        for a, b in pairwise(cuts)
    ]
    for future in done:
        future.result()
    return values
