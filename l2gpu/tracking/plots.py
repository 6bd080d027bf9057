"""PNG plots of a sweep: equity of the top configs, a parameter heatmap, the Sharpe spread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import CenteredNorm

from l2gpu.core.spans import Window

DPI = 110


def equity_curves(bucket_pnl: np.ndarray, configs: list[int], bucket_s: float, path: Path) -> Path:
    """Mark-to-mid equity (after fees) of the top configs per Sharpe bucket, and its drawdown.

    ``bucket_pnl`` is ``[buckets, len(configs)]``: column ``j`` is config ``configs[j]``.
    """
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    seconds = bucket_s * np.arange(bucket_pnl.shape[0] + 1)
    for column, config in enumerate(configs):
        equity = np.r_[0.0, np.cumsum(bucket_pnl[:, column])]
        top.step(seconds, equity, where="post", label=f"config {config}")
        bottom.step(seconds, equity - np.maximum.accumulate(equity), where="post")
    top.axhline(0.0, color="grey", linewidth=0.8)
    top.set(
        ylabel="equity (quote, after fees)",
        title="Equity and drawdown of the top configs (marked to the mid, per bucket)",
    )
    if configs:
        top.legend(loc="best", fontsize=8)
    bottom.set(xlabel="time since the first book row (s)", ylabel="drawdown (quote)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def in_and_out_of_sample(
    folds: pd.DataFrame, oos_pnl: pd.Series, start_ns: int, path: Path
) -> Path:
    """Walk-forward: in-sample against out-of-sample pnl per fold, and the stitched track."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    position = np.arange(len(folds))
    left.bar(position - 0.2, folds.is_pnl, width=0.4, label="in sample (selected config)")
    left.bar(position + 0.2, folds.oos_pnl, width=0.4, label="out of sample (same config)")
    left.set_xticks(position, [str(f) for f in folds.fold])
    left.axhline(0.0, color="grey", linewidth=0.8)
    left.set(xlabel="fold", ylabel="pnl (quote)", title="In sample against out of sample")
    left.legend(fontsize=8)
    seconds = (oos_pnl.index.to_numpy() - start_ns) / 1e9
    right.step(seconds, oos_pnl.cumsum().to_numpy(), where="post")
    right.axhline(0.0, color="grey", linewidth=0.8)
    right.set(
        xlabel="time since the first book row (s)",
        ylabel="cumulative pnl (quote)",
        title=f"Stitched out-of-sample track ({oos_pnl.sum():+.3g})",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


AXIS_UNITS = {
    "entry_multiple": "entry (x signal scale)",
    "exit_multiple": "exit (x signal scale)",
    "max_hold": "max hold (rows or time)",
    "latency": "latency (rows or time)",
    "stop_loss_bps": "stop loss (bps)",
    "take_profit_bps": "take profit (bps)",
    "size": "size (base units)",
    "taker_fee_bps": "taker fee (bps)",
    "cooldown": "cooldown (rows)",
}
METRIC_UNITS = {"pnl": "quote", "fees": "quote", "max_drawdown": "quote", "turnover": "quote"}
SIGNED_METRICS = {"pnl", "gross_pnl", "avg_trade", "sharpe"}
"""Metrics whose colour scale is centred on 0: green gains, red losses."""


def _span_key(value: Any) -> tuple[int, float, str]:
    """Sort key of a parameter value: numbers by value, then durations by length, then text."""
    text = str(value)
    if isinstance(value, int | float | np.integer | np.floating) or text.isdigit():
        return (0, float(value), text)
    try:
        span = Window.parse(text, allow_zero=True)
    except ValueError:
        return (2, 0.0, text)
    return (1, float(span.ns or 0), text)


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parameter_heatmap(table: pd.DataFrame, x: str, y: str, metric: str, path: Path) -> Path:
    """Median of ``metric`` over every config sharing each (``x``, ``y``) pair.

    Axes are sorted by value (rows before durations, durations by length) and labelled with
    their units; the colour bar names the metric and its unit.
    """
    x_order = sorted(table[x].unique(), key=_span_key)
    y_order = sorted(table[y].unique(), key=_span_key)
    grid = table.pivot_table(index=y, columns=x, values=metric, aggfunc="median")
    grid = grid.reindex(index=y_order, columns=x_order)
    values = grid.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(7, 5))
    signed = metric in SIGNED_METRICS and np.isfinite(values).any()
    norm = CenteredNorm(vcenter=0.0) if signed else None
    image = ax.imshow(values, cmap="RdYlGn", norm=norm, aspect="auto", origin="lower")
    ax.set_xticks(range(len(x_order)), [_label(v) for v in x_order], rotation=45, ha="right")
    ax.set_yticks(range(len(y_order)), [_label(v) for v in y_order])
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=7)
    unit = f" ({METRIC_UNITS[metric]})" if metric in METRIC_UNITS else ""
    ax.set(
        xlabel=AXIS_UNITS.get(x, x),
        ylabel=AXIS_UNITS.get(y, y),
        title=f"median {metric}{unit} over the configs of each cell",
    )
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(f"median {metric}{unit}")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def metric_distribution(table: pd.DataFrame, metric: str, path: Path, note: str = "") -> Path:
    """Histogram of ``metric`` across configs, with its median (``note`` goes in the title)."""
    values = table[metric].replace([np.inf, -np.inf], np.nan).dropna()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(values, bins=60, color="steelblue")
    if len(values):
        ax.axvline(
            values.median(), color="black", linestyle="--", label=f"median {values.median():.2f}"
        )
        ax.legend()
    title = f"{metric} across {len(table):,} configs" + (f" ({note})" if note else "")
    ax.set(xlabel=metric, ylabel="configs", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def optuna_plots(study: Any, folder: Path) -> list[Path]:
    """Optimization history and parameter importances of a single-objective study."""
    import warnings

    from optuna.visualization import matplotlib as optuna_plt

    paths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, draw in (
            ("optuna_history.png", optuna_plt.plot_optimization_history),
            ("optuna_importances.png", optuna_plt.plot_param_importances),
        ):
            try:
                axes = draw(study)
            except (ValueError, RuntimeError):
                continue
            figure = plt.gcf()
            figure.set_size_inches(8, 4.5)
            figure.tight_layout()
            figure.savefig(folder / name, dpi=DPI)
            plt.close(figure)
            del axes
            paths.append(folder / name)
    return paths
