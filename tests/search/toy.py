"""A tiny search for the search tests: the job's parameter space, a closed-form evaluate."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backtest.result import SweepResult
from l2gpu.search import StudySpec

SPACE: dict[str, list[Any]] = {
    "signal": ["imbalance_5", "ofi_2s"],
    "entry": [0.2, 0.35, 0.5, 0.65, 0.8],
    "exit": [0.0, -0.2],
    "max_hold": [50, 200, "1s", "5s"],
    "stop_loss_bps": [0.0, 2.0],
    "take_profit_bps": [0.0, 3.0],
    "size": [0.01],
    "latency": [0, 1, "50ms"],
    "cooldown": [0],
    "direction": ["long", "short", "both"],
}
BUCKETS = 3
BEST_ENTRY = 0.7


def toy_table(configs: pd.DataFrame) -> pd.DataFrame:
    """Metrics in closed form: pnl peaks at entry = 0.7 (and on ofi_2s, long)."""
    entry = configs["entry"].to_numpy(dtype=float)
    pnl = -((entry - BEST_ENTRY) ** 2) + 0.01 * (configs["signal"] == "ofi_2s").to_numpy()
    pnl = pnl + 0.005 * (configs["direction"] == "long").to_numpy()
    drawdown = np.abs(configs["exit"].to_numpy(dtype=float)) + entry
    sharpe = np.where(entry > 0.75, np.nan, pnl * 10)  # NaN where a config "never trades"
    return configs.assign(pnl=pnl, max_drawdown=drawdown, sharpe=sharpe)


def toy_result(configs: pd.DataFrame) -> SweepResult:
    table = toy_table(configs)
    pnl = table["pnl"].to_numpy()
    bucket_pnl = np.vstack([pnl * (k + 1) / BUCKETS for k in range(BUCKETS)])
    return SweepResult(table, bucket_pnl=bucket_pnl)


def signature(row: pd.Series) -> str:
    """What identifies a config: its float parameters to the last bit."""
    return f"{row['signal']}|{row['entry']!r}|{row['exit']!r}|{row['stop_loss_bps']!r}"


class Recorder:
    """An evaluate that records every config it has finished evaluating."""

    def __init__(self, log: Path | None = None, sleep_s: float = 0.0, sleep_from: int = 0):
        self.log, self.sleep_s, self.sleep_from = log, sleep_s, sleep_from
        self.calls: list[pd.DataFrame] = []

    def __call__(self, configs: pd.DataFrame) -> SweepResult:
        if self.log is not None:
            with self.log.open("a") as f:
                f.write(json.dumps({"start": len(configs)}) + "\n")
        if len(self.calls) >= self.sleep_from:
            time.sleep(self.sleep_s)
        result = toy_result(configs)
        self.calls.append(configs)
        if self.log is not None:
            with self.log.open("a") as f:
                for _, row in configs.iterrows():
                    f.write(json.dumps({"done": signature(row)}) + "\n")
        return result

    @property
    def evaluated(self) -> int:
        return sum(len(c) for c in self.calls)


def spec(folder: Path, sampler: str = "random", **kw) -> StudySpec:
    return StudySpec(
        searched={"data": "toy", "space": SPACE},
        objectives=kw.pop("objectives", ("pnl",)),
        sampler=sampler,
        seed=kw.pop("seed", 0),
        folder=folder,
        **kw,
    )


def finished_configs(log: Path) -> list[str]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [entry["done"] for entry in lines if "done" in entry]
