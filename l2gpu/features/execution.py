"""Execution family: the cost of taking ``q`` base units by walking the book, bps from the mid.

``impact_buy_q = 1e4 * (vwap_ask(q) - mid) / mid`` and ``impact_sell_q = 1e4 * (mid -
vwap_bid(q)) / mid``, with the depth-walk VWAP of :mod:`l2gpu.kernels.depth_walk` (depth that
runs out fills at the last visible level). NaN when the side (or the mid) is missing.
"""

from __future__ import annotations

from typing import Any

from l2gpu.features.book_pass import fused
from l2gpu.features.book_shape import mid
from l2gpu.features.registry import FeatureContext, family
from l2gpu.kernels.depth_walk import depth_walk_cpu


def fill_vwap(ctx: FeatureContext, px: Any, sz: Any, qty: float) -> tuple[Any, Any]:
    """Depth-walk VWAP and depth-exhausted flags for a taker of ``qty`` on one side."""
    xp = ctx.xp
    vwap = xp.empty(px.shape[1])
    exhausted = xp.empty(px.shape[1], dtype=xp.bool_)
    if ctx.engine == "gpu":
        from l2gpu.kernels.depth_walk_cuda import depth_walk_cuda

        depth_walk_cuda(px, sz, qty, vwap, exhausted)
    else:
        depth_walk_cpu(px, sz, qty, vwap, exhausted)
    return vwap, exhausted


@family("impact_buy", params=("size",))
def impact_buy(ctx: FeatureContext, qty: float) -> Any:
    """Cost of buying ``qty`` base units at market, bps above the mid."""

    def formula() -> Any:
        m = mid(ctx)
        vwap, _ = fill_vwap(ctx, ctx.book.ask_px, ctx.book.ask_sz, qty)
        return 1e4 * (vwap - m) / m

    return fused(ctx, ("impact_buy", qty), formula)


@family("impact_sell", params=("size",))
def impact_sell(ctx: FeatureContext, qty: float) -> Any:
    """Cost of selling ``qty`` base units at market, bps below the mid."""

    def formula() -> Any:
        m = mid(ctx)
        vwap, _ = fill_vwap(ctx, ctx.book.bid_px, ctx.book.bid_sz, qty)
        return 1e4 * (m - vwap) / m

    return fused(ctx, ("impact_sell", qty), formula)
