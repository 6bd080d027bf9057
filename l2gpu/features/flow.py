"""Flow family: order-flow imbalance over row or time windows (``docs/semantics.md``).

``e_t`` (Cont, Kukanov & Stoikov 2014), for ``t >= 1`` with best prices ``P`` and sizes ``q``::

    e_t = 1[Pb_t >= Pb_{t-1}] qb_t - 1[Pb_t <= Pb_{t-1}] qb_{t-1}
        - 1[Pa_t <= Pa_{t-1}] qa_t + 1[Pa_t >= Pa_{t-1}] qa_{t-1},     e_0 = 0

A comparison with a missing (NaN) price is false. ``ofi_w`` is the trailing sum of ``e`` over
``w``; ``mlofi_k_w`` sums the same quantity computed at each of the top ``k`` levels (Xu, Varma &
Kearns 2019), with equal weights. On the CPU the levels are summed in one pass
(:mod:`l2gpu.kernels.flow`); the prefix sum of each level total is built once for all windows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from l2gpu.core.spans import Window
from l2gpu.features.book_pass import fused
from l2gpu.features.registry import FeatureContext, PrefixRead, family
from l2gpu.features.rolling import window_sum
from l2gpu.kernels.flow import level_flow_cpu


def level_flow(ctx: FeatureContext, level: int) -> Any:
    """``e_t`` at one level, ``[T]`` (0 at row 0), with the array formula."""

    def build() -> Any:
        b, xp = ctx.book, ctx.xp
        pb, qb, pa, qa = b.bid_px[level], b.bid_sz[level], b.ask_px[level], b.ask_sz[level]
        e = (
            (pb[1:] >= pb[:-1]) * qb[1:]
            - (pb[1:] <= pb[:-1]) * qb[:-1]
            - (pa[1:] <= pa[:-1]) * qa[1:]
            + (pa[1:] >= pa[:-1]) * qa[:-1]
        )
        return xp.concatenate((xp.zeros(min(1, pb.shape[0])), e))

    return ctx.shared(("flow", level), build)


def levels_flow(ctx: FeatureContext, k: int) -> Any:
    """``e_t`` summed over the top ``k`` levels, ``[T]``: ``(0 + e(0)) + e(1) + ...``."""

    def formula() -> Any:
        if ctx.xp is not np:
            return sum(level_flow(ctx, i) for i in range(k))
        b = ctx.book
        out = np.empty(len(b))
        level_flow_cpu(b.bid_px, b.bid_sz, b.ask_px, b.ask_sz, k, out)
        return out

    return fused(ctx, ("levels_flow", k), formula)


def _flow_prefix(ctx: FeatureContext, k: int) -> PrefixRead | None:
    """Return the prefix sum of the top-``k`` flow; none past the book's depth (it raises)."""
    if k > ctx.book.depth:
        return None
    return PrefixRead(("mlflow", k), lambda: levels_flow(ctx, k))


@family("ofi", params=("window",), prefix=lambda ctx, window: _flow_prefix(ctx, 1))
def ofi(ctx: FeatureContext, window: Window) -> Any:
    """Order-flow imbalance at the best level summed over ``window``, base units."""
    prefix = ctx.prefix(("mlflow", 1), lambda: levels_flow(ctx, 1))
    out = ctx.result("ofi", window) if ctx.xp is np else None
    return window_sum(prefix, ctx.starts(window), ctx.xp, out)


@family("mlofi", params=("levels", "window"), prefix=lambda ctx, k, window: _flow_prefix(ctx, k))
def mlofi(ctx: FeatureContext, k: int, window: Window) -> Any:
    """Multi-level OFI: the sum over the top ``k`` levels of each level's OFI, base units."""
    if k > ctx.book.depth:
        raise ValueError(f"{k} levels asked for, the book has {ctx.book.depth}")
    prefix = ctx.prefix(("mlflow", k), lambda: levels_flow(ctx, k))
    out = ctx.result("mlofi", k, window) if ctx.xp is np else None
    return window_sum(prefix, ctx.starts(window), ctx.xp, out)
