"""Volatility and activity family: lagged log returns, realised volatility, event intensity.

- ``ret_w``: ``log(mid_t / mid_s)`` with ``s`` the last row before the window (``t - n`` for
  ``n`` rows; the last row with ``ts <= ts_t - w`` for a duration); NaN when there is none.
- ``rv_w``: ``sqrt(sum of r_j**2)`` over the rows ``j`` of the window, ``r_j = log(mid_j /
  mid_{j-1})``; ``r_0`` is undefined (NaN), and a window holding a NaN return is NaN.
- ``intensity_w``: rows per second: the rows in the window divided by its length in seconds
  (a duration), or ``n / (ts_t - ts_{t-n+1})`` for ``n`` rows (NaN before ``n`` rows exist).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from l2gpu.backend.threads import ufunc_in_place
from l2gpu.core.spans import Window
from l2gpu.core.units import NS_PER_S
from l2gpu.features.book_shape import mid, ratio
from l2gpu.features.registry import FeatureContext, PrefixRead, family
from l2gpu.features.rolling import window_sum
from l2gpu.kernels.lagged import (
    events_per_second_cpu,
    ratio_before_window_cpu,
    ratio_to_previous_cpu,
)


def log_returns(ctx: FeatureContext) -> Any:
    """``r_t = log(mid_t / mid_{t-1})``, NaN at row 0 and next to a missing mid."""

    def build() -> Any:
        xp, m = ctx.xp, mid(ctx)
        if xp is np:
            out = np.empty(m.shape[0])
            ratio_to_previous_cpu(m, out)
            return ufunc_in_place(np.log, out)
        return xp.concatenate((xp.full(min(1, m.shape[0]), xp.nan), xp.log(m[1:] / m[:-1])))

    return ctx.shared("log_returns", build)


@family("ret", params=("window",))
def ret(ctx: FeatureContext, window: Window) -> Any:
    """Log return of the mid over the trailing ``window``."""
    xp, m = ctx.xp, mid(ctx)
    if xp is np:
        out = ctx.result("ret", window)
        ratio_before_window_cpu(m, ctx.starts(window), out)
        return ufunc_in_place(np.log, out)
    before = ctx.starts(window) - 1
    past = m[xp.maximum(before, 0)]
    return xp.where(before >= 0, xp.log(m / past), xp.nan)


def _squared_returns(ctx: FeatureContext) -> PrefixRead:
    """Return the prefix sum ``rv`` reads: of the squared log returns."""
    return PrefixRead("squared_returns", lambda: log_returns(ctx), square=True)


@family("rv", params=("window",), prefix=lambda ctx, window: _squared_returns(ctx))
def rv(ctx: FeatureContext, window: Window) -> Any:
    """Realised volatility over the trailing ``window``: root of the summed squared returns."""
    reads = _squared_returns(ctx)
    prefix = ctx.prefix(reads.key, reads.values, square=reads.square)
    out = ctx.result("rv", window) if ctx.xp is np else None
    sums = window_sum(prefix, ctx.starts(window), ctx.xp, out)
    if ctx.xp is np:
        return ufunc_in_place(np.sqrt, sums)
    return ctx.xp.sqrt(sums, out=sums)


@family("intensity", params=("window",))
def intensity(ctx: FeatureContext, window: Window) -> Any:
    """Book events per second over the trailing ``window``."""
    xp, ts = ctx.xp, ctx.book.ts
    starts = ctx.starts(window)
    if xp is np and window.ns is not None:
        out = ctx.result("intensity", window)
        events_per_second_cpu(starts, window.ns / NS_PER_S, out)
        return out
    rows = xp.arange(ts.shape[0], dtype=xp.int64) - starts + 1
    if window.ns is not None:
        return rows / (window.ns / NS_PER_S)
    span = (ts - ts[starts]) / NS_PER_S
    return xp.where(rows == window.rows, ratio(xp, rows.astype(xp.float64), span), xp.nan)
