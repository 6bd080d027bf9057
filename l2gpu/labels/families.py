"""The label families. Labels read the future on purpose: they are targets, never inputs.

- ``fwd_ret_<h>``: ``log(mid_end / mid_t)``; the end row is ``t + h`` (rows) or the first row with
  ``ts >= ts_t + h`` (time); NaN where it runs past the data.
- ``fwd_class_<h>_<bps>``: +1 / -1 / 0 as ``fwd_ret`` is above ``bps * 1e-4``, below its negative,
  or between (a log-return threshold).
- ``fwd_class_<h>_cost``: the same with a threshold that pays the round trip at ``t``: half the
  spread and the taker fee on entry and again on exit, ``spread_t / mid_t + 2 * fee * 1e-4``.
- ``volnorm_ret_<h>_<w>``: ``fwd_ret_<h>`` divided by the trailing realised volatility ``rv_<w>``.
- ``tbarrier_<h>_<k>spread`` / ``tbarrier_<h>_<k>vol``: triple barrier at ``mid_t +- k *
  spread_t``, or at ``mid_t * exp(+-k * rv_h)`` (trailing volatility over the same span as the
  horizon); also gives ``<name>_touch``, the touch time in ns (-1 where undefined).

Each family uses the public feature functions of :mod:`l2gpu.features` only.
"""

from __future__ import annotations

from typing import Any

from l2gpu.core.spans import Window
from l2gpu.core.units import BPS
from l2gpu.features import FeatureContext, mid, ratio, rv, spread
from l2gpu.kernels.triple_barrier import triple_barrier_cpu
from l2gpu.labels.registry import TOUCH_SUFFIX, label


@label("fwd_ret", params=("horizon",))
def forward_return(ctx: FeatureContext, horizon: Window, taker_fee_bps: float = 0.0) -> Any:
    """Forward log return of the mid over the horizon, NaN where it runs past the data."""

    def build() -> Any:
        xp, m = ctx.xp, mid(ctx)
        ends = ctx.shared(("ends", horizon.text), lambda: horizon.ends(ctx.book.ts, xp))
        inside = ends < m.shape[0]
        later = m[xp.minimum(ends, m.shape[0] - 1)]
        return xp.where(inside, xp.log(later / m), xp.nan)

    return ctx.shared(("fwd_ret", horizon.text), build)


@label("fwd_class", params=("horizon", "threshold"))
def forward_class(
    ctx: FeatureContext, horizon: Window, threshold_bps: float | None, taker_fee_bps: float
) -> Any:
    """+1 / -1 / 0 as the forward return clears a threshold in bps, or the round-trip cost."""
    xp = ctx.xp
    returns = forward_return(ctx, horizon)
    if threshold_bps is None:
        threshold = ratio(xp, spread(ctx), mid(ctx)) + 2 * taker_fee_bps * BPS
    else:
        threshold = xp.full(returns.shape[0], threshold_bps * BPS)
    labels = xp.where(returns > threshold, 1.0, xp.where(returns < -threshold, -1.0, 0.0))
    return xp.where(xp.isnan(returns) | xp.isnan(threshold), xp.nan, labels)


@label("volnorm_ret", params=("horizon", "window"))
def volatility_normalised_return(
    ctx: FeatureContext, horizon: Window, window: Window, taker_fee_bps: float = 0.0
) -> Any:
    """Forward log return over the trailing realised volatility of ``window``."""
    return ratio(ctx.xp, forward_return(ctx, horizon), rv(ctx, window))


@label("tbarrier", params=("horizon", "barrier"), outputs=("", TOUCH_SUFFIX))
def triple_barrier(
    ctx: FeatureContext, horizon: Window, barrier: tuple[float, str], taker_fee_bps: float = 0.0
) -> tuple[Any, Any]:
    """First touch of the upper (+1) or lower (-1) barrier before the horizon (0), and its time."""
    xp, m = ctx.xp, mid(ctx)
    multiple, unit = barrier
    if unit == "spread":
        width = multiple * spread(ctx)
        upper, lower = m + width, m - width
    else:
        sigma = rv(ctx, horizon)
        upper, lower = m * xp.exp(multiple * sigma), m * xp.exp(-multiple * sigma)
    ends = horizon.ends(ctx.book.ts, xp)
    out = xp.empty(m.shape[0])
    touch = xp.empty(m.shape[0], dtype=xp.int64)
    if ctx.engine == "gpu":
        from l2gpu.kernels.triple_barrier_cuda import triple_barrier_cuda

        triple_barrier_cuda(m, ctx.book.ts, ends, upper, lower, out, touch)
    else:
        triple_barrier_cpu(m, ctx.book.ts, ends, upper, lower, out, touch)
    return out, touch
