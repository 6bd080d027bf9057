"""``l2gpu stress`` of a run whose best configs trade a model's score.

The model is retrained on each stressed book (``docs/stress.md``): the test fits it by hand on
the crashed book's features and label and sweeps the configs on that score; the baseline rows
must equal the run's results table, and a neutral scenario the baseline.
"""

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from rich.console import Console

from l2gpu import labels
from l2gpu.backtest import STRATEGIES
from l2gpu.cli.main import main
from l2gpu.features import compute
from l2gpu.models import fit_walk_forward
from l2gpu.pipeline.models import settings_of
from l2gpu.pipeline.progress import Progress
from l2gpu.replay.inputs import load_inputs
from l2gpu.replay.run import load_run
from l2gpu.stress import SCENARIOS
from tests.app.conftest import ROOT
from tests.replay.runs import log_model_run

METRICS = ["pnl", "max_drawdown", "depth_exhausted", "n_trades"]


@pytest.fixture(scope="module")
def stressed_model_run(tmp_path_factory):
    """The model run read back, its tracking store, and its robustness table."""
    _, run_id, uri = log_model_run(tmp_path_factory.mktemp("stress_model"))
    argv = [
        "stress", run_id, "--top", "2", "--scenarios", "flash_crash,liquidity_drought",
        "--set", "liquidity_drought.factor=1", "--seed", "2", "--tracking-uri", uri,
    ]  # fmt: skip
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 0
    folder = Path(tempfile.mkdtemp())
    MlflowClient(uri).download_artifacts(run_id, "stress", str(folder))
    table = pd.read_csv(folder / "stress" / "robustness.csv")
    return load_run(run_id, uri), table


def test_the_baseline_is_the_run_and_a_neutral_scenario_the_baseline(stressed_model_run):
    run, table = stressed_model_run
    configs = list(table[table.scenario == "baseline"].config)
    assert [run.row(n).signal for n in configs] == ["model_logistic"] * 2
    base = table[table.scenario == "baseline"].set_index("config")
    np.testing.assert_array_equal(
        base.loc[configs, METRICS].to_numpy(float),
        run.results.loc[configs, METRICS].to_numpy(float),
    )
    neutral = table[table.scenario == "liquidity_drought"].set_index("config")
    pd.testing.assert_frame_equal(neutral.drop(columns="scenario"), base.drop(columns="scenario"))


def test_under_a_crash_the_model_is_retrained_on_the_crashed_book(stressed_model_run):
    run, table = stressed_model_run
    inputs = load_inputs(run, ROOT, Progress(Console(file=io.StringIO())))
    crashed = SCENARIOS["flash_crash"].apply(inputs.book, inputs.trades, 2, {})
    features = compute(crashed.book, ["imbalance_5", "ofi_2s"], engine="cpu")
    label = labels.compute(crashed.book, ["fwd_ret_2s"], engine="cpu")["fwd_ret_2s"]
    fitted = fit_walk_forward(
        crashed.book.host_ts(), features, label, "fwd_ret_2s", "2s", settings_of(run.app)
    )
    baseline_score = inputs.signals["model_logistic"]
    assert not np.array_equal(fitted.scores, baseline_score, equal_nan=True)
    rows = table[table.scenario == "flash_crash"]
    family = STRATEGIES["threshold"]
    params = pd.concat([run.params(int(n), family.columns) for n in rows.config])
    signals = {"imbalance_5": features["imbalance_5"], "model_logistic": fitted.scores}
    swept = family.run(
        crashed.book, signals, params.reset_index(drop=True), trades=crashed.trades,
        engine="cpu", sharpe_bucket=run.sharpe_bucket,
    )  # fmt: skip
    np.testing.assert_array_equal(
        rows[METRICS].to_numpy(float), swept.table[METRICS].to_numpy(float)
    )
