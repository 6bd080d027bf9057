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
    rows = representatives(out)
    for row, cfg in zip(rows, out.iloc[rows].to_dict("records"), strict=True):
        check_config(cfg, row, signal_names)
    return out


def _value_key(value: Any, row: int) -> Any:
    """Return a key equal for two values only where every check treats them alike."""
    try:
        hash(value)
    except TypeError:
        return ("row", row)
    return (type(value), value)


def representatives(table: pd.DataFrame) -> list[int]:
    """Rows that hold, between them, every distinct value of every column, ascending.

    Each field's check depends on its value alone, so every config passes if these do; and the
    first config that fails is among them (the first row holding its bad value), so checking
    them in order reports the same config and field as checking every row.
    """
    rows: set[int] = set()
    for name in table.columns:
        first: dict[Any, int] = {}
        for row, value in enumerate(table[name].tolist()):
            first.setdefault(_value_key(value, row), row)
        rows.update(first.values())
    return sorted(rows)


def _column(table: pd.DataFrame, name: str, convert: Any) -> list[Any]:
    """``convert(value, row)`` of every value of column ``name``, once per distinct value."""
    done: dict[Any, Any] = {}
    out = []
    for row, value in enumerate(table[name].tolist()):
        key = _value_key(value, row)
        if key not in done:
            done[key] = convert(value, row)
        out.append(done[key])
    return out


def _max_hold(value: Any, row: int) -> tuple[float, float]:
    hold = optional_span(value, row, "max_hold")
    return (-1.0, 0.0) if hold is None else hold


def encode(table: pd.DataFrame, signal_names: Sequence[str]) -> np.ndarray:
    """Return the kernel's float64 parameter matrix ``[P, N_PARAMS]`` for a normalised table."""
    index = {name: i for i, name in enumerate(signal_names)}
    params = np.zeros((len(table), layout.N_PARAMS))
    if not len(table):
        return params
    params[:, layout.P_SIGNAL] = _column(table, "signal", lambda v, _: index[v])
    for name, at in (
        ("entry", layout.P_ENTRY),
        ("exit", layout.P_EXIT),
        ("stop_loss_bps", layout.P_STOP_BPS),
        ("take_profit_bps", layout.P_TAKE_PROFIT_BPS),
        ("size", layout.P_SIZE),
        ("taker_fee_bps", layout.P_FEE_BPS),
    ):
        params[:, at] = _column(table, name, lambda v, _: float(v))
    params[:, [layout.P_MAX_HOLD, layout.P_MAX_HOLD_IS_TIME]] = _column(
        table, "max_hold", _max_hold
    )
    params[:, [layout.P_LATENCY, layout.P_LATENCY_IS_TIME]] = _column(
        table, "latency", lambda v, r: span(v, r, "latency")
    )
    params[:, layout.P_COOLDOWN] = _column(
        table, "cooldown", lambda v, r: float(whole_rows(v, r, "cooldown"))
    )
    params[:, layout.P_DIRECTION] = _column(table, "direction", lambda v, _: DIRECTIONS[v])
    return params
