import os
import signal
import subprocess
import sys
import time

import optuna
import pandas as pd
from mlflow.tracking import MlflowClient
from rich.console import Console

from l2gpu.cli.job import run_job
from l2gpu.search import make_storage
from tests.app.conftest import composed

QUICK = ["debug=quick", "sweep=optuna", "sweep.sampler=random"]


def study_trials(folder, name):
    """The trials of the study ``name`` kept under ``folder`` (the default journal store)."""
    if not (folder / name).exists():
        return []
    storage = make_storage(None, folder / name)
    try:
        return optuna.load_study(study_name=name, storage=storage.storage).get_trials()
    except KeyError:  # the study is not written yet
        return []


def l2gpu(*args):
    return [sys.executable, "-m", "l2gpu.cli.main", *args]


def runs_of(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("l2gpu")
    assert experiment is not None
    return client.search_runs([experiment.experiment_id], max_results=100)


def test_a_2x2_multirun_gives_four_runs_under_one_parent(isolated, tmp_path):
    result = subprocess.run(
        l2gpu(
            "-m",
            "data=btcusdt,ethusdt",
            "execution/fees=binance_futures,zero",
            "strategy=small",
            "debug=quick",
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={tmp_path}/multirun",
            *isolated,
        ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    runs = runs_of(tmp_path)
    parents = [r for r in runs if r.info.run_name == "multirun"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    jobs = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(jobs) == 4 and all(r.info.status == "FINISHED" for r in jobs)
    assert {
        (r.data.params["data.name"], r.data.params["execution.fees.taker_fee_bps"]) for r in jobs
    } == {(d, f) for d in ("btcusdt", "ethusdt") for f in ("5.0", "0.0")}


def test_an_optuna_study_runs_in_batches(isolated, tmp_path):
    cfg = composed(
        [*isolated, *QUICK, "sweep.n_trials=30", "sweep.batch_size=8", "sweep.study_name=batches"]
    )
    result = run_job(cfg, Console(record=True, width=200))
    trials = study_trials(tmp_path / "optuna", "batches")
    assert len(trials) == 30 and all(t.state.name == "COMPLETE" for t in trials)
    assert sorted(result.table.trial) == list(range(30)) and result.run_id is not None
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    names = {f.path for f in client.list_artifacts(result.run_id)}
    assert {"optuna_history.png", "optuna_importances.png"} <= names


def test_a_killed_study_resumes_to_exactly_n_trials(isolated, tmp_path):
    args = l2gpu(
        *isolated,
        *QUICK,
        "sweep.n_trials=600",
        "sweep.batch_size=10",
        "sweep.study_name=killed",
        f"hydra.run.dir={tmp_path}/run",
    )
    log = (tmp_path / "first.log").open("w")
    first = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if first.poll() is not None:
            raise AssertionError(
                "the first run ended before it could be killed: "
                + (tmp_path / "first.log").read_text()[-3000:]
            )
        done = [
            t for t in study_trials(tmp_path / "optuna", "killed") if t.state.name == "COMPLETE"
        ]
        if len(done) >= 40:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            break
    else:
        raise AssertionError("the study never reached 40 trials")
    trials = study_trials(tmp_path / "optuna", "killed")
    done_before = {t.number: t.values for t in trials if t.state.name == "COMPLETE"}
    assert len(done_before) < 600, "the first process finished before it could be killed"
    assert any(r.info.status == "RUNNING" for r in runs_of(tmp_path))
    second = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    trials = study_trials(tmp_path / "optuna", "killed")
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(complete) == 600
    assert {t.number: t.values for t in complete if t.number in done_before} == done_before
    assert pd.read_parquet(tmp_path / "run" / "results.parquet").trial.tolist() == list(range(600))
    # The same command a third time: the study is complete, nothing is evaluated, all reported.
    third = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "Best 5 of 600 configs" in third.stdout
    assert len(study_trials(tmp_path / "optuna", "killed")) == len(trials)
    statuses = sorted(
        r.info.status for r in runs_of(tmp_path) if r.info.run_name.startswith("btcusdt optuna")
    )
    assert statuses == ["FINISHED", "FINISHED", "KILLED"]
