"""Rolling sums over trailing windows: a prefix sum and each window's first row, never a scan.

A window that holds a NaN sums to NaN: a quantity that is undefined on some row (a mid with an
empty side) is not silently treated as zero. Windows are :class:`l2gpu.core.spans.Window`. On
the CPU the passes are the Numba kernels of :mod:`l2gpu.kernels.windows` (the same floats as the
array formulas, which the GPU runs with CuPy).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from l2gpu.core.spans import Window
from l2gpu.kernels.windows import (
    prefix_sum_cpu,
    row_window_starts_cpu,
    search_sorted_right,
    window_sum_cpu,
)


def prefix_sum(values: Any, xp: ModuleType, square: bool = False) -> tuple[Any, Any]:
    """Prefix sums of ``values`` (of their squares with ``square``) with the NaNs noted aside.

    Returns (sum of the finite values, NaN note). The sum has a leading 0, so the sum over rows
    ``a .. b-1`` is ``P[b] - P[a]``. The note is the running NaN count (leading 0) on the GPU,
    and on the CPU the rows holding a NaN, in order
    (:func:`l2gpu.kernels.windows.prefix_sum_cpu`): a series with a handful of NaNs then writes
    and reads no second ``[T + 1]`` array. :func:`window_sum` reads either.
    """
    if xp is np:
        total = np.empty(values.shape[0] + 1)
        nan_rows = np.empty(values.shape[0], dtype=np.int64)
        values = np.ascontiguousarray(values, dtype=np.float64)
        found = prefix_sum_cpu(values, square, total, nan_rows)
        return total, nan_rows[:found].copy()
    if square:
        values = values * values
    missing = xp.isnan(values)
    total = xp.concatenate((xp.zeros(1), xp.cumsum(xp.where(missing, 0.0, values))))
    count = xp.concatenate((xp.zeros(1, dtype=xp.int64), xp.cumsum(missing, dtype=xp.int64)))
    return total, count


def window_sum(prefix: tuple[Any, Any], starts: Any, xp: ModuleType, out: Any = None) -> Any:
    """Sum over rows ``starts[t] .. t`` from :func:`prefix_sum`; NaN where the window has a NaN.

    On the CPU the sums go to ``out`` (``[T]`` float64) where given.
    """
    total, missing = prefix
    if xp is np:
        out = np.empty(total.shape[0] - 1) if out is None else out
        window_sum_cpu(total, missing, starts, out)
        return out
    ends = xp.arange(1, total.shape[0], dtype=xp.int64)
    sums = total[ends] - total[starts]
    return xp.where(missing[ends] - missing[starts] > 0, xp.nan, sums)


def cpu_index_dtype(count: int) -> type[np.signedinteger[Any]]:
    """Return the CPU integer type for positions into ``count`` elements: int32 if it holds them.

    Half the bytes of int64 for every window's first rows and trade ends a call writes, faults
    in and reads again (the kernels index with either).
    """
    return np.int32 if count < np.iinfo(np.int32).max else np.int64


def sorted_right(a: Any, v: Any, shift: int, xp: ModuleType) -> Any:
    """``searchsorted(a, v - shift, side="right")`` for a sorted ``a``.

    int64 on the GPU; on the CPU :func:`cpu_index_dtype` of ``len(a)``.
    """
    if xp is np:
        out = np.empty(v.shape[0], dtype=cpu_index_dtype(a.shape[0]))
        if v.shape[0]:
            search_sorted_right(a, v, shift, out)
        return out
    return xp.searchsorted(a, v - shift, side="right").astype(xp.int64)


def window_starts(window: Window, ts: Any, xp: ModuleType) -> Any:
    """First row of the trailing ``window`` at each row (see :meth:`Window.starts`)."""
    if xp is not np:
        return window.starts(ts, xp)
    if window.ns is None:
        out = np.empty(ts.shape[0], dtype=cpu_index_dtype(ts.shape[0]))
        row_window_starts_cpu(int(window.rows or 0), out)
        return out
    return sorted_right(ts, ts, window.ns, xp)
