"""Expand a strategy config into the configs of one sweep launch.

``entry`` and ``exit`` in the config are multiples of each signal's scale (the
``signal_scale_quantile`` of its absolute values), so one grid fits signals of any unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from l2gpu.backend.arrays import array_namespace, to_device
from l2gpu.backtest.params import expand_grid

STRATEGY_PARAMS = (
    "entry",
    "exit",
    "max_hold",
    "stop_loss_bps",
    "take_profit_bps",
    "size",
    "latency",
    "cooldown",
    "direction",
)


def signal_scales(signals: Mapping[str, Any], quantile: float) -> dict[str, float]:
    """Each signal's scale: the ``quantile`` of its absolute finite values (1 if it has none).

    Computed where each signal lives; a device signal sends back one scalar (and, on CuPy, the
    size of its finite selection).
    """
    scales = {}
    for name, values in signals.items():
        xp = array_namespace(values)
        finite = xp.abs(xp.asarray(values, dtype=xp.float64))
        finite = finite[xp.isfinite(finite)]
        scale = (
            float(to_device(xp.quantile(finite, quantile), "cpu", f"scale of {name}"))
            if finite.size
            else 0.0
        )
        scales[name] = scale if scale > 0 else 1.0
    return scales


def strategy_grid(
    strategy: Mapping[str, Any], scales: Mapping[str, float], taker_fee_bps: float
) -> pd.DataFrame:
    """Every combination of the strategy lists for every signal, thresholds scaled."""
    lists = {name: list(strategy[name]) for name in STRATEGY_PARAMS}
    tables = []
    for signal, scale in scales.items():
        table = expand_grid({"signal": [signal], **lists, "taker_fee_bps": [taker_fee_bps]})
        table["entry"] = table["entry"].astype(float) * scale
        table["exit"] = table["exit"].astype(float) * scale
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
