"""What a person reads first, the same in the console, the report and the MLflow run.

The summary table shows the thresholds as the user typed them (multiples of each signal's
scale), every parameter that varies across the configs, and the headline metrics with their
units in the column names; the heading says which scale was applied and how the Sharpe ratio is
annualised. The description is the plain-language reading of the overfitting statistics and the
best config, in two sentences.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from l2gpu.backtest.params import NAMES as PARAMETERS
from l2gpu.pipeline.record import RunRecord

SCALED = ("entry", "exit")
"""Parameters typed as multiples of the signal's scale; the table shows the multiple."""
HEADLINE: dict[str, str] = {
    "pnl": "pnl quote",
    "n_trades": "trades",
    "win_rate": "win rate",
    "sharpe": "Sharpe ann.",
    "max_drawdown": "max dd quote",
    "fees": "fees quote",
}
UNITS: dict[str, str] = {
    "entry": "entry xscale",
    "exit": "exit xscale",
    "max_hold": "max hold",
    "stop_loss_bps": "stop bps",
    "take_profit_bps": "take bps",
    "size": "size base",
    "taker_fee_bps": "fee bps",
    "cooldown": "cooldown rows",
}
"""Column names with their units; ``max_hold`` and ``latency`` show theirs in each value
(``50`` rows, ``1s``)."""


def varying_parameters(table: pd.DataFrame) -> list[str]:
    """Parameters that take more than one value across the configs (``signal`` always shown)."""
    shown = ["signal"]
    for name in PARAMETERS[1:]:
        column = f"{name}_multiple" if name in SCALED else name
        if column in table.columns and table[column].astype(str).nunique() > 1:
            shown.append(name)
    return shown


def summary_frame(record: RunRecord) -> pd.DataFrame:
    """Return the top configs: varying parameters, headline metrics, units in the names."""
    top = record.evaluation.top.table
    columns = varying_parameters(record.search.table)
    frame = pd.DataFrame(index=top.index)
    frame.index.name = "#"
    for name in columns:
        source = f"{name}_multiple" if name in SCALED else name
        frame[UNITS.get(name, name)] = top[source]
    for metric, shown in HEADLINE.items():
        frame[shown] = top[metric]
    return frame.reset_index()


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def heading(record: RunRecord) -> str:
    """Title of the summary: what was searched, the scales applied, the Sharpe convention."""
    cfg = record.cfg
    table = record.search.table
    scales = ", ".join(f"{k} {v:.4g}" for k, v in record.signals.scales.items())
    quantile = cfg.strategy.signal_scale_quantile
    return (
        f"Best {len(record.evaluation.top.table)} of {len(table):,} configs by "
        f"{record.objective} ({cfg.data.name}, {cfg.sweep.kind}, taker fee "
        f"{cfg.costs.taker_fee_bps:g} bps). Entry and exit are multiples of each signal's "
        f"scale, its {quantile:.0%} quantile of |value| ({scales}); Sharpe is annualised from "
        f"{cfg.sweep.sharpe_bucket} buckets over 365 days; money in quote currency."
    )


def best_config_text(record: RunRecord) -> str:
    """Return the best config and its headline metrics in one sentence (or why none)."""
    top = record.evaluation.top.table
    if not len(top):
        return "No config traded: every config of the search ended flat."
    best = top.iloc[0]
    shown = [
        f"{name}={_fmt(best[f'{name}_multiple' if name in SCALED else name])}"
        + ("x" if name in SCALED else "")
        for name in varying_parameters(record.search.table)
    ]
    return (
        f"Best config {top.index[0]} by {record.objective}: {', '.join(shown)}; pnl "
        f"{best.pnl:+.4g} quote after {best.fees:.4g} of fees over {int(best.n_trades)} trades, "
        f"Sharpe {best.sharpe:.3g} (annualised)."
    )


def description(record: RunRecord) -> str:
    """Return the run's description: the overfitting reading, then the best config."""
    judged = record.evaluation.overfitting
    reading = judged.reading() if judged is not None else "No overfitting statistics."
    return f"{reading} {best_config_text(record)}"
