"""Results first: the results table and the top configs' trades land in the run folder early.

The job saves them right after the search and before any statistic, plot or tracking call, each
file written aside and renamed into place, so a job that fails later (a full disk for the MLflow
artifacts, a statistic that runs out of memory, a kill) leaves them complete, and the error says
where they are.

The run folder is Hydra's output folder when the job runs under Hydra (``outputs/runs/<time>``
of the folder the command ran in), else a new folder under ``<root>/outputs/runs/``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from l2gpu.pipeline.evaluation import TopConfigs
from l2gpu.pipeline.search import SearchResult

RESULTS_FILE = "results.parquet"


@dataclass(frozen=True)
class SavedResults:
    """Where the job put its results.

    Attributes
    ----------
    folder : Path
        The run folder.
    results : Path
        The whole results table (Parquet, one row per config).
    trades : dict of int to Path
        The recorded trades of each top config, by its row in the results table.
    """

    folder: Path
    results: Path
    trades: dict[int, Path]


def run_folder(root: Path) -> Path:
    """Return this job's run folder (see the module doc), created."""
    try:
        from hydra.core.hydra_config import HydraConfig

        folder = Path(HydraConfig.get().runtime.output_dir)
    except ValueError:  # not running under @hydra.main
        stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
        folder = root / "outputs" / "runs" / f"{stamp}_{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def as_text_where_mixed(table: pd.DataFrame) -> pd.DataFrame:
    """Parameter columns that mix rows and durations (``50``, ``"1s"``) as text, for Parquet."""
    mixed = [c for c in table.columns if table[c].dtype == object]
    return table.astype({c: str for c in mixed})


def _write_parquet(table: pd.DataFrame, path: Path) -> Path:
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    as_text_where_mixed(table).to_parquet(aside)
    os.replace(aside, path)
    return path


def save_results(folder: Path, search: SearchResult, top: TopConfigs) -> SavedResults:
    """Write the results table and the top configs' trades into ``folder``."""
    results = _write_parquet(search.table, folder / RESULTS_FILE)
    trades = {
        config: _write_parquet(table, folder / f"trades_config_{config}.parquet")
        for config, table in top.trades.items()
    }
    return SavedResults(folder, results, trades)
