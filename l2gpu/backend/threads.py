"""Work that releases the GIL run side by side on several threads.

- :func:`side_by_side`: independent calls at once, such as serial Numba kernels (``nogil``)
  over different series;
- :func:`ufunc_in_place`: a NumPy ufunc over row chunks of one array. NumPy releases the GIL
  inside a ufunc's loop, so each chunk runs through NumPy's own loop and the floats are those
  of one call over the whole array (an elementwise ufunc does not depend on where the array is
  cut). The features use it for the logs and roots of ``[T]`` columns that Numba cannot compute
  with NumPy's bits (``docs/kernels.md``).

The thread count is Numba's (``NUMBA_NUM_THREADS``), so one setting bounds both. Each call
runs in a copy of the caller's context, so that its ``numpy.errstate`` holds there, and an
error raised in one is raised to the caller.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from itertools import pairwise
from typing import TypeVar

import numba
import numpy as np

T = TypeVar("T")
MIN_CHUNK_ROWS = 1 << 18
"""Fewer rows than this per thread run in one call: the hand-over would cost more than it saves."""


@cache
def _pool(threads: int, pid: int) -> ThreadPoolExecutor:
    """Return the pool of process ``pid``.

    A forked child does not inherit the parent's threads, so a pool the parent made would take
    the child's calls and never run them.
    """
    return ThreadPoolExecutor(threads, thread_name_prefix="l2gpu-side")


def side_by_side(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Return ``[call() for call in calls]``, up to Numba's thread count of them at once."""
    threads = min(numba.get_num_threads(), len(calls))
    if threads <= 1:
        return [call() for call in calls]
    pool = _pool(threads, os.getpid())
    futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
    return [future.result() for future in futures]


def ufunc_in_place(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
    """Set ``values`` to ``ufunc(values)`` chunk by chunk on Numba's thread count; return it.

    Parameters
    ----------
    ufunc : numpy.ufunc
        An elementwise unary ufunc such as ``numpy.log`` or ``numpy.sqrt``.
    values : numpy.ndarray
        A one-dimensional array, overwritten.

    The caller's ``numpy.errstate`` applies in every chunk (:func:`side_by_side`).
    """
    rows = values.shape[0]
    threads = max(1, min(numba.get_num_threads(), rows // MIN_CHUNK_ROWS))
    if threads == 1:
        return ufunc(values, out=values)
    cuts = np.linspace(0, rows, threads + 1).astype(np.int64)
    chunks = [values[a:b] for a, b in pairwise(cuts)]
    side_by_side([lambda c=c: ufunc(c, out=c) for c in chunks])  # type: ignore[misc]
    return values
