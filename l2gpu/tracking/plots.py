"""PNG plots of a sweep: equity of the top configs, a parameter heatmap, the Sharpe spread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

DPI = 110


def equity_curves(trades: dict[int, pd.DataFrame], start_ns: int, path: Path) -> Path:
    """Cumulative net pnl of each recorded config at its exit fills, and its drawdown."""
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    for config, table in trades.items():
        if len(table) == 0:
            continue
        seconds = (np.r_[table.entry_ts.iloc[0], table.exit_ts] - start_ns) / 1e9
        equity = np.r_[0.0, table.net_pnl.cumsum()]
        label = f"config {config} ({len(table)} trades)"
        top.step(seconds, equity, where="post", label=label)
        bottom.step(seconds, equity - np.maximum.accumulate(equity), where="post")
    top.axhline(0.0, color="grey", linewidth=0.8)
    top.set(
        ylabel="cumulative net pnl (quote)",
        title="Equity and drawdown of the top configs (after fees, at exit fills)",
    )
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


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parameter_heatmap(table: pd.DataFrame, x: str, y: str, metric: str, path: Path) -> Path:
    """Median of ``metric`` over every config sharing each (``x``, ``y``) pair."""
    frame = table.assign(**{x: table[x].map(_label), y: table[y].map(_label)})
    grid = frame.pivot_table(index=y, columns=x, values=metric, aggfunc="median")
    fig, ax = plt.subplots(figsize=(7, 5))
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), grid.columns, rotation=45, ha="right")
    ax.set_yticks(range(grid.shape[0]), grid.index)
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=7)
    ax.set(xlabel=x, ylabel=y, title=f"median {metric} by {x} and {y}")
    fig.colorbar(image, ax=ax)
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
