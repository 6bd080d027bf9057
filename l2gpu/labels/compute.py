"""``compute()``: labels by name (see :mod:`l2gpu.labels.names`).

Labels read the future on purpose: they are targets, never inputs (see :mod:`l2gpu.labels.guard`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from l2gpu.backend.arrays import to_device
from l2gpu.data.book import Book
from l2gpu.features.book_shape import mid, ratio
from l2gpu.features.book_shape import spread as spread_feature
from l2gpu.features.registry import FeatureContext
from l2gpu.features.volatility import rv
from l2gpu.features.windows import Window
from l2gpu.kernels.triple_barrier import triple_barrier_cpu
from l2gpu.labels.names import LabelSpec, parse_label

DEFAULT_TAKER_FEE_BPS = 5.0


def forward_return(ctx: FeatureContext, horizon: Window) -> Any:
    """``log(mid_end / mid_t)``, NaN where the horizon runs past the data."""

    def build() -> Any:
        xp, m = ctx.xp, mid(ctx)
        ends = ctx.shared(("ends", horizon.text), lambda: horizon.ends(ctx.book.ts, xp))
        inside = ends < m.shape[0]
        later = m[xp.minimum(ends, m.shape[0] - 1)]
        return xp.where(inside, xp.log(later / m), xp.nan)

    return ctx.shared(("fwd_ret", horizon.text), build)


def _classes(xp: Any, returns: Any, threshold: Any) -> Any:
    labels = xp.where(returns > threshold, 1.0, xp.where(returns < -threshold, -1.0, 0.0))
    return xp.where(xp.isnan(returns) | xp.isnan(threshold), xp.nan, labels)


def _barrier(ctx: FeatureContext, spec: LabelSpec) -> tuple[Any, Any]:
    xp, m = ctx.xp, mid(ctx)
    assert spec.multiple is not None
    if spec.barrier == "spread":
        width = spec.multiple * spread_feature(ctx)
        upper, lower = m + width, m - width
    else:
        sigma = rv(ctx, spec.horizon)
        upper, lower = m * xp.exp(spec.multiple * sigma), m * xp.exp(-spec.multiple * sigma)
    ends = spec.horizon.ends(ctx.book.ts, xp)
    label = xp.empty(m.shape[0])
    touch = xp.empty(m.shape[0], dtype=xp.int64)
    if ctx.engine == "gpu":
        from l2gpu.kernels.triple_barrier_cuda import triple_barrier_cuda

        triple_barrier_cuda(m, ctx.book.ts, ends, upper, lower, label, touch)
    else:
        triple_barrier_cpu(m, ctx.book.ts, ends, upper, lower, label, touch)
    return label, touch


def compute(
    book: Book,
    names: Iterable[str],
    engine: str | None = None,
    taker_fee_bps: float = DEFAULT_TAKER_FEE_BPS,
) -> dict[str, Any]:
    """Compute labels by name.

    Parameters
    ----------
    book : Book
        The book; results come back on its device.
    names : iterable of str
        Label names, see :mod:`l2gpu.labels.names`.
    engine : {"auto", "cpu", "gpu"} or None
        Where the work runs.
    taker_fee_bps : float
        Taker fee per side, bps, for ``fwd_class_<h>_cost``.

    Returns
    -------
    dict of str to array
        ``[T]`` float64 per name (NaN where undefined); a triple-barrier name also gives
        ``<name>_touch``, int64 ns (-1 where undefined).
    """
    specs = [parse_label(name) for name in names]
    ctx = FeatureContext.for_book(book, engine)
    xp = ctx.xp
    out: dict[str, Any] = {}
    for spec in specs:
        if spec.kind == "fwd_ret":
            out[spec.name] = forward_return(ctx, spec.horizon)
        elif spec.kind == "fwd_class":
            returns = forward_return(ctx, spec.horizon)
            if spec.threshold_bps is None:
                threshold = ratio(xp, spread_feature(ctx), mid(ctx)) + 2 * taker_fee_bps * 1e-4
            else:
                threshold = xp.full(returns.shape[0], spec.threshold_bps * 1e-4)
            out[spec.name] = _classes(xp, returns, threshold)
        elif spec.kind == "volnorm_ret":
            assert spec.window is not None
            out[spec.name] = ratio(xp, forward_return(ctx, spec.horizon), rv(ctx, spec.window))
        else:
            out[spec.name], out[f"{spec.name}_touch"] = _barrier(ctx, spec)
    return {name: to_device(values, book.device) for name, values in out.items()}
