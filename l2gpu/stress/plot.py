"""The robustness plot: each top config's pnl on the baseline and under each scenario."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

DPI = 110


def robustness_plot(table: pd.DataFrame, path: Path) -> Path:
    """Draw ``pnl`` (quote currency, after fees) as grouped bars: a group per scenario.

    One bar per config, from the robustness table (``config``, ``scenario``, ``pnl``).
    """
    scenarios = list(dict.fromkeys(table["scenario"]))
    configs = list(dict.fromkeys(table["config"]))
    pnl = table.pivot(index="scenario", columns="config", values="pnl").loc[scenarios, configs]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(scenarios) + 2), 4.5))
    width = 0.8 / max(len(configs), 1)
    x = np.arange(len(scenarios))
    for k, config in enumerate(configs):
        ax.bar(
            x + (k - (len(configs) - 1) / 2) * width, pnl[config], width, label=f"config {config}"
        )
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_xticks(x, scenarios, rotation=20, ha="right")
    ax.set(ylabel="pnl (quote, after fees)", title="Top configs under stress: pnl per scenario")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
