"""Checks of what a sweep is given: every parameter of every config, the signals, ``chunk_rows``.

A refused value raises ``ValueError`` naming the config (its row in the table), the field and
what is wrong, before any kernel runs. The rules (the table is in ``docs/sweep-invariants.md``):
``entry`` and ``size`` are finite numbers > 0; ``stop_loss_bps``, ``take_profit_bps`` and
``taker_fee_bps`` finite numbers >= 0; ``exit`` a finite number, NaN or None meaning its default
0; ``max_hold`` and ``latency`` rows (an integer >= 0) or a duration, zero included (``"0ms"``),
``max_hold`` None or NaN meaning no limit; ``cooldown`` rows; ``direction`` one of
:data:`DIRECTIONS`; ``signal`` one of the signals' names. Numbers are ints or floats (NumPy's
included), never booleans or text; rows may be written as digits (``"10"``) or a whole float
(``3.0``, as pandas stores a column with a missing value). Signals are real-valued arrays (NaN
allowed: no decision at that row); ``chunk_rows`` is None or an integer >= 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from l2gpu.core.spans import Window

DIRECTIONS = {"long": 1.0, "short": -1.0, "both": 0.0}


def is_missing(value: Any) -> bool:
    """Return whether ``value`` is None or a float NaN (a value left out of a table)."""
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def number(value: Any, row: int, name: str, *, positive: bool = False) -> float:
    """Return ``value`` as a finite float, ``> 0`` if ``positive`` else ``>= 0``."""
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError(f"config {row}: {name}={value!r} must be a finite number")
    if positive and not value > 0:
        raise ValueError(f"config {row}: {name}={value!r} must be > 0")
    if not positive and value < 0:
        raise ValueError(f"config {row}: {name}={value!r} must be >= 0")
    return float(value)


def signed_number(value: Any, row: int, name: str) -> float:
    """Return ``value`` as a finite float of either sign."""
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError(f"config {row}: {name}={value!r} must be a finite number")
    return float(value)


def whole_rows(value: Any, row: int, name: str) -> int:
    """Return a count of rows ``>= 0`` written as an int, a whole float or digits."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if not _is_number(value) or not math.isfinite(value) or value != math.floor(value):
        raise ValueError(f"config {row}: {name}={value!r} must be a whole number of rows")
    if value < 0:
        raise ValueError(f"config {row}: {name}={value!r} rows is negative")
    return int(value)


def span(value: Any, row: int, name: str) -> tuple[float, float]:
    """Return ``(amount, is_time)``: rows (``is_time`` 0) or a duration in ns (``is_time`` 1)."""
    if isinstance(value, str) and not value.isdigit():
        try:
            parsed = Window.parse(value, allow_zero=True)
        except ValueError as exc:
            raise ValueError(f"config {row}: {name}: {exc}") from None
        assert parsed.ns is not None
        return float(parsed.ns), 1.0
    if isinstance(value, str) or _is_number(value):
        return float(whole_rows(value, row, name)), 0.0
    raise ValueError(
        f"config {row}: {name}={value!r} must be rows (an integer) or a duration such as '50ms'"
    )


def optional_span(value: Any, row: int, name: str) -> tuple[float, float] | None:
    """Like :func:`span`; None or NaN give None (no limit)."""
    return None if is_missing(value) else span(value, row, name)


def check_config(cfg: Mapping[str, Any], row: int, signal_names: Any) -> None:
    """Refuse a config with any value outside the rules of the module doc."""
    signal = cfg["signal"]
    if not isinstance(signal, str) or signal not in signal_names:
        raise ValueError(
            f"config {row}: signal {signal!r} is not among the signals {list(signal_names)}"
        )
    number(cfg["entry"], row, "entry", positive=True)
    if not is_missing(cfg["exit"]):
        signed_number(cfg["exit"], row, "exit")
    optional_span(cfg["max_hold"], row, "max_hold")
    for name in ("stop_loss_bps", "take_profit_bps", "taker_fee_bps"):
        number(cfg[name], row, name)
    number(cfg["size"], row, "size", positive=True)
    span(cfg["latency"], row, "latency")
    whole_rows(cfg["cooldown"], row, "cooldown")
    if not isinstance(cfg["direction"], str) or cfg["direction"] not in DIRECTIONS:
        raise ValueError(
            f"config {row}: direction {cfg['direction']!r} is not one of {', '.join(DIRECTIONS)}"
        )


def check_chunk_rows(chunk_rows: Any) -> None:
    """Refuse a ``chunk_rows`` that is not None or an integer >= 1."""
    if chunk_rows is None:
        return
    if isinstance(chunk_rows, bool | np.bool_) or not isinstance(chunk_rows, int | np.integer):
        raise ValueError(f"chunk_rows={chunk_rows!r} must be an integer number of rows, or None")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows={chunk_rows} must be at least 1 row")


def check_signals(signals: Any) -> None:
    """Refuse signals that are not a mapping of names to real-valued arrays."""
    if not isinstance(signals, Mapping):
        raise ValueError(
            f"signals must map names to arrays, got {type(signals).__name__}: e.g. "
            "{'imbalance_5': x}"
        )
    for name, values in signals.items():
        if not isinstance(name, str):
            raise ValueError(f"signal names must be text, got {name!r}")
        try:
            dtype = np.dtype(values.dtype)
        except (AttributeError, TypeError):  # a list, or a pandas extension dtype
            dtype = np.asarray(values).dtype
        if dtype.kind not in "iuf":
            raise ValueError(
                f"signal {name!r} holds {dtype} values; a signal must be real numbers (NaN "
                "where there is none)"
            )


def check_sweep_inputs(signals: Any, chunk_rows: Any) -> None:
    """Check the signals and ``chunk_rows`` of a sweep (the configs are checked per row)."""
    check_signals(signals)
    check_chunk_rows(chunk_rows)
