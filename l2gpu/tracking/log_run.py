"""Log one :class:`~l2gpu.pipeline.record.RunRecord` to the active MLflow run.

Metrics (the search, the best config, overfitting, risk, out of sample, information
coefficients), the description (the plain reading of DSR and PBO and the best config), and the
artifacts: the results table and the top configs' trades (already in the run folder), the
resolved config, input fingerprints, versions, the summary, plots and ``report.html``. A model's
loss curves are metrics with one step per epoch, its fitted parameters and folds artifacts. The
top configs become nested runs.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import mlflow
import numpy as np
from omegaconf import OmegaConf
from rich.console import Console

from l2gpu.config.schema import AppConfig
from l2gpu.core.spans import Window
from l2gpu.core.units import NS_PER_S
from l2gpu.pipeline.record import RunRecord, run_name
from l2gpu.pipeline.summary import description, heading, summary_frame
from l2gpu.tracking import mlflow_run, plots
from l2gpu.tracking.report import report_html

DESCRIPTION_TAG = "mlflow.note.content"


def write_artifacts(record: RunRecord, folder: Path) -> None:
    """Write every artifact of ``record`` into ``folder`` (plots and the report included)."""
    cfg = record.cfg
    for path in (record.saved.results, *record.saved.trades.values()):
        shutil.copy2(path, folder / path.name)
    resolved = OmegaConf.to_container(OmegaConf.structured(cfg))
    assert isinstance(resolved, dict)
    (folder / "config.yaml").write_text(OmegaConf.to_yaml(mlflow_run.public(resolved)))
    stores = record.inputs.stores
    (folder / "fingerprints.json").write_text(
        json.dumps({"book_store": stores.fingerprint, "inputs": stores.inputs}, indent=2)
    )
    environment = mlflow_run.environment(record.inputs.engine, record.inputs.device)
    (folder / "environment.json").write_text(json.dumps(environment, indent=2))
    summary_frame(record).to_csv(folder / "summary.csv", index=False)
    (folder / "summary.json").write_text(
        json.dumps({"heading": heading(record), "description": description(record)}, indent=2)
    )
    evaluation = record.evaluation
    start = record.inputs.start_ns
    bucket_s = (Window.parse(cfg.sweep.sharpe_bucket).ns or 0) / NS_PER_S
    configs = [int(i) for i in evaluation.top.table.index]
    plots.equity_curves(evaluation.top_bucket_pnl, configs, bucket_s, folder / "equity_top.png")
    x, y = cfg.experiment.heatmap or record.family.heatmap
    table = record.search.table
    plots.parameter_heatmap(table, x, y, record.objective, folder / f"heatmap_{x}_{y}.png")
    plots.metric_distribution(
        table,
        "sharpe",
        folder / "sharpe_distribution.png",
        f"annualised from {cfg.sweep.sharpe_bucket} buckets",
    )
    study = record.search.study
    if study is not None and len(study.directions) == 1:
        plots.optuna_plots(study, folder)
    if evaluation.overfitting is not None:
        judged = evaluation.overfitting
        (folder / "overfitting.json").write_text(
            json.dumps({**asdict(judged), "reading": judged.reading()}, indent=2)
        )
    evaluation.risk.to_csv(folder / "risk.csv", index=False)
    walk = evaluation.walk_forward
    if walk is not None and len(walk.folds):
        walk.folds.to_csv(folder / "walkforward_folds.csv", index=False)
        plots.in_and_out_of_sample(walk.folds, walk.oos_pnl, start, folder / "walkforward.png")
    if record.model is not None:
        record.model.write(folder)
    (folder / "report.html").write_text(report_html(folder, f"l2gpu: {record.run_name()}"))


@contextmanager
def open_job_run(
    cfg: AppConfig, root: Path, overrides: Sequence[str], console: Console
) -> Iterator[str]:
    """Open the job's MLflow run before any work (params, commit, name); yield its id.

    Runs that killed processes of this host left RUNNING in the experiment are marked KILLED
    first, and again when the job ends (workers of one study killed while this one ran).
    """
    uri = mlflow_run.tracking_uri(cfg.logger.tracking_uri, root)
    experiment = mlflow_run.ensure_experiment(
        uri, cfg.logger.experiment, root / cfg.logger.artifact_dir
    )
    closed = mlflow_run.close_orphaned_runs(uri, experiment)
    if closed:
        console.print(f"marked {len(closed)} run(s) of killed processes KILLED: {closed}")
    mlflow.set_experiment(experiment_id=experiment)
    name = run_name(cfg, list(overrides))
    with mlflow_run.tracked_run(name, {"l2gpu.data": cfg.data.name}) as run:
        resolved = OmegaConf.to_container(OmegaConf.structured(cfg))
        assert isinstance(resolved, dict)
        mlflow.log_params(mlflow_run.flatten(mlflow_run.public(resolved)))
        mlflow.set_tag("git_commit", mlflow_run.git_commit(root))
        yield str(run.info.run_id)
    closed = mlflow_run.close_orphaned_runs(uri, experiment)
    if closed:
        console.print(f"marked {len(closed)} run(s) of killed processes KILLED: {closed}")


def log_run(record: RunRecord) -> None:
    """Log ``record`` to the active MLflow run (see the module doc)."""
    metrics = record.metrics()
    mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
    mlflow.set_tag(DESCRIPTION_TAG, description(record))
    if record.model is not None:
        mlflow_run.log_steps(record.model.curve_metrics())
    with tempfile.TemporaryDirectory() as tmp:
        write_artifacts(record, Path(tmp))
        mlflow.log_artifacts(tmp)
    top, family = record.evaluation.top.table, record.family
    for rank, (config, row) in enumerate(top.iterrows(), start=1):
        with mlflow.start_run(run_name=f"top{rank}-config{config}", nested=True):
            mlflow.log_params({k: str(row[k]) for k in family.columns})
            finite = {m: float(row[m]) for m in family.metrics if np.isfinite(float(row[m]))}
            mlflow.log_metrics(finite)
