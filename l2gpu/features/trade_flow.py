"""Trades family: trades aligned as-of each book row, over trailing windows.

A trade counts at row ``t`` when its ``ts <= ts_t``; a window holds the trades with
``ts > ts_t - w`` (a duration) or the last ``n`` trades (rows).

- ``trade_imb_w``: ``(buy volume - sell volume) / (buy + sell)``, NaN without trades;
- ``cvd``: cumulative volume delta, the sum of ``side * size`` of all trades so far, base units;
- ``vwap_dev_w``: ``1e4 * (mid / vwap_w - 1)``, bps of the mid above the window's trade VWAP;
- ``vp_poc_w``, ``vp_vah_w``, ``vp_val_w``: volume profile of the window (see
  :mod:`l2gpu.kernels.volume_profile`); the bin is the book's tick unless ``bin<x>`` is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from l2gpu.backend.arrays import to_device
from l2gpu.core.spans import Window
from l2gpu.features.book_shape import mid, ratio
from l2gpu.features.registry import FeatureContext, family
from l2gpu.features.rolling import sorted_right
from l2gpu.kernels import trade_windows
from l2gpu.kernels.trade_windows import (
    trade_imbalance_cpu,
    trade_prefixes_cpu,
    vwap_deviation_cpu,
)
from l2gpu.kernels.volume_profile import profile_inputs_cpu, volume_profile_cpu
from l2gpu.kernels.windows import range_diff_cpu, running_total_cpu

SIZE_UNITS = 10**8
"""Trade sizes enter the profile as integer units of 1e-8, so the sliding window is exact."""
PREFIX_KINDS = {
    "size": trade_windows.SIZE,
    "notional": trade_windows.NOTIONAL,
    "buy": trade_windows.BUY,
    "sell": trade_windows.SELL,
    "signed": trade_windows.SIGNED,
}
"""The per-trade quantities whose prefix sums the windows take, and their kernel kind (the row
of :func:`~l2gpu.kernels.trade_windows.trade_prefixes_cpu`)."""
PREFIXES_READ = {"trade_imb": ("buy", "sell"), "vwap_dev": ("notional", "size"), "cvd": ("signed",)}
"""The prefix sums each family reads: on the CPU those of the planned names are built at once."""
PROFILE_FAMILIES = ("vp_poc", "vp_vah", "vp_val")
"""The features one volume profile pass computes, in the order of its results."""
BIN_EPSILON = 1e-9
"""Added to ``px / bin`` before the floor, so a price on the bin grid never lands one bin low."""


def _trade_array(ctx: FeatureContext, name: str, what: str) -> Any:
    trades = ctx.require_trades(what)
    return ctx.shared(
        ("trades", name),
        lambda: to_device(getattr(trades, name), ctx.book.device, f"trades {name}"),
    )


def _ends(ctx: FeatureContext, what: str) -> Any:
    """Per book row: one past the last trade with ``ts <= ts_t``."""
    trade_ts = _trade_array(ctx, "ts", what)
    return ctx.shared("trade_ends", lambda: sorted_right(trade_ts, ctx.book.ts, 0, ctx.xp))


def _bounds(ctx: FeatureContext, window: Window | None, what: str) -> tuple[Any, Any]:
    """Per book row: (first trade in the window, one past the last trade with ts <= ts_t)."""
    xp, ts = ctx.xp, ctx.book.ts
    trade_ts = _trade_array(ctx, "ts", what)
    ends = _ends(ctx, what)
    if window is None:
        return xp.zeros_like(ends), ends
    if window.rows is not None:
        return xp.maximum(ends - window.rows, 0), ends
    ns = int(window.ns or 0)
    return ctx.shared(
        ("trade_starts", window.text), lambda: sorted_right(trade_ts, ts, ns, xp)
    ), ends


def _cpu_window(ctx: FeatureContext, window: Window, what: str) -> tuple[Any, ...]:
    """Return a window as the CPU trade kernels take it: (trade ts, book ts, ns, rows, ends).

    The kernels find each row's first trade themselves (``kernels/trade_windows.py``).
    """
    ns = 0 if window.rows is not None else int(window.ns or 0)
    rows = int(window.rows or 0)
    return _trade_array(ctx, "ts", what), ctx.book.ts, ns, rows, _ends(ctx, what)


def _cpu_trade_prefixes(ctx: FeatureContext, keys: set[str], what: str) -> dict[str, Any]:
    """Build the prefix sums of the quantities ``keys`` (of :data:`PREFIX_KINDS`) in one pass."""
    size, px, side = (_trade_array(ctx, name, what) for name in ("sz", "px", "side"))
    wanted = np.array([name in keys for name in PREFIX_KINDS])
    out = np.empty((len(PREFIX_KINDS), size.shape[0] + 1))
    trade_prefixes_cpu(wanted, size, px, side, out)
    return {name: out[k] for name, k in PREFIX_KINDS.items() if name in keys}


def _trade_prefix(ctx: FeatureContext, key: str, what: str) -> Any:
    def build() -> Any:
        xp = ctx.xp
        size = _trade_array(ctx, "sz", what)
        if xp is np:
            planned = {key, *(k for s in ctx.planned for k in PREFIXES_READ.get(s.family, ()))}
            prefixes = ctx.shared("trade_prefixes", lambda: _cpu_trade_prefixes(ctx, planned, what))
            if key in prefixes:
                return prefixes[key]
            return _cpu_trade_prefixes(ctx, {key}, what)[key]
        if key == "size":
            values = size
        elif key == "notional":
            values = size * _trade_array(ctx, "px", what)
        else:
            side = _trade_array(ctx, "side", what).astype(xp.float64)
            values = {
                "buy": lambda: xp.where(side > 0, size, 0.0),
                "sell": lambda: xp.where(side < 0, size, 0.0),
                "signed": lambda: side * size,
            }[key]()
        return xp.concatenate((xp.zeros(1), xp.cumsum(values)))

    return ctx.shared(("trade_prefix", key), build)


def _window_total(ctx: FeatureContext, key: str, window: Window | None, what: str) -> Any:
    starts, ends = _bounds(ctx, window, what)
    prefix = _trade_prefix(ctx, key, what)
    if ctx.xp is np:
        out = np.empty(ends.shape[0])
        range_diff_cpu(prefix, starts, ends, out)
        return out
    return prefix[ends] - prefix[starts]


@family("trade_imb", params=("window",))
def trade_imbalance(ctx: FeatureContext, window: Window) -> Any:
    """Signed share of aggressive volume in the trailing window, in [-1, 1]."""
    if ctx.xp is np:
        out = ctx.result("trade_imb", window)
        buy, sell = (_trade_prefix(ctx, key, "trade_imb") for key in ("buy", "sell"))
        trade_ts, ts, ns, rows, ends = _cpu_window(ctx, window, "trade_imb")
        trade_imbalance_cpu(buy, sell, trade_ts, ts, ns, rows, ends, out)
        return out
    buy = _window_total(ctx, "buy", window, "trade_imb")
    sell = _window_total(ctx, "sell", window, "trade_imb")
    return ratio(ctx.xp, buy - sell, buy + sell)


@family("cvd")
def cvd(ctx: FeatureContext) -> Any:
    """Cumulative volume delta of all trades up to each row, base units."""
    if ctx.xp is np:
        ends = _ends(ctx, "cvd")
        out = ctx.result("cvd")
        running_total_cpu(_trade_prefix(ctx, "signed", "cvd"), ends, out)
        return out
    return _window_total(ctx, "signed", None, "cvd")


@family("vwap_dev", params=("window",))
def vwap_deviation(ctx: FeatureContext, window: Window) -> Any:
    """Mid relative to the trailing trade VWAP, bps."""
    if ctx.xp is np:
        out = ctx.result("vwap_dev", window)
        notional, size = (_trade_prefix(ctx, key, "vwap_dev") for key in ("notional", "size"))
        trade_ts, ts, ns, rows, ends = _cpu_window(ctx, window, "vwap_dev")
        vwap_deviation_cpu(notional, size, mid(ctx), trade_ts, ts, ns, rows, ends, out)
        return out
    size = _window_total(ctx, "size", window, "vwap_dev")
    vwap = ratio(ctx.xp, _window_total(ctx, "notional", window, "vwap_dev"), size)
    return 1e4 * (mid(ctx) / vwap - 1.0)


def _profile(
    ctx: FeatureContext, window: Window, bin_size: float | None, what: str
) -> tuple[Any, Any, Any]:
    given_bin = bin_size
    if bin_size is None:
        if not ctx.book.meta.tick_size:
            raise ValueError(f"{what}: the book has no tick size; give a bin, e.g. {what}_bin0.1")
        bin_size = float(ctx.book.meta.tick_size)

    def build() -> tuple[Any, Any, Any]:
        trades = ctx.require_trades(what)
        # The kernel finds each row's first trade itself; on the GPU engine the book's ts and
        # the trade ends come down (the trades' ts is the host array given).
        _, ts, ns, rows, ends = _cpu_window(ctx, window, what)
        ts, ends = (to_device(a, "cpu", f"{what} window bounds") for a in (ts, ends))
        trade_ts = np.ascontiguousarray(trades.ts)
        bins = np.empty(len(trades), dtype=np.int64)
        units = np.empty(len(trades), dtype=np.int64)
        profile_inputs_cpu(trades.px, trades.sz, bin_size, BIN_EPSILON, SIZE_UNITS, bins, units)
        offset = int(bins.min()) if bins.size else 0
        span = int(bins.max()) - offset + 1 if bins.size else 1
        poc, vah, val = (ctx.result(f, window, bin=given_bin) for f in PROFILE_FAMILIES)
        bounds = (trade_ts, ts, ns, rows)
        volume_profile_cpu(bins, units, bounds, ends, bin_size, offset, span, poc, vah, val)
        return tuple(to_device(a, ctx.book.device, f"{what} profile") for a in (poc, vah, val))

    return ctx.shared(("profile", window.text, bin_size), build)


@family("vp_poc", params=("window",), optional=("bin",))
def vp_poc(ctx: FeatureContext, window: Window, bin: float | None = None) -> Any:
    """Point of control of the trailing volume profile, quote currency."""
    return _profile(ctx, window, bin, "vp_poc")[0]


@family("vp_vah", params=("window",), optional=("bin",))
def vp_vah(ctx: FeatureContext, window: Window, bin: float | None = None) -> Any:
    """Value-area high (70% of volume) of the trailing volume profile, quote currency."""
    return _profile(ctx, window, bin, "vp_vah")[1]


@family("vp_val", params=("window",), optional=("bin",))
def vp_val(ctx: FeatureContext, window: Window, bin: float | None = None) -> Any:
    """Value-area low (70% of volume) of the trailing volume profile, quote currency."""
    return _profile(ctx, window, bin, "vp_val")[2]
