"""One MLflow run per job: params, metrics, artifacts, nested runs of the top configs.

The tracking URI is ``logger.tracking_uri``, else ``$MLFLOW_TRACKING_URI``, else
``sqlite:///<project root>/mlflow.db``; artifacts go to ``<project root>/mlruns``, or, on a
tracking server (an ``http(s)://`` URI, ``l2gpu server``), wherever the server keeps them. A run
that a killed process left RUNNING is marked KILLED when a job of the same host starts or ends,
and when ``l2gpu worker`` has seen its workers end (a process that is stopped by a signal it can
catch ends its own run as KILLED). Passwords in the config's URLs are not logged.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import mlflow
from filelock import FileLock
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from l2gpu.search.workers import pid_alive

SQLITE_PREFIX = "sqlite:///"
SERVER_PREFIXES = ("http://", "https://")
SECRET_KEYS = (("sweep", "storage"), ("logger", "tracking_uri"))
"""Config values that are URLs and may hold a password."""
STORE_LOCK_TIMEOUT_S = 120
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
"""MLflow 3 opens an experiment of kind ``custom_model_development`` on its runs table."""
SHARED_VIEW_TAG = "mlflow.sharedViewState."
VIEW_KEY = "l2gpu-runs"
"""The UI's shared view of the runs table, opened by ``?viewStateShareKey=l2gpu-runs``."""
KEY_METRICS = (
    "best_pnl",
    "best_sharpe",
    "best_n_trades",
    "best_max_drawdown",
    "dsr",
    "pbo",
    "share_profitable",
    "configs_run",
)
RUNS_VIEW: dict[str, Any] = {
    "searchFilter": "",
    "orderByKey": "metrics.`best_pnl`",
    "orderByAsc": False,
    "selectedColumns": [f"metrics.`{m}`" for m in KEY_METRICS],
}
PID_TAG = "l2gpu.pid"
PARENT_ENV = "MLFLOW_PARENT_RUN_ID"
"""Set by the multirun callback: the run id every job of the multirun nests under."""
HOST_TAG = "l2gpu.host"
METRICS_PER_BATCH = 1000
"""MLflow's limit of metrics in one ``log_batch`` call."""


def tracking_uri(configured: str | None, root: Path) -> str:
    """Return the tracking URI a run logs to (``root`` is where ``mlflow.db`` goes)."""
    return (
        configured
        or os.environ.get("MLFLOW_TRACKING_URI")
        or f"{SQLITE_PREFIX}{(root / 'mlflow.db').resolve()}"
    )


def _store_lock(uri: str) -> FileLock | nullcontext[None]:
    """Return a lock beside a SQLite store, held while the store and experiment are created.

    Two jobs started at the same instant on a fresh store would otherwise both run MLflow's
    schema migrations and one would fail; a server-backed store needs no lock.
    """
    if not uri.startswith(SQLITE_PREFIX):
        return nullcontext()
    database = Path(uri[len(SQLITE_PREFIX) :])
    database.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(f"{database}.lock", timeout=STORE_LOCK_TIMEOUT_S)


def ensure_experiment(uri: str, name: str, artifacts: Path) -> str:
    """Create the tracking store and the experiment once; return the experiment id.

    A new experiment keeps its artifacts under ``artifacts`` and opens in the MLflow UI on its
    runs table, sorted by the best config's pnl, with the headline metrics as columns
    (:data:`VIEW_KEY`).
    """
    with _store_lock(uri):
        mlflow.set_tracking_uri(uri)
        client = MlflowClient(uri)
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            return str(experiment.experiment_id)
        served = uri.startswith(SERVER_PREFIXES)  # the server decides where artifacts go
        created = str(
            client.create_experiment(
                name,
                artifact_location=None if served else artifacts.resolve().as_uri(),
                tags={EXPERIMENT_KIND_TAG: "custom_model_development"},
            )
        )
        client.set_experiment_tag(created, f"{SHARED_VIEW_TAG}{VIEW_KEY}", json.dumps(RUNS_VIEW))
        return created


