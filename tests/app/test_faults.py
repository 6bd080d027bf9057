"""Faults in the application: a store that refuses writes, SIGKILL at each stage, a huge sweep.

Whatever fails after the search, the results table and the top configs' trades are already in
the run folder, complete, and the error says where they are; a killed job leaves its MLflow run
to be marked KILLED and its caches whole, so the same command run again simply works.
"""

import os
import resource
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

QUICK = ["debug=quick", "strategy=small"]
GIB = 2**30


def run(args, cwd, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, **kwargs
    )


def job_runs(cwd):
    client = MlflowClient(f"sqlite:///{cwd}/mlflow.db")
    experiment = client.get_experiment_by_name("l2gpu")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    return [r for r in runs if "mlflow.parentRunId" not in r.data.tags]


def test_an_artifact_store_that_refuses_writes_keeps_the_results(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the artifact folder should be")
    done = run(
        [
            "-m",
            "l2gpu.cli.main",
            *QUICK,
            f"logger.artifact_dir={blocker}/mlruns",
            "hydra.run.dir=run",
        ],
        tmp_path,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("l2gpu: "), done.stderr
    assert "The job stopped after its results were saved" in done.stdout
    results = tmp_path / "run" / "results.parquet"
    assert f"results: {results}" in done.stdout
    table = pd.read_parquet(results)
    assert len(table) == 8 and {"pnl", "sharpe", "entry_multiple"} <= set(table.columns)
    assert list((tmp_path / "run").glob("trades_config_*.parquet"))
    assert [r.info.status for r in job_runs(tmp_path)] == ["FAILED"]


KILLER = textwrap.dedent(
    """
    import importlib, os, signal, sys

    module, name, when = (sys.argv[1] + ":before").split(":")[:3]
    target = importlib.import_module(module)
    original = getattr(target, name)

    def killed(*args, **kwargs):
        if when == "after":
            original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    setattr(target, name, killed)
    from l2gpu.cli.main import main

    main(sys.argv[2:])
    """
)
STAGES = {
    "ingest, written aside, not yet renamed into the cache": "l2gpu.data.cache:ingest:after",
    "signals": "l2gpu.cli.job:compute_signals",
    "search, inside the sweep": "l2gpu.backtest.threshold:sweep",
    "saving, after the results table, before the trades": (
        "l2gpu.pipeline.results:_write_parquet:after"
    ),
    "evaluation": "l2gpu.cli.job:evaluate",
    "tracking": "l2gpu.cli.job:log_run",
}


def test_sigkill_at_each_stage_then_the_same_command_completes(tmp_path):
    (tmp_path / "killer.py").write_text(KILLER)
    for stage, target in STAGES.items():
        done = run(["killer.py", target, *QUICK, "hydra.run.dir=run"], tmp_path, timeout=600)
        assert done.returncode == -signal.SIGKILL, (stage, done.stderr[-2000:])
        results = tmp_path / "run" / "results.parquet"
        if results.exists():  # a kill after saving leaves a complete table
            assert len(pd.read_parquet(results)) == 8, stage
    again = run(["-m", "l2gpu.cli.main", *QUICK, "hydra.run.dir=run"], tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "marked 1 run(s) of killed processes KILLED" in again.stdout
    statuses = sorted(r.info.status for r in job_runs(tmp_path))
    assert statuses == ["FINISHED"] + ["KILLED"] * len(STAGES)
    assert len(pd.read_parquet(tmp_path / "run" / "results.parquet")) == 8


MILLION = [
    "strategy.entry=[" + ",".join(f"{0.1 + 0.009 * i:.3f}" for i in range(100)) + "]",
    "strategy.exit=[0.0,-0.1,-0.2,-0.3,-0.4]",
    "strategy.max_hold=[50,200,1s,2s,5s]",
    "execution.latency.latency=[0,50ms]",
    "strategy.direction=[long,short]",
    "strategy.stop_loss_bps=[0,1,2,3,4]",
    "strategy.take_profit_bps=[0,1,2,3,4]",
    "strategy.cooldown=[0,10]",
]


@pytest.mark.slow
def test_a_million_configs_stay_under_4_gib_and_keep_their_results(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("the artifact store refuses writes, after the statistics ran")
    done = run(
        [
            "-m",
            "l2gpu.cli.main",
            *MILLION,
            f"logger.artifact_dir={blocker}/mlruns",
            "hydra.run.dir=run",
        ],
        tmp_path,
        timeout=3600,
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert done.returncode == 2, done.stderr[-3000:]
    table = pd.read_parquet(tmp_path / "run" / "results.parquet", columns=["pnl"])
    assert len(table) == 1_000_000
    assert peak < 4 * GIB, f"peak RSS {peak / GIB:.2f} GiB"
    print(f"peak RSS of the 10^6-config job: {peak / GIB:.2f} GiB")
