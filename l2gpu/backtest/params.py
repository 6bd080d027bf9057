"""Parameters of the threshold family: defaults, grid expansion, validation, kernel encoding.

``max_hold`` and ``latency`` take rows (an int) or a duration (``"50ms"``, ``"2s"``); ``max_hold``
may be ``None`` (no limit). Defaults: ``exit=0``, ``max_hold=None``, ``stop_loss_bps=0`` and
``take_profit_bps=0`` (off), ``size=1`` base unit, ``latency=0``, ``taker_fee_bps=5`` (a common
perpetual-futures taker fee; set it to your venue's), ``cooldown=0`` rows, ``direction="both"``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.core.spans import Window
from l2gpu.kernels import sweep_layout as layout

DEFAULTS: dict[str, Any] = {
    "exit": 0.0,
    "max_hold": None,
    "stop_loss_bps": 0.0,
    "take_profit_bps": 0.0,
    "size": 1.0,
    "latency": 0,
    "taker_fee_bps": 5.0,
    "cooldown": 0,
    "direction": "both",
}
NAMES: tuple[str, ...] = ("signal", "entry", *DEFAULTS)
DIRECTIONS = {"long": 1.0, "short": -1.0, "both": 0.0}


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Cartesian product of the lists in ``grid``, one row per config, in ``grid`` order."""
    names = list(grid)
    values = [
        list(v) if isinstance(v, list | tuple | range | np.ndarray) else [v] for v in grid.values()
    ]
    return pd.DataFrame(list(itertools.product(*values)), columns=names)


def _span(value: Any, name: str, row: int) -> tuple[float, float]:
    """(amount, is_time): rows as an int, or a duration string in ns."""
    if isinstance(value, bool):
        raise ValueError(f"config {row}: {name}={value!r} is not rows or a duration")
    if isinstance(value, int | np.integer):
        if value < 0:
            raise ValueError(f"config {row}: {name}={value} rows is negative")
        return float(value), 0.0
    if isinstance(value, str):
        if value.isdigit():
            return float(value), 0.0
        try:
            span = Window.parse(value)
        except ValueError as exc:
            raise ValueError(f"config {row}: {name}: {exc}") from None
        assert span.ns is not None
        return float(span.ns), 1.0
    raise ValueError(
        f"config {row}: {name}={value!r} must be rows (an int) or a duration such as '50ms'"
    )


def normalise(table: pd.DataFrame, signal_names: Sequence[str]) -> pd.DataFrame:
    """Fill defaults and check every value; the table the results are reported against."""
    unknown = sorted(set(table.columns) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; the parameters are {', '.join(NAMES)}")
    missing = [n for n in ("signal", "entry") if n not in table.columns]
    if missing:
        raise ValueError(f"every config needs {missing}")
    out = table.copy()
    for name, default in DEFAULTS.items():
        if name not in out.columns:
            out[name] = [default] * len(out)
    out = out[list(NAMES)].reset_index(drop=True)
    for row, cfg in enumerate(out.itertuples(index=False)):
        if cfg.signal not in signal_names:
            raise ValueError(
                f"config {row}: signal {cfg.signal!r} is not among the signals {list(signal_names)}"
            )
        if not float(cfg.entry) > 0:
            raise ValueError(f"config {row}: entry must be > 0, got {cfg.entry!r}")
        if cfg.direction not in DIRECTIONS:
            raise ValueError(
                f"config {row}: direction {cfg.direction!r} is not one of {', '.join(DIRECTIONS)}"
            )
        for name in ("size",):
            if not float(getattr(cfg, name)) > 0:
                raise ValueError(f"config {row}: {name} must be > 0")
        for name in ("stop_loss_bps", "take_profit_bps", "taker_fee_bps"):
            if float(getattr(cfg, name)) < 0:
                raise ValueError(f"config {row}: {name} must be >= 0")
        if int(cfg.cooldown) < 0:
            raise ValueError(f"config {row}: cooldown must be >= 0 rows")
    return out


def encode(table: pd.DataFrame, signal_names: Sequence[str]) -> np.ndarray:
    """Return the kernel's float64 parameter matrix ``[P, N_PARAMS]`` for a normalised table."""
    index = {name: i for i, name in enumerate(signal_names)}
    params = np.zeros((len(table), layout.N_PARAMS))
    for row, cfg in enumerate(table.itertuples(index=False)):
        p = params[row]
        p[layout.P_SIGNAL] = index[cfg.signal]
        p[layout.P_ENTRY] = float(cfg.entry)
        p[layout.P_EXIT] = float(cfg.exit)
        if cfg.max_hold is None or (isinstance(cfg.max_hold, float) and np.isnan(cfg.max_hold)):
            p[layout.P_MAX_HOLD] = -1.0
        else:
            p[layout.P_MAX_HOLD], p[layout.P_MAX_HOLD_IS_TIME] = _span(
                cfg.max_hold, "max_hold", row
            )
        p[layout.P_STOP_BPS] = float(cfg.stop_loss_bps)
        p[layout.P_TAKE_PROFIT_BPS] = float(cfg.take_profit_bps)
        p[layout.P_SIZE] = float(cfg.size)
        p[layout.P_LATENCY], p[layout.P_LATENCY_IS_TIME] = _span(cfg.latency, "latency", row)
        p[layout.P_FEE_BPS] = float(cfg.taker_fee_bps)
        p[layout.P_COOLDOWN] = float(int(cfg.cooldown))
        p[layout.P_DIRECTION] = DIRECTIONS[cfg.direction]
    return params
