"""Expand a strategy family's lists into the configs of one sweep launch.

Parameters a family types as multiples of each signal's scale (the threshold family's ``entry``
and ``exit``, the quote family's ``skew_bps``) are turned into signal units with the signal's
scale, the ``signal_scale_quantile`` of its absolute values, so one grid fits signals of any unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from l2gpu.backend.arrays import array_namespace, to_device
from l2gpu.backtest.family import StrategyFamily
from l2gpu.backtest.params import expand_grid


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
    family: StrategyFamily, lists: Mapping[str, list[Any]], scales: Mapping[str, float]
) -> pd.DataFrame:
    """Every combination of ``lists`` for every signal, in the family's grid order, scaled.

    Parameters
    ----------
    family : StrategyFamily
        Whose parameters ``lists`` holds (:meth:`StrategyFamily.lists` of the config).
    lists : mapping of str to list
        Each parameter's values, multiples of the scale where the family says so.
    scales : mapping of str to float
        Each signal's scale (:func:`signal_scales`); one block of configs per signal.
    """
    table = pd.concat(
        [expand_grid({"signal": [signal], **lists}) for signal in scales], ignore_index=True
    )
    return family.scaled(table, scales)
