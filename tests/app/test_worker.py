"""``l2gpu worker`` and ``l2gpu server``: what they refuse, what they run; no password logged."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from l2gpu.cli.worker import RUN_DIR, worker_commands
from l2gpu.tracking.mlflow_run import flatten, public


def l2gpu(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "l2gpu.cli.main", *args], capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--workers", "2"], "sweep.kind: 'grid'"),
        (["--workers", "0", "sweep=optuna"], "--workers: 0"),
        (["--workers", "2", "sweep=optuna", "sweep.storage=memory"], "sweep.storage: 'memory'"),
        (["--workers", "2", "sweep=postgres"], "sweep.storage: $L2GPU_PG_URL is not set"),
        (["--workers", "2", "sweep=optuna", "sweep.batch_size=0"], "sweep.batch_size"),
    ],
)
def test_a_worker_command_that_cannot_share_a_study_is_one_line(args, expected):
    env = {k: v for k, v in os.environ.items() if k != "L2GPU_PG_URL"}
    result = l2gpu("worker", *args, env=env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and expected in lines[0], result.stderr


def test_each_worker_runs_the_job_in_its_own_run_folder():
    commands = worker_commands(["sweep=optuna", "hydra.run.dir=out/x"], 2)
    assert [c[-1] for c in commands] == ["hydra.run.dir=out/x/w0", "hydra.run.dir=out/x/w1"]
    assert all(c[1:5] == ["-m", "l2gpu.cli.main", "run", "sweep=optuna"] for c in commands)
    assert worker_commands([], 1)[0][-1] == f"hydra.run.dir={RUN_DIR}/w0"


def test_the_server_needs_a_backend_store():
    env = {k: v for k, v in os.environ.items() if k != "L2GPU_MLFLOW_STORE_URL"}
    result = l2gpu("server", env=env)
    assert result.returncode == 2 and "L2GPU_MLFLOW_STORE_URL" in result.stderr


def test_passwords_in_the_config_are_not_logged():
    config: dict[str, dict[str, object]] = {
        "sweep": {"storage": "postgresql+psycopg://me:hunter2@db:5432/l2gpu", "n_trials": 5},
        "logger": {"tracking_uri": "https://me:hunter2@mlflow.example/"},
        "data": {"name": "btcusdt"},
    }
    flat = flatten(public(config))
    assert flat["sweep.storage"] == "postgresql+psycopg://me:***@db:5432/l2gpu"
    assert flat["logger.tracking_uri"] == "https://me:***@mlflow.example/"
    assert flat["sweep.n_trials"] == "5" and "hunter2" not in str(flat)
    assert str(config["sweep"]["storage"]).endswith("hunter2@db:5432/l2gpu"), (
        "the input is unchanged"
    )
