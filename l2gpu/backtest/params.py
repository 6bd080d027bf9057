"""Parameters of the threshold family: defaults, grid expansion, validation, kernel encoding.

``max_hold`` and ``latency`` take rows (an int) or a duration (``"50ms"``, ``"2s"``); ``max_hold``
may be ``None`` (no limit). Defaults: ``exit=0``, ``max_hold=None``, ``stop_loss_bps=0`` and
``take_profit_bps=0`` (off), ``size=1`` base unit, ``latency=0``, ``taker_fee_bps=5`` (a common
perpetual-futures taker fee; set it to your venue's), ``cooldown=0`` rows, ``direction="both"``.
What each parameter accepts is in :mod:`l2gpu.backtest.validation`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backtest.validation import (
    DIRECTIONS,
    check_config,
    is_missing,
    optional_span,
    span,
    whole_rows,
)
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


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Cartesian product of the lists in ``grid``, one row per config, in ``grid`` order."""
    names = list(grid)
    values = [
        list(v) if isinstance(v, list | tuple | range | np.ndarray) else [v] for v in grid.values()
    ]
    return pd.DataFrame(list(itertools.product(*values)), columns=names)


def config_table(params: Any) -> pd.DataFrame:
    """Explicit configs as a table, one per row.

    ``params`` is a DataFrame or a sequence of mappings; a mapping that leaves a parameter out
    gets its default there (a table cannot tell a left-out value from a NaN one).
    """
    if isinstance(params, pd.DataFrame):
        return params
    rows = list(params)
    if rows and all(isinstance(r, Mapping) for r in rows):
        given = {name for r in rows for name in r}
        fill = {name: value for name, value in DEFAULTS.items() if name in given}
        rows = [{**fill, **r} for r in rows]
    return pd.DataFrame(rows)


def normalise(table: pd.DataFrame, signal_names: Sequence[str]) -> pd.DataFrame:
    """Fill defaults and check every value; the table the results are reported against.

    A NaN or None ``exit`` becomes its default 0. Raises ``ValueError`` naming the config and
    the field of the first value :mod:`l2gpu.backtest.validation` refuses.
    """
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
    if out["exit"].isna().any():
        out["exit"] = [DEFAULTS["exit"] if is_missing(v) else v for v in out["exit"]]
    for row, cfg in enumerate(out.to_dict("records")):
        check_config(cfg, row, signal_names)
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
        max_hold = optional_span(cfg.max_hold, row, "max_hold")
        if max_hold is None:
            p[layout.P_MAX_HOLD] = -1.0
        else:
            p[layout.P_MAX_HOLD], p[layout.P_MAX_HOLD_IS_TIME] = max_hold
        p[layout.P_STOP_BPS] = float(cfg.stop_loss_bps)
        p[layout.P_TAKE_PROFIT_BPS] = float(cfg.take_profit_bps)
        p[layout.P_SIZE] = float(cfg.size)
        p[layout.P_LATENCY], p[layout.P_LATENCY_IS_TIME] = span(cfg.latency, row, "latency")
        p[layout.P_FEE_BPS] = float(cfg.taker_fee_bps)
        p[layout.P_COOLDOWN] = float(whole_rows(cfg.cooldown, row, "cooldown"))
        p[layout.P_DIRECTION] = DIRECTIONS[cfg.direction]
    return params
