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
    """Cumulative net pnl of each recorded config at its exit fills, quote currency."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for config, table in trades.items():
        if len(table) == 0:
            continue
        seconds = (np.r_[table.entry_ts.iloc[0], table.exit_ts] - start_ns) / 1e9
        ax.step(
            seconds,
            np.r_[0.0, table.net_pnl.cumsum()],
            where="post",
            label=f"config {config} ({len(table)} trades)",
        )
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set(
        xlabel="time since the first book row (s)",
        ylabel="cumulative net pnl (quote)",
        title="Equity of the top configs (after fees, at exit fills)",
    )
    ax.legend(loc="best", fontsize=8)
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
