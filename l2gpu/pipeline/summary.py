"""What a person reads first, the same in the console, the report and the MLflow run.

The summary table shows the parameters as the user typed them (multiples of each signal's scale
where the family types them so), every parameter that varies across the configs, and the
family's headline metrics, units in the column names; the heading says which scale was applied,
the fees, and how the Sharpe ratio is annualised. The description is the plain-language reading
of the overfitting statistics and the best config, in two sentences.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from l2gpu.backtest.family import Parameter, StrategyFamily
from l2gpu.pipeline.record import RunRecord

METRIC_NAMES: dict[str, str] = {
    "pnl": "pnl quote",
    "n_trades": "trades",
    "n_fills": "fills",
    "win_rate": "win rate",
    "sharpe": "Sharpe ann.",
    "max_drawdown": "max dd quote",
    "fees": "fees quote",
    "fill_ratio": "fill ratio",
    "maker_volume": "maker vol base",
    "adverse_selection_bps": "adverse sel bps",
}
"""Headline metrics with their units; others show under their own names."""


def _column(parameter: Parameter) -> str:
    """Return the results-table column that shows ``parameter`` as typed."""
    return f"{parameter.name}_multiple" if parameter.scale else parameter.name


def _label(parameter: Parameter) -> str:
    unit = f" {parameter.unit}" if parameter.unit and parameter.unit != "rows|time" else ""
    return parameter.name.replace("_", " ") + unit


def varying_parameters(family: StrategyFamily, table: pd.DataFrame) -> list[Parameter]:
    """Return the family's parameters that take more than one value across the configs."""
    return [
        p
        for p in family.parameters
        if _column(p) in table.columns and table[_column(p)].astype(str).nunique() > 1
    ]


def summary_frame(record: RunRecord) -> pd.DataFrame:
    """Return the top configs: varying parameters, headline metrics, units in the names."""
    top = record.evaluation.top.table
    frame = pd.DataFrame(index=top.index)
    frame.index.name = "#"
    frame["signal"] = top["signal"]
    for parameter in varying_parameters(record.family, record.search.table):
        frame[_label(parameter)] = top[_column(parameter)]
    for metric in record.family.headline:
        frame[METRIC_NAMES.get(metric, metric)] = top[metric]
    return frame.reset_index()


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def heading(record: RunRecord) -> str:
    """Return the summary's title: what was searched, the scales, fees, the Sharpe convention."""
    cfg, family = record.cfg, record.family
    fees = cfg.execution.fees
    scaled = [p.name for p in family.parameters if p.scale]
    scales = ", ".join(f"{k} {v:.4g}" for k, v in record.signals.scales.items())
    quantile = cfg.strategy.signal_scale_quantile
    scaling = (
        f" {' and '.join(scaled)} are typed per each signal's scale, its {quantile:.0%} "
        f"quantile of |value| ({scales});"
        if scaled
        else ""
    )
    return (
        f"Best {len(record.evaluation.top.table)} of {len(record.search.table):,} configs by "
        f"{record.objective} ({cfg.data.name}, {family.name}, {cfg.sweep.kind}; taker fee "
        f"{fees.taker_fee_bps:g} bps, maker fee {fees.maker_fee_bps:g} bps).{scaling} Sharpe is "
        f"annualised from {cfg.sweep.sharpe_bucket} buckets over 365 days; money in quote "
        "currency."
    )


def best_config_text(record: RunRecord) -> str:
    """Return the best config and its headline metrics in one sentence (or why none)."""
    top = record.evaluation.top.table
    family = record.family
    if not len(top):
        return f"No config traded: every config of the search ended with {family.activity} = 0."
    best = top.iloc[0]
    shown = [f"signal={best['signal']}"] + [
        f"{p.name}={_fmt(best[_column(p)])}" + ("x" if p.scale else "")
        for p in varying_parameters(family, record.search.table)
    ]
    return (
        f"Best config {top.index[0]} by {record.objective}: {', '.join(shown)}; pnl "
        f"{best.pnl:+.4g} quote after {best.fees:.4g} of fees over "
        f"{int(best[family.activity])} {METRIC_NAMES.get(family.activity, family.activity)}, "
        f"Sharpe {best.sharpe:.3g} (annualised)."
    )


def description(record: RunRecord) -> str:
    """Return the run's description: the overfitting reading, then the best config."""
    judged = record.evaluation.overfitting
    reading = judged.reading() if judged is not None else "No overfitting statistics."
    return f"{reading} {best_config_text(record)}"
