import os
import subprocess
import sys

import pandas as pd
from mlflow.tracking import MlflowClient
from rich.console import Console

from l2gpu.cli.job import run_job
from tests.app.conftest import composed

ARTIFACTS = {
    "overfitting.json",
    "risk.csv",
    "report.html",
    "results.parquet",
    "config.yaml",
    "fingerprints.json",
    "environment.json",
    "equity_top.png",
    "heatmap_entry_multiple_max_hold.png",
    "sharpe_distribution.png",
}


def test_the_main_job_leaves_a_complete_mlflow_run(isolated, tmp_path):
    console = Console(record=True, width=200)
    result = run_job(composed(isolated), console)
    assert result.run_id is not None
    text = console.export_text()
    assert "book store rebuilt" in text and f"MLflow run {result.run_id}" in text
    assert len(result.table) == 2880 and result.table.n_trades.sum() > 0
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["sweep.kind"] == "grid" and params["data.name"] == "btcusdt"
    assert params["execution.fees.taker_fee_bps"] == "5.0"
    metrics = run.data.metrics
    for name in (
        "dsr",
        "pbo",
        "best_sortino",
        "best_var_95",
        "best_longest_losing_streak",
        "best_spread_share_paid",
        "configs_run",
        "share_profitable",
        "median_sharpe",
        "steps_per_second",
        "best_pnl",
        "best_n_trades",
        "best_max_drawdown",
        "ic.imbalance_5.fwd_ret_2s",
    ):
        assert name in metrics, name
    assert metrics["configs_run"] == 2880
    assert 0.0 <= metrics["dsr"] <= 1.0 and 0.0 <= metrics["pbo"] <= 1.0
    assert "Overfitting: The selected config (DSR" in text
    client.download_artifacts(result.run_id, "report.html", str(tmp_path))
    page = (tmp_path / "report.html").read_text()
    for section in (
        "<h2>Overfitting</h2>",
        "Best 5 of 2,880 configs by pnl",
        "Risk of the top",
        "data:image/png;base64,",
    ):
        assert section in page, section
    assert 0.0 <= metrics["dsr"] <= 1.0 and 0.0 <= metrics["pbo"] <= 1.0
    assert "Overfitting: The selected config (DSR" in text
    names = {f.path for f in client.list_artifacts(result.run_id)}
    assert names >= ARTIFACTS
    assert any(n.startswith("trades_config_") for n in names)
    table = pd.read_parquet(
        client.download_artifacts(result.run_id, "results.parquet", str(tmp_path))
    )
    assert len(table) == 2880 and {"pnl", "sharpe", "signal"} <= set(table.columns)
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{result.run_id}'"
    )
    assert len(children) == 5 and all("pnl" in c.data.metrics for c in children)
    assert run.data.tags["git_commit"]


def test_the_book_store_is_reused_until_the_ingest_settings_change(isolated):
    quick = [*isolated, "debug=quick", "strategy=small", "logger=none"]
    first, second, third = (Console(record=True, width=200) for _ in range(3))
    run_job(composed(quick), first)
    run_job(composed(quick), second)
    run_job(composed([*quick, "data.depth=5"]), third)
    assert "book store rebuilt" in first.export_text()
    assert "reused from the cache" in second.export_text()
    assert "book store rebuilt" in third.export_text()


def test_walkforward_eval_and_the_report_command(isolated, tmp_path):
    result = run_job(
        composed([*isolated, "eval=walkforward", "strategy=small"]), Console(record=True, width=200)
    )
    assert result.run_id is not None
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    run = client.get_run(result.run_id)
    assert run.data.metrics["oos_folds"] >= 2 and "oos_pnl_total" in run.data.metrics
    names = {f.path for f in client.list_artifacts(result.run_id)}
    assert {"walkforward_folds.csv", "walkforward.png"} <= names
    out = tmp_path / "page.html"
    completed = subprocess.run(
        [sys.executable, "-m", "l2gpu.cli.main", "report", result.run_id, "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db"},
    )
    assert completed.returncode == 0, completed.stderr
    page = out.read_text()
    for section in (
        "<h2>Overfitting</h2>",
        "In sample against out of sample",
        "Risk of the top",
        "walkforward",
    ):
        assert section in page, section