def find_experiment(uri: str, name: str) -> str | None:
    """Return the id of the experiment ``name`` in an existing store, without creating either."""
    if uri.startswith(SQLITE_PREFIX) and not Path(uri[len(SQLITE_PREFIX) :]).exists():
        return None
    try:
        experiment = MlflowClient(uri).get_experiment_by_name(name)
    except Exception:  # an unreachable or foreign store: the UI will say so itself
        return None
    return None if experiment is None else str(experiment.experiment_id)


def close_orphaned_runs(uri: str, experiment_id: str) -> list[str]:
    """Mark KILLED every RUNNING run of this host whose process no longer exists."""
    client = MlflowClient(uri)
    closed = []
    for run in client.search_runs([experiment_id], "attributes.status = 'RUNNING'"):
        pid = run.data.tags.get(PID_TAG)
        host = run.data.tags.get(HOST_TAG)
        if pid is not None and host == platform.node() and not pid_alive(int(pid)):
            client.set_terminated(run.info.run_id, status="KILLED")
            closed.append(run.info.run_id)
    return closed


def start_parent(uri: str, experiment: str, name: str) -> str:
    """Create a parent run ``name`` of this process (host and pid tagged); return its id.

    Jobs started with its id in ``MLFLOW_PARENT_RUN_ID`` nest their runs under it.
    """
    run = MlflowClient(uri).create_run(
        experiment, run_name=name, tags={PID_TAG: str(os.getpid()), HOST_TAG: platform.node()}
    )
    return str(run.info.run_id)


def public(config: Mapping[Any, Any]) -> dict[str, Any]:
    """Return the resolved config with any password in its URLs replaced by ``***``."""
    from l2gpu.search.storage import without_password

    shown = {str(g): dict(v) if isinstance(v, Mapping) else v for g, v in config.items()}
    for group, key in SECRET_KEYS:
        values = shown.get(group)
        if isinstance(values, dict) and isinstance(values.get(key), str):
            values[key] = without_password(values[key])
    return shown


def flatten(config: Mapping[Any, Any], prefix: str = "") -> dict[str, str]:
    """Flatten nested keys with dots (``a.b``); lists become JSON, the rest ``str``."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = json.dumps(value) if isinstance(value, list | tuple) else str(value)
    return flat


def git_commit(root: Path) -> str:
    """Return the checkout's commit (``-dirty`` when changed), or ``""`` outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return commit + ("-dirty" if dirty else "")


def environment(engine: str, device: str) -> dict[str, str]:
    """Versions and the device a run used."""
    import numba
    import numpy
    import optuna
    import pandas
    import pyarrow

    from l2gpu.version import __version__

    return {
        "l2gpu": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "optuna": optuna.__version__,
        "mlflow": mlflow.__version__,
        "platform": platform.platform(),
        "engine": engine,
        "device": device,
    }


def log_steps(points: Sequence[tuple[str, float, int]]) -> None:
    """Log ``(key, value, step)`` metrics to the active run in batches (training curves)."""
    run = mlflow.active_run()
    assert run is not None, "log_steps needs an active run"
    now = int(time.time() * 1000)
    metrics = [Metric(key, value, now, step) for key, value, step in points]
    client = MlflowClient()
    for start in range(0, len(metrics), METRICS_PER_BATCH):
        client.log_batch(run.info.run_id, metrics=metrics[start : start + METRICS_PER_BATCH])


@contextmanager
def tracked_run(run_name: str, tags: Mapping[str, str]) -> Iterator[mlflow.ActiveRun]:
    """Start a run (under the multirun's parent, if any); a SIGTERM or SIGINT ends it KILLED."""
    parent = os.environ.get(PARENT_ENV)
    run = mlflow.start_run(
        run_name=run_name,
        parent_run_id=parent,
        tags={PID_TAG: str(os.getpid()), HOST_TAG: platform.node(), **tags},
    )

    def stop(signum: int, _frame: Any) -> None:
        mlflow.end_run(status="KILLED")
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield run
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    mlflow.end_run()
