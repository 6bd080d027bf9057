"""Elementwise ``num / den`` with NaN where ``den`` is zero, in one pass (CPU).

The same floats as ``num / where(den == 0, nan, den)``: a zero (or NaN) denominator gives NaN,
any other gives the IEEE quotient.
"""

from __future__ import annotations

import numba
import numpy as np

CHUNK_ROWS = 1 << 16


@numba.njit(cache=True, nogil=True, inline="always")
def safe_div(num, den):
    """``num / den``, NaN when ``den == 0``: one element of :func:`ratio_cpu`."""
    return num / (np.nan if den == 0 else den)


@numba.njit(parallel=True, cache=True)
def ratio_cpu(num, den, out):
    """Fill ``out`` with ``num / den``, NaN where ``den == 0``; all three 1-d, same length."""
    rows = out.shape[0]
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        for t in range(c * CHUNK_ROWS, min(rows, (c + 1) * CHUNK_ROWS)):
            out[t] = safe_div(num[t], den[t])
