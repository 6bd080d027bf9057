"""Acceptance: a walk-forward model run on the bundled sample logs its scores' IC and a sweep
over them; bad model settings are refused in one line naming them."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from rich.console import Console

from l2gpu.cli.job import run_job
from l2gpu.config.validate import ConfigError, typed_config
from tests.app.conftest import composed

QUICK = ["debug=quick", "strategy=small"]


def _cli(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "l2gpu.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_a_model_run_logs_its_ic_curves_and_params_and_sweeps_its_score(isolated, tmp_path):
    done = _cli([*isolated, *QUICK, "model=logistic", "model.epochs=20"], tmp_path)
    assert done.returncode == 0, done.stderr
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("l2gpu")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    (run,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]  # not the top configs
    metrics = run.data.metrics
    assert np.isfinite(metrics["ic.model_logistic.fwd_ret_2s"])
    assert metrics["model_logistic.folds_scored"] >= 1
    assert run.data.params["model.name"] == "logistic"
    curve = client.get_metric_history(run.info.run_id, "model_logistic.train_loss.fold1")
    assert [m.step for m in curve] == list(range(20))
    assert curve[-1].value < curve[0].value  # training lowers its own loss
    names = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"model_logistic.npz", "model_logistic_folds.csv", "model_logistic.json"} <= names
    params = np.load(
        client.download_artifacts(run.info.run_id, "model_logistic.npz", str(tmp_path))
    )
    assert params["fold1.w"].shape == (2,)  # one weight per input feature (a 1-row window)
    table = pd.read_parquet(
        client.download_artifacts(run.info.run_id, "results.parquet", str(tmp_path))
    )
    assert set(table.signal) == {"imbalance_5", "ofi_2s", "model_logistic"}
    assert (table.signal == "model_logistic").sum() == len(table) // 3


def test_a_windowed_model_with_the_numpy_trainer_and_walk_forward_eval(isolated):
    overrides = [*isolated, *QUICK, "logger=none", "model=conv1d", "model.backend=numpy"]
    overrides.append("model.features=[imbalance_5,spread]")  # spread: an input, not a signal
    result = run_job(
        composed(
            [*overrides, "model.epochs=5", "eval=walkforward", "eval.train=2s", "eval.test=1s"]
        ),
        Console(record=True, width=200),
    )
    model = result.record.model
    assert model is not None and model.trainer == "numpy"
    scores = model.scores
    assert np.isnan(scores[:400]).all() and np.isfinite(scores[415:]).any()
    assert model.settings["inputs"] == ["imbalance_5", "spread"]
    assert set(result.table.signal) == {"imbalance_5", "ofi_2s", "model_conv1d"}
    assert result.record.evaluation.walk_forward is not None
    assert "ic.model_conv1d.fwd_ret_2s" in result.record.metrics()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("model.name=nope", "model.name: 'nope' is not a model"),
        ("model.label=fwd_ret_9s", "model.label: 'fwd_ret_9s' is not one of labels.names"),
        ("model.features=[fwd_ret_2s]", "model.features: 'fwd_ret_2s' is a label"),
        ("model.kernel=20", "model.kernel: 20 rows is longer than the window of 16"),
        ("model.learning_rate=0", "model.learning_rate: 0.0; give a positive step size"),
        ("model.embargo=5", "model.embargo: '5' must be a duration"),
    ],
)
def test_a_bad_model_setting_is_refused_naming_it(override, expected):
    with pytest.raises(ConfigError) as refused:
        typed_config(composed(["model=conv1d", override]))
    assert expected in str(refused.value) and "\n" not in str(refused.value)
