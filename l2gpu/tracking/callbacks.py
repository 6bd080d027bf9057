"""Hydra callback: one MLflow parent run for a multirun, created before any job starts.

The parent creates the tracking database and the experiment once (so parallel jobs do not race
to create them) and passes its run id to the jobs through ``MLFLOW_PARENT_RUN_ID``; each job's
run is then nested under it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mlflow
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from l2gpu.tracking import mlflow_run

PARENT_ENV = mlflow_run.PARENT_ENV


class MultirunParent(Callback):
    """Open a parent run at the start of a multirun and close it at the end."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Create the store and the experiment, and start the parent run."""
        if not config.logger.enabled:
            return
        root = Path(config.paths.root).resolve()
        uri = mlflow_run.tracking_uri(config.logger.tracking_uri, root)
        experiment = mlflow_run.ensure_experiment(
            uri, config.logger.experiment, root / config.logger.artifact_dir
        )
        run_id = mlflow_run.start_parent(uri, experiment, "multirun")
        os.environ[PARENT_ENV] = run_id
        self._uri, self._run_id = uri, run_id

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """End the parent run."""
        if getattr(self, "_run_id", None):
            mlflow.MlflowClient(self._uri).set_terminated(self._run_id)
            os.environ.pop(PARENT_ENV, None)
