"""Jobs logged to a temporary MLflow store, for the replay's tests of the command.

Four short jobs (``debug=quick``: the first 2,000 rows): each family on each bundled Binance
sample. The BTCUSDT threshold job reads a copy of its recording in the temporary folder, so a
test can move or change it; its grid mixes rows and durations in ``max_hold`` (a text column of
the results table).
"""

import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from l2gpu.cli.job import JobResult, run_job
from tests.app.conftest import ROOT, composed
from tests.samples import BTCUSDT

JOBS = {
    ("btcusdt", "threshold"): ["strategy=small", "strategy.max_hold=[50,1s]"],
    ("ethusdt", "threshold"): ["data=ethusdt", "strategy=small"],
    ("btcusdt", "quote"): [
        "strategy=quote",
        "strategy.half_spread_ticks=[0.0,1.0]",
        "strategy.skew_bps=[0.0,1.0]",
        "strategy.inventory_skew_ticks=[1.0]",
        "strategy.requote=[100ms]",
    ],
    ("ethusdt", "quote"): [
        "data=ethusdt",
        "strategy=quote",
        "execution/queue=probabilistic",
        "strategy.half_spread_ticks=[0.0,1.0]",
        "strategy.skew_bps=[1.0]",
        "strategy.inventory_skew_ticks=[0.0]",
        "strategy.requote=[0,1s]",
        "strategy.stop_loss_bps=[2.0]",
    ],
}


@dataclass(frozen=True)
class LoggedRuns:
    """The jobs' run ids by (sample, family), their tracking store, and the copied recording."""

    ids: dict[tuple[str, str], str]
    uri: str
    recording: Path


def isolated(folder: Path) -> tuple[str, list[str]]:
    """The tracking store's URI, and overrides that keep every store of a job inside ``folder``."""
    uri = f"sqlite:///{folder}/mlflow.db"
    return uri, [
        f"paths.root={ROOT}",
        f"logger.tracking_uri={uri}",
        f"logger.artifact_dir={folder}/mlruns",
        f"paths.cache_dir={folder}/cache",
        f"paths.optuna_dir={folder}/optuna",
        "debug=quick",
    ]


def log_runs(folder: Path) -> LoggedRuns:
    """Run the four jobs with every store inside ``folder``."""
    recording = folder / "recording" / BTCUSDT.name
    recording.parent.mkdir()
    shutil.copy2(BTCUSDT, recording)
    uri, stores = isolated(folder)
    ids = {}
    for (sample, family), overrides in JOBS.items():
        extra = (
            [f"data.paths=[{recording}]"] if (sample, family) == ("btcusdt", "threshold") else []
        )
        console = Console(file=io.StringIO(), width=200)
        result = run_job(composed([*stores, *overrides, *extra]), console)
        assert result.run_id is not None
        ids[sample, family] = result.run_id
    return LoggedRuns(ids, uri, recording)


MODEL_JOB = [
    "strategy=small",
    "features.names=[imbalance_5]",
    "model=logistic",
    "model.features=[imbalance_5,ofi_2s]",
    "model.epochs=20",
]
"""A threshold job on BTCUSDT that also sweeps ``model_logistic`` (a few epochs: seconds)."""


def log_model_run(folder: Path) -> tuple[JobResult, str, str]:
    """Run :data:`MODEL_JOB` with every store inside ``folder``; return result, run id, store."""
    uri, stores = isolated(folder)
    result = run_job(composed([*stores, *MODEL_JOB]), Console(file=io.StringIO(), width=200))
    assert result.run_id is not None
    return result, result.run_id, uri
