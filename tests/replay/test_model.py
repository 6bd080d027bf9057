"""Replay of a config that trades a model's score: the score rebuilt is the job's, bit for bit.

The job (:data:`tests.replay.runs.MODEL_JOB`) sweeps ``imbalance_5`` and ``model_logistic``;
the replay retrains the model on the CPU from the run's config alone, and its fills and metrics
must equal the run's recorded trades and results table exactly.
"""

import io

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from l2gpu.backtest import STRATEGIES
from l2gpu.cli.main import main
from l2gpu.pipeline.progress import Progress
from l2gpu.replay import start_replay
from l2gpu.replay.inputs import load_inputs
from l2gpu.replay.run import load_run
from tests.app.conftest import ROOT
from tests.replay.runs import log_model_run


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    """The job's result, its run read back, and the tracking store."""
    result, run_id, uri = log_model_run(tmp_path_factory.mktemp("model_run"))
    return result, load_run(run_id, uri), uri


def test_the_rebuilt_signals_are_the_jobs_bit_for_bit(model_run):
    result, run, _ = model_run
    inputs = load_inputs(run, ROOT, Progress(Console(file=io.StringIO())))
    job = result.record.signals.features
    assert sorted(inputs.signals) == sorted(job) == ["imbalance_5", "model_logistic"]
    for name, values in job.items():
        np.testing.assert_array_equal(inputs.signals[name], np.asarray(values))
    assert np.isfinite(inputs.signals["model_logistic"]).sum() > 1000


def test_each_recorded_model_config_replays_to_the_runs_fills_and_metrics(model_run):
    _, run, _ = model_run
    inputs = load_inputs(run, ROOT, Progress(Console(file=io.StringIO())))
    family = STRATEGIES["threshold"]
    model_configs = [n for n in run.recorded if run.row(n).signal == "model_logistic"]
    assert len(model_configs) >= 2
    for n in model_configs:
        params = run.params(n, family.columns)
        stepper = start_replay(
            "threshold", inputs.book, inputs.signals, params, inputs.trades, run.sharpe_bucket
        )
        stepper.advance(stepper.rows)
        stepper.finish()
        fills = stepper.fills()
        assert len(fills) == len(run.recorded[n]) > 0
        recorded = run.recorded[n][list(fills.columns)]
        pd.testing.assert_frame_equal(fills, recorded, check_exact=True, check_dtype=False)
        metrics = list(family.metrics)
        swept = run.results.loc[[n], metrics].reset_index(drop=True)
        pd.testing.assert_frame_equal(stepper.result()[metrics], swept, check_exact=True)


def test_the_replay_command_says_a_model_config_equals_the_run(model_run, capsys):
    _, run, uri = model_run
    config = max(
        (n for n in run.recorded if run.row(n).signal == "model_logistic"),
        key=lambda n: len(run.recorded[n]),
    )
    with pytest.raises(SystemExit) as stopped:
        main(["replay", run.run_id, "--config", str(config), "--speed", "0", "--tracking-uri", uri])
    out, err = capsys.readouterr()
    assert stopped.value.code == 0 and err == "", err
    lines = out.splitlines()
    assert "signal=model_logistic" in out
    assert lines[-2] == "equals the run's results table: all 14 metrics, exactly"
    assert lines[-1].startswith(f"its {len(run.recorded[config])} recorded rows equal the run's")
