"""``l2gpu strategy=quote``: a quote sweep through the whole job, logged to MLflow."""

from mlflow.tracking import MlflowClient
from rich.console import Console

from l2gpu.cli.job import run_job
from tests.app.conftest import composed

QUOTE_METRICS = ("fill_ratio", "maker_volume", "adverse_selection_bps", "n_fills")


def test_the_quote_family_runs_as_a_job_and_logs_its_execution_metrics(isolated, tmp_path):
    console = Console(record=True, width=250)
    cfg = composed([*isolated, "strategy=quote", "debug=quick", "execution/queue=probabilistic"])
    result = run_job(cfg, console)
    assert result.record.family.name == "quote"
    table = result.table
    assert len(table) == 2 * 24 * 4  # signals x strategy grid x (2 queue models x 2 partial)
    assert set(table.queue) == {"prob_power", "prob_log"} and table.n_fills.sum() > 0
    assert result.run_id is not None
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    run = client.get_run(result.run_id)
    for name in QUOTE_METRICS:
        assert f"best_{name}" in run.data.metrics, name
    assert run.data.params["strategy.family"] == "quote"
    text = console.export_text()
    assert "fill ratio" in text and "quote, grid" in text
    names = {f.path for f in client.list_artifacts(result.run_id)}
    assert "heatmap_half_spread_ticks_requote.png" in names
