"""Parameters of the quote family: defaults, validation, kernel encoding (``docs/quote.md``).

``requote``, ``entry_latency``, ``response_latency`` and ``max_hold`` take rows (an int) or a
duration (``"50ms"``, ``"2s"``); ``max_hold`` and ``max_position`` may be ``None`` (no limit);
``signal`` may be ``None`` (no signal skew: ``x = 0``). Defaults: ``half_spread_ticks=1``, no
skew, ``size=1`` base unit, quote every row with no latency, ``queue="risk_averse"``
(``queue_power=2`` for ``prob_power``), no partial fills, ``maker_fee_bps=2`` and
``taker_fee_bps=5`` (Binance USD-M futures' base tier; set them to your venue's; a negative maker
fee is a rebate), no stop, no ``max_hold``, ``cooldown=0`` rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.core.spans import Window
from l2gpu.kernels import quote_layout as layout

DEFAULTS: dict[str, Any] = {
    "signal": None,
    "half_spread_ticks": 1.0,
    "skew_bps": 0.0,
    "inventory_skew_ticks": 0.0,
    "size": 1.0,
    "max_position": None,
    "requote": 0,
    "entry_latency": 0,
    "response_latency": 0,
    "queue": "risk_averse",
    "queue_power": 2.0,
    "partial_fills": False,
    "maker_fee_bps": 2.0,
    "taker_fee_bps": 5.0,
    "stop_loss_bps": 0.0,
    "max_hold": None,
    "cooldown": 0,
}
NAMES: tuple[str, ...] = tuple(DEFAULTS)
QUEUES = {
    "risk_averse": layout.QUEUE_RISK_AVERSE,
    "prob_power": layout.QUEUE_PROB_POWER,
    "prob_log": layout.QUEUE_PROB_LOG,
}
SPANS = ("requote", "entry_latency", "response_latency", "max_hold")
NO_SIGNAL = ""
"""The name the signal matrix gives to the all-zero row of configs without a signal."""


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def span(value: Any, name: str, row: int) -> tuple[float, float]:
    """Return (amount, is_time) of rows (an int) or a duration string (in ns)."""
    if isinstance(value, bool):
        raise ValueError(f"config {row}: {name}={value!r} is not rows or a duration")
    if isinstance(value, int | np.integer):
        if value < 0:
            raise ValueError(f"config {row}: {name}={value} rows is negative")
        return float(value), 0.0
    if isinstance(value, str):
        try:
            parsed = Window.parse(value, allow_zero=True)
        except ValueError as exc:
            raise ValueError(f"config {row}: {name}: {exc}") from None
        if parsed.rows is not None:
            return float(parsed.rows), 0.0
        assert parsed.ns is not None
        return float(parsed.ns), 1.0
    raise ValueError(
        f"config {row}: {name}={value!r} must be rows (an int) or a duration such as '50ms'"
    )


def _number(cfg: Any, name: str, row: int) -> float:
    value = getattr(cfg, name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"config {row}: {name}={value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"config {row}: {name}={value!r} must be finite")
    return number


def _check(cfg: Any, row: int, signal_names: Sequence[str]) -> None:
    if not _missing(cfg.signal) and cfg.signal not in signal_names:
        raise ValueError(
            f"config {row}: signal {cfg.signal!r} is not among the signals {list(signal_names)}"
        )
    if _missing(cfg.signal) and _number(cfg, "skew_bps", row) != 0.0:
        raise ValueError(f"config {row}: skew_bps={cfg.skew_bps} needs a signal")
    if cfg.queue not in QUEUES:
        raise ValueError(f"config {row}: queue {cfg.queue!r} is not one of {', '.join(QUEUES)}")
    if not isinstance(cfg.partial_fills, bool | np.bool_):
        raise ValueError(f"config {row}: partial_fills={cfg.partial_fills!r} must be True or False")
    for name in ("size", "queue_power"):
        if not _number(cfg, name, row) > 0:
            raise ValueError(f"config {row}: {name} must be > 0")
    for name in ("half_spread_ticks", "taker_fee_bps", "stop_loss_bps"):
        if _number(cfg, name, row) < 0:
            raise ValueError(f"config {row}: {name} must be >= 0")
    for name in ("inventory_skew_ticks", "maker_fee_bps"):
        _number(cfg, name, row)
    if not _missing(cfg.max_position) and _number(cfg, "max_position", row) < float(cfg.size):
        raise ValueError(
            f"config {row}: max_position={cfg.max_position} is below size={cfg.size}: "
            "no quote could ever be sent"
        )
    if isinstance(cfg.cooldown, bool) or int(cfg.cooldown) != cfg.cooldown or cfg.cooldown < 0:
        raise ValueError(f"config {row}: cooldown must be a whole number of rows >= 0")
    for name in SPANS:
        value = getattr(cfg, name)
        if not (name == "max_hold" and _missing(value)):
            span(value, name, row)


def normalise(table: pd.DataFrame, signal_names: Sequence[str]) -> pd.DataFrame:
    """Fill defaults and check every value; the table the results are reported against."""
    unknown = sorted(set(table.columns) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; the parameters are {', '.join(NAMES)}")
    out = table.copy()
    for name, default in DEFAULTS.items():
        if name not in out.columns:
            out[name] = [default] * len(out)
    out = out[list(NAMES)].astype(object).reset_index(drop=True)
    for name, default in DEFAULTS.items():
        # A config that leaves a parameter out (NaN in its column) takes the default. A span
        # column keeps its rows (ints) beside None (no limit), which pandas would make floats.
        values = [default if _missing(v) else v for v in out[name]]
        keep = name in SPANS and any(v is None for v in values)
        out[name] = pd.Series(values, index=out.index, dtype=object) if keep else values
    for row, cfg in enumerate(out.itertuples(index=False)):
        _check(cfg, row, signal_names)
    return out


def encode(table: pd.DataFrame, signal_names: Sequence[str]) -> np.ndarray:
    """Return the kernel's float64 parameter matrix ``[P, N_PARAMS]`` for a normalised table.

    ``signal_names`` are the rows of the signal matrix; a config without a signal reads the row
    named :data:`NO_SIGNAL`.
    """
    index = {name: i for i, name in enumerate(signal_names)}
    params = np.zeros((len(table), layout.N_PARAMS))
    for row, cfg in enumerate(table.itertuples(index=False)):
        p = params[row]
        p[layout.P_SIGNAL] = index[NO_SIGNAL if _missing(cfg.signal) else cfg.signal]
        p[layout.P_HALF_SPREAD] = float(cfg.half_spread_ticks)
        p[layout.P_SKEW_BPS] = float(cfg.skew_bps)
        p[layout.P_INV_SKEW] = float(cfg.inventory_skew_ticks)
        p[layout.P_SIZE] = float(cfg.size)
        p[layout.P_MAX_POSITION] = math.inf if _missing(cfg.max_position) else cfg.max_position
        p[layout.P_REQUOTE], p[layout.P_REQUOTE_IS_TIME] = span(cfg.requote, "requote", row)
        p[layout.P_ENTRY_LATENCY], p[layout.P_ENTRY_LATENCY_IS_TIME] = span(
            cfg.entry_latency, "entry_latency", row
        )
        p[layout.P_RESPONSE_LATENCY], p[layout.P_RESPONSE_LATENCY_IS_TIME] = span(
            cfg.response_latency, "response_latency", row
        )
        p[layout.P_QUEUE] = QUEUES[cfg.queue]
        p[layout.P_QUEUE_POWER] = float(cfg.queue_power)
        p[layout.P_PARTIAL] = 1.0 if cfg.partial_fills else 0.0
        p[layout.P_MAKER_FEE_BPS] = float(cfg.maker_fee_bps)
        p[layout.P_TAKER_FEE_BPS] = float(cfg.taker_fee_bps)
        p[layout.P_STOP_BPS] = float(cfg.stop_loss_bps)
        if _missing(cfg.max_hold):
            p[layout.P_MAX_HOLD] = -1.0
        else:
            p[layout.P_MAX_HOLD], p[layout.P_MAX_HOLD_IS_TIME] = span(cfg.max_hold, "max_hold", row)
        p[layout.P_COOLDOWN] = float(int(cfg.cooldown))
    return params
