"""Order-flow quantity ``e_t`` summed over the top ``k`` levels, every level in one pass.

``out[t] = ((0 + e_t(0)) + e_t(1)) + ... + e_t(k - 1)`` with, at level ``i``::

    e_t(i) = 1[Pb_t >= Pb_{t-1}] qb_t - 1[Pb_t <= Pb_{t-1}] qb_{t-1}
           - 1[Pa_t <= Pa_{t-1}] qa_t + 1[Pa_t >= Pa_{t-1}] qa_{t-1}

(a comparison with NaN is false, an indicator multiplies as 0.0 or 1.0), and ``out[0] = 0``:
the operations and their order of the array formula, so the floats are the same. CPU only; the
GPU runs the array formula with CuPy (``docs/kernels.md``).
"""

from __future__ import annotations

import numba

CHUNK_ROWS = 1 << 15


@numba.njit(parallel=True, cache=True)
def level_flow_cpu(bid_px, bid_sz, ask_px, ask_sz, levels, out):
    """Fill ``out[T]`` with the flow of the top ``levels`` levels; rows in parallel chunks."""
    rows = out.shape[0]
    if rows:
        out[0] = 0.0
    for c in numba.prange((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        t0 = max(1, c * CHUNK_ROWS)
        t1 = min(rows, (c + 1) * CHUNK_ROWS)
        for t in range(t0, t1):
            acc = 0.0
            for i in range(levels):
                pb, pb0 = bid_px[i, t], bid_px[i, t - 1]
                pa, pa0 = ask_px[i, t], ask_px[i, t - 1]
                e = (
                    (1.0 if pb >= pb0 else 0.0) * bid_sz[i, t]
                    - (1.0 if pb <= pb0 else 0.0) * bid_sz[i, t - 1]
                    - (1.0 if pa <= pa0 else 0.0) * ask_sz[i, t]
                    + (1.0 if pa >= pa0 else 0.0) * ask_sz[i, t - 1]
                )
                acc += e
            out[t] = acc
