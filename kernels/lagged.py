"""Per-row quantities of the mid and the row windows in one pass each (CPU), for the logs after.

- :func:`ratio_before_window_cpu`: ``values[t] / values[starts[t] - 1]``, NaN where the window
  starts at row 0 (``ret`` takes its log);
- :func:`ratio_to_previous_cpu`: ``values[t] / values[t - 1]``, NaN at row 0 (the log returns);
- :func:`events_per_second_cpu`: ``(t - starts[t] + 1) / seconds`` (``intensity`` of a
  duration).

The logs stay NumPy's (``numpy.log`` in place, over row chunks on threads with
:func:`l2gpu.backend.threads.ufunc_in_place`), so the floats are those of the array formulas of
``l2gpu/features/volatility.py``: the divisions are the same IEEE operations, and the log of a
NaN is NaN. CPU only; the GPU runs the array formulas (``docs/kernels.md``).
"""

from __future__ import annotations

import numba
import numpy as np

CHUNK_ROWS = 1 << 16


@numba.njit(parallel=True, cache=True, error_model="numpy")
def ratio_before_window_cpu(values, starts, out):
    """Fill ``out[t]`` with ``values[t] / values[starts[t] - 1]``, NaN when ``starts[t] == 0``."""
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            before = starts[t] - 1
            out[t] = values[t] / values[before] if before >= 0 else np.nan


@numba.njit(parallel=True, cache=True, error_model="numpy")
def ratio_to_previous_cpu(values, out):
    """Fill ``out[t]`` with ``values[t] / values[t - 1]``, NaN at ``t = 0``."""
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            out[t] = values[t] / values[t - 1] if t > 0 else np.nan


@numba.njit(parallel=True, cache=True, error_model="numpy")
def events_per_second_cpu(starts, seconds, out):
    """Fill ``out[t]`` with the rows ``starts[t] .. t`` per second of a ``seconds``-long window."""
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            out[t] = (t - starts[t] + 1) / seconds
