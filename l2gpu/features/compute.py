"""``compute()``: features by name, on the CPU or the GPU, sharing passes between names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from l2gpu.backend.arrays import Device, array_device, to_device
from l2gpu.core.registry import ParsedName
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.features.registry import Family, FeatureContext, parse_name, result_key

DTYPES = ("float64", "float32")
DEFAULT_FEATURES: tuple[str, ...] = (
    "mid",
    "spread",
    "spread_bps",
    "microprice",
    "wmid_5",
    "imbalance_5",
    "imbalance_5_decay0.5",
    "depth_bid_5",
    "depth_ask_5",
    "slope_5",
    "ofi_100",
    "ofi_2s",
    "mlofi_5_2s",
    "ret_100",
    "rv_2s",
    "intensity_1s",
    "impact_buy_0.5",
    "impact_sell_0.5",
    "trade_imb_5s",
    "cvd",
    "vwap_dev_30s",
    "vp_poc_60s",
    "vp_vah_60s",
    "vp_val_60s",
)
"""One feature of each family and parameter kind: the set benchmarks and the main job use."""


def compute(
    book: Book,
    names: Iterable[str],
    engine: str | None = None,
    trades: Trades | None = None,
    dtype: str = "float64",
    out: Any = None,
) -> dict[str, Any]:
    """Compute features by name.

    Parameters
    ----------
    book : Book
        The book; results come back on its device.
    names : iterable of str
        Feature names such as ``"ofi_2s"``, ``"imbalance_5_decay0.5"``, ``"impact_buy_0.5"``
        (see :mod:`l2gpu.features.registry` for the grammar and :func:`known_families`).
    engine : {"auto", "cpu", "gpu"} or None
        Where the kernels run; ``None`` means ``"auto"``.
    trades : Trades, optional
        Needed by the trades family (``trade_imb``, ``cvd``, ``vwap_dev``, ``vp_*``).
    dtype : {"float64", "float32"}
        Precision of the returned arrays. Everything is computed in float64 (prefix sums over
        millions of rows need it); ``"float32"`` rounds the results, a relative error of at most
        2**-24 (6e-8), halving the memory of a feature matrix on the GPU.
    out : array, optional
        A ``[len(names), T]`` C-contiguous array of ``dtype`` on the book's device that
        receives feature ``i`` in row ``i`` (the returned arrays are its rows). A caller that
        computes features chunk after chunk reuses one matrix instead of new memory every call;
        on the CPU in float64 the kernels write their rows directly. It must not overlap the
        book or the trades.

    Returns
    -------
    dict of str to array
        One ``[T]`` array per name, in the order given.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    specs = tuple(parse_name(name) for name in names)
    if out is not None:
        _check_out(out, len(specs), len(book), dtype, book.device)
    ctx = FeatureContext.for_book(book, engine, trades, planned=specs)
    if out is None:
        results = {}
        for spec in specs:
            values = spec.entry.compute(ctx, *spec.args, **spec.options)
            if dtype == "float32":
                values = values.astype("float32")
            results[spec.name] = to_device(values, book.device)
        return results
    return _compute_into(ctx, specs, out, dtype, book.device)


def _check_out(out: Any, rows: int, columns: int, dtype: str, device: Device) -> None:
    """Raise ``ValueError`` unless ``out`` can hold ``rows`` features of ``columns`` rows."""
    want = f"a C-contiguous [{rows}, {columns}] {dtype} array on the {device}"
    if getattr(out, "ndim", None) != 2:
        raise ValueError(f"out must be {want}, got {type(out).__name__}")
    if array_device(out) != device:
        raise ValueError(f"out must be {want}; it is on the {array_device(out)}")
    if tuple(out.shape) != (rows, columns) or str(out.dtype) != dtype:
        raise ValueError(f"out must be {want}, got shape {tuple(out.shape)} of {out.dtype}")
    if not out.flags.c_contiguous:
        raise ValueError(f"out must be {want}; it is not C-contiguous")


def _compute_into(
    ctx: FeatureContext,
    specs: tuple[ParsedName[Family], ...],
    out: Any,
    dtype: str,
    device: Device,
) -> dict[str, Any]:
    """Compute ``specs`` into the rows of ``out``, on ``device`` (see :func:`compute`)."""
    rows = tuple(out[i] for i in range(len(specs)))
    if ctx.engine == "cpu" and device == "cpu" and dtype == "float64":
        ctx.out, ctx.out_rows = out, rows
        for i, spec in enumerate(specs):
            ctx.destinations.setdefault(result_key(spec.family, spec.args, spec.options), i)
    results = {}
    for spec, row in zip(specs, rows, strict=True):
        values = spec.entry.compute(ctx, *spec.args, **spec.options)
        if values is not row:
            row[...] = to_device(values, device)
        results[spec.name] = row
    return results


def is_causal(name: str) -> bool:
    """Whether the feature ``name`` uses only rows at or before each row."""
    return parse_name(name).entry.causal
