"""Volume profile of the trades in a trailing window at each book row: POC, VAH and VAL.

Trades fall in price bins ``b = floor(px / bin)``. At each row, over the trades of its window:
the point of control (POC) is the bin with the most volume (the lowest such bin on a tie); the
value area grows from the POC one bin at a time toward the neighbour with more volume (upward on
a tie) until it holds 70% of the window's volume; VAH and VAL are its highest and lowest bins.
Prices are bin centres, ``(b + 0.5) * bin``. A window without trades gives NaN.

Rows run in order on one core, each re-counting its window into one scratch histogram; there is
no CUDA twin yet (the GPU engine runs this on host copies).
"""

from __future__ import annotations

import math

import numba

VALUE_AREA = 0.7


@numba.njit(cache=True, nogil=True)
def volume_profile_cpu(bins, volume, starts, ends, bin_size, offset, scratch, poc, vah, val):
    """For each row ``t``, profile the trades ``starts[t]:ends[t]``; scratch covers all bins."""
    for t in range(starts.shape[0]):
        s = starts[t]
        e = ends[t]
        if e <= s:
            poc[t] = math.nan
            vah[t] = math.nan
            val[t] = math.nan
            continue
        lo = bins[s]
        hi = bins[s]
        for j in range(s, e):
            lo = min(lo, bins[j])
            hi = max(hi, bins[j])
        for b in range(lo, hi + 1):
            scratch[b - offset] = 0.0
        total = 0.0
        for j in range(s, e):
            scratch[bins[j] - offset] += volume[j]
            total += volume[j]
        best = lo
        for b in range(lo, hi + 1):
            if scratch[b - offset] > scratch[best - offset]:
                best = b
        target = VALUE_AREA * total
        held = scratch[best - offset]
        low = best
        high = best
        while held < target and (low > lo or high < hi):
            up = scratch[high + 1 - offset] if high < hi else -1.0
            down = scratch[low - 1 - offset] if low > lo else -1.0
            if up >= down:
                high += 1
                held += up
            else:
                low -= 1
                held += down
        poc[t] = (best + 0.5) * bin_size
        vah[t] = (high + 0.5) * bin_size
        val[t] = (low + 0.5) * bin_size
