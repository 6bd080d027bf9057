"""Three workers of one study on PostgreSQL, with an MLflow server; one is SIGKILLed mid-batch.

``l2gpu worker --workers 3`` runs the whole job three times on the bundled BTCUSDT sample
(``debug=quick``) against one ``sweep=postgres`` study, logging to ``l2gpu server`` (MLflow on a
database of its own). A batch of that sample takes milliseconds, too short to be caught in
flight, so a ``sitecustomize`` put on the workers' ``PYTHONPATH`` makes each batch wait
``BATCH_S`` before it is evaluated (the code under test is unchanged). The test kills a worker
that owns RUNNING trials (it is mid-batch), then checks that the study ends with exactly
``n_trials`` complete trials, each evaluated once and no config twice, and that no MLflow run is
left RUNNING: the killed worker's run is KILLED (by the ``worker`` command's sweep-up).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from l2gpu.search.workers import PID_KEY, RECLAIMED_KEY, WORKER_KEY
from tools.postgres import Cluster, free_port

pytestmark = pytest.mark.postgres

N_TRIALS, BATCH = 60, 10
BATCH_S = 1.5
SERVER_START_S = 300
HOOK = f"""
import time

import l2gpu.search.rounds as rounds

_evaluate = rounds.StudyRun.evaluate


def _slow(self, batch, evaluate):
    time.sleep({BATCH_S})  # a batch long enough to be killed in flight
    return _evaluate(self, batch, evaluate)


rounds.StudyRun.evaluate = _slow
"""


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


@pytest.fixture
def tracking_server(postgres_cluster: Cluster, tmp_path):
    """``l2gpu server`` on a new database of the session's cluster; yields its URI."""
    store = postgres_cluster.create_database("mlflow_workers")
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "l2gpu.cli.main", "server", "--port", str(port)),
            *("--backend-store-uri", store, "--artifacts-destination", str(tmp_path / "artifacts")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_S
    while True:
        assert server.poll() is None, "l2gpu server ended before it served"
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2):
                break
        except OSError:
            assert time.monotonic() < deadline, "the MLflow server did not start"
            time.sleep(0.5)
    yield uri
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)


def test_three_workers_one_killed_mid_batch_end_at_n_trials(
    tmp_path, postgres_url, tracking_server
):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    env = {
        **os.environ,
        "L2GPU_PG_URL": postgres_url,
        "L2GPU_MLFLOW_URI": tracking_server,
        "PYTHONPATH": str(hook),
    }
    overrides = [
        "sweep=postgres",
        "logger=server",
        "debug=quick",
        "sweep.sampler=qmc",
        f"sweep.n_trials={N_TRIALS}",
        f"sweep.batch_size={BATCH}",
        f"paths.root={tmp_path}",
    ]
    command = [sys.executable, "-m", "l2gpu.cli.main", "worker", "--workers", "3", *overrides]
    log = (tmp_path / "workers.log").open("w+")
    workers = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    storage = optuna.storages.RDBStorage(postgres_url)
    victim = None
    deadline = time.monotonic() + 600
    try:
        while victim is None:
            assert workers.poll() is None, "the workers ended before one was killed"
            assert time.monotonic() < deadline, "no worker was ever seen mid-batch"
            time.sleep(0.1)
            studies = storage.get_all_studies()
            if not studies:
                continue
            trials = storage.get_all_trials(studies[0]._study_id, deepcopy=False)
            running = [t for t in trials if t.state == TrialState.RUNNING]
            for trial in running:
                pid = int(trial.user_attrs[PID_KEY])
                if os.path.exists(f"/proc/{pid}") and _parent(pid) == workers.pid:
                    os.kill(pid, signal.SIGKILL)
                    victim = (pid, int(trial.user_attrs[WORKER_KEY]))
                    break
        assert workers.wait(timeout=600) == 128 + signal.SIGKILL
    finally:
        if workers.poll() is None:
            workers.kill()
            workers.wait()
    log.seek(0)
    output = log.read()
    assert output.count("finished") >= 2 and "was killed by SIGKILL" in output, output[-3000:]

    (study,) = storage.get_all_studies()
    trials = storage.get_all_trials(study._study_id, deepcopy=False)
    assert len(trials) == N_TRIALS, "no trial beyond n_trials was created"
    assert all(t.state == TrialState.COMPLETE for t in trials)
    reclaimed = [t for t in trials if t.user_attrs.get(RECLAIMED_KEY) == victim[1]]
    assert reclaimed, "the killed worker's batch was finished by a survivor"
    assert all(t.user_attrs[PID_KEY] != victim[0] for t in reclaimed)
    configs = {tuple(sorted(t.params.items())) for t in trials}
    assert len(configs) == N_TRIALS, "no config was proposed twice"
    kept = pd.concat(
        pd.read_parquet(p) for p in (tmp_path / "outputs/optuna").glob("*/results/*.parquet")
    )
    assert sorted(kept["trial"]) == list(range(N_TRIALS)), "each trial was evaluated once"

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_server)
    (experiment,) = [e for e in client.search_experiments() if e.name == "l2gpu"]
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    assert runs and not [r.info.run_id for r in runs if r.info.status == "RUNNING"]
    jobs = {r.data.tags.get("l2gpu.pid"): r for r in runs if r.data.tags.get("l2gpu.data")}
    assert len(jobs) == 3 and jobs[str(victim[0])].info.status == "KILLED"
    assert sorted(r.info.status for r in jobs.values()) == ["FINISHED", "FINISHED", "KILLED"]
    (parent,) = [r for r in runs if r.info.run_name == "workers"]
    assert parent.info.status == "FAILED"
    assert all(r.data.tags.get("mlflow.parentRunId") == parent.info.run_id for r in jobs.values())
