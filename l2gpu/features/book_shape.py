"""Book family: prices, spread, imbalance, depth and slope of the top levels.

Definitions in ``docs/semantics.md``.

Sums run over levels ``i < k``. A missing level has price NaN and size 0, so it adds nothing to
a size sum and nothing to a notional sum (its price is never multiplied in). A ratio whose
denominator is zero is NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from l2gpu.features.book_pass import fused, level_weights
from l2gpu.features.registry import FeatureContext, family
from l2gpu.kernels.level_sums import level_sums_cpu
from l2gpu.kernels.ratio import ratio_cpu


def _levels(ctx: FeatureContext, k: int) -> int:
    if k > ctx.book.depth:
        raise ValueError(f"{k} levels asked for, the book has {ctx.book.depth}")
    return k


def ratio(xp: Any, num: Any, den: Any) -> Any:
    """``num / den``, NaN where ``den`` is zero (or NaN), without warnings."""
    if (
        xp is np
        and np.ndim(num) == 1
        and np.ndim(den) == 1
        and num.dtype == den.dtype == np.float64
    ):
        out = np.empty(den.shape[0])
        ratio_cpu(num, den, out)
        return out
    safe = xp.where(den == 0, xp.nan, den)
    return num / safe


def side_sums(ctx: FeatureContext, k: int, decay: float | None = None) -> tuple[Any, Any, Any, Any]:
    """Return (bid size, ask size, bid notional, ask notional) over the top ``k`` levels.

    Level ``i`` is weighted by ``decay**i``. One kernel pass, shared by every family that needs it.
    """

    def build() -> tuple[Any, Any, Any, Any]:
        book, xp = ctx.book, ctx.xp
        weights = level_weights(xp, book.depth, decay)
        out = xp.empty((4, len(book)))
        args = (book.bid_px, book.bid_sz, book.ask_px, book.ask_sz, weights, k, out)
        if ctx.engine == "gpu":
            from l2gpu.kernels.level_sums_cuda import level_sums_cuda

            level_sums_cuda(*args)
        else:
            level_sums_cpu(*args)
        return out[0], out[1], out[2], out[3]

    return ctx.shared(("side_sums", k, decay), build)


@family("mid")
def mid(ctx: FeatureContext) -> Any:
    """Mid price ``(bid_0 + ask_0) / 2``, quote currency; NaN when a side is empty."""
    return fused(ctx, ("mid",), lambda: (ctx.book.bid_px[0] + ctx.book.ask_px[0]) * 0.5)


@family("spread")
def spread(ctx: FeatureContext) -> Any:
    """Spread ``ask_0 - bid_0``, quote currency."""
    return fused(ctx, ("spread",), lambda: ctx.book.ask_px[0] - ctx.book.bid_px[0])


@family("spread_bps")
def spread_bps(ctx: FeatureContext) -> Any:
    """Spread relative to the mid, bps."""
    return fused(ctx, ("spread_bps",), lambda: 1e4 * spread(ctx) / mid(ctx))


@family("microprice")
def microprice(ctx: FeatureContext) -> Any:
    """``(bid_0 * ask_sz_0 + ask_0 * bid_sz_0) / (bid_sz_0 + ask_sz_0)``, quote currency."""
    b = ctx.book
    return fused(
        ctx,
        ("microprice",),
        lambda: ratio(
            ctx.xp,
            b.bid_px[0] * b.ask_sz[0] + b.ask_px[0] * b.bid_sz[0],
            b.bid_sz[0] + b.ask_sz[0],
        ),
    )


@family("wmid", params=("levels",))
def wmid(ctx: FeatureContext, k: int) -> Any:
    """Microprice over ``k`` levels: each side's VWAP weighted by the other side's size.

    ``(vwap_bid * Q_ask + vwap_ask * Q_bid) / (Q_bid + Q_ask)`` with ``Q`` the sizes of the top
    ``k`` levels; equals the microprice for ``k = 1``. NaN when a side is empty.
    """
    xp = ctx.xp

    def formula() -> Any:
        q_bid, q_ask, n_bid, n_ask = side_sums(ctx, _levels(ctx, k))
        vwap_bid, vwap_ask = ratio(xp, n_bid, q_bid), ratio(xp, n_ask, q_ask)
        return ratio(xp, vwap_bid * q_ask + vwap_ask * q_bid, q_bid + q_ask)

    return fused(ctx, ("wmid", k), formula)


@family("imbalance", params=("levels",), optional=("decay",))
def imbalance(ctx: FeatureContext, k: int, decay: float | None = None) -> Any:
    """Return ``(Q_bid - Q_ask) / (Q_bid + Q_ask)`` over ``k`` levels.

    Level ``i`` is weighted by ``decay**i`` (all weights 1 without ``decay``).
    """

    def formula() -> Any:
        q_bid, q_ask, _, _ = side_sums(ctx, _levels(ctx, k), decay)
        return ratio(ctx.xp, q_bid - q_ask, q_bid + q_ask)

    return fused(ctx, ("imbalance", k, decay), formula)


@family("depth_bid", params=("levels",))
def depth_bid(ctx: FeatureContext, k: int) -> Any:
    """Size on the top ``k`` bid levels, base units."""
    return fused(ctx, ("depth_bid", k), lambda: side_sums(ctx, _levels(ctx, k))[0])


@family("depth_ask", params=("levels",))
def depth_ask(ctx: FeatureContext, k: int) -> Any:
    """Size on the top ``k`` ask levels, base units."""
    return fused(ctx, ("depth_ask", k), lambda: side_sums(ctx, _levels(ctx, k))[1])


@family("slope", params=("levels",))
def slope(ctx: FeatureContext, k: int) -> Any:
    """``(ask_{k-1} - bid_{k-1}) / (Q_bid + Q_ask)``, quote per base unit of depth.

    Over ``k`` levels; NaN when level ``k-1`` is missing on a side.
    """
    b, xp = ctx.book, ctx.xp

    def formula() -> Any:
        q_bid, q_ask, _, _ = side_sums(ctx, _levels(ctx, k))
        return ratio(xp, b.ask_px[k - 1] - b.bid_px[k - 1], q_bid + q_ask)

    return fused(ctx, ("slope", k), formula)
