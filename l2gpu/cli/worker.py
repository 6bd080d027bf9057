"""``l2gpu worker --workers N [overrides]``: N job processes on one shared study, on this machine.

Each worker is ``l2gpu run [overrides]`` in a process of its own, with its own Hydra run folder
(``<hydra.run.dir>/w<k>``); every worker opens the same study (the same overrides make the same
study) and the study's trial ownership shares the trials out (``docs/search.md``). The overrides
are checked once, before any worker starts: they must select an Optuna search
(``sweep=optuna``, ``sweep=postgres``) on a storage that outlives a process. Each output line
of worker ``k`` is printed with ``[w<k>]`` in front.

SIGINT and SIGTERM are passed on to every worker (each ends its MLflow run KILLED; its trials
in flight stay RUNNING, for the next run to reclaim). With MLflow logging on, this command
creates the tracking store and experiment once, opens a parent run ``workers`` that the
workers' runs nest under, and when every worker has ended it marks KILLED the runs that gone
processes of this host left RUNNING (a worker killed by SIGKILL cannot end its own), then ends
the parent run: FINISHED, or FAILED when a worker failed. The exit status is 0 when every worker
exited with 0, else the first failing worker's (128 + the signal for one killed by a signal).
See ``docs/distributed-workers.md``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from l2gpu.cli.app import composed_app, fail
from l2gpu.cli.errors import one_line
from l2gpu.config.schema import AppConfig
from l2gpu.search.storage import storage_kind

POLL_S = 0.2
RUN_DIR = "outputs/runs/${now:%Y-%m-%d_%H-%M-%S}"
"""Hydra's run folder (``config.yaml``); each worker gets ``<run dir>/w<k>``."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``l2gpu worker``."""
    parser = argparse.ArgumentParser(
        prog="l2gpu worker",
        description="Run N job processes of the same command on one shared Optuna study, "
        "and wait for them; Ctrl-C stops them all.",
    )
    parser.add_argument("--workers", type=int, required=True, help="how many processes")
    parser.add_argument("overrides", nargs="*", help="the job's overrides, as for `l2gpu run`")
    return parser


def check(cfg: AppConfig, workers: int) -> None:
    """Refuse what N workers cannot share: a grid, an in-memory study, fewer than one worker."""
    if workers < 1:
        raise ValueError(f"--workers: {workers}; give 1 or more")
    if cfg.sweep.kind != "optuna":
        raise ValueError(
            f"sweep.kind: {cfg.sweep.kind!r}; workers share an Optuna study, so choose "
            "sweep=optuna or sweep=postgres (a grid runs in one launch)"
        )
    if storage_kind(cfg.sweep.storage) == "memory":
        raise ValueError(
            "sweep.storage: 'memory' lives in one process; workers need a journal (the "
            "default), SQLite or PostgreSQL"
        )


def worker_commands(overrides: list[str], workers: int) -> list[list[str]]:
    """Return each worker's command line: the job with its own Hydra run folder."""
    given = [o for o in overrides if o.startswith("hydra.run.dir=")]
    base = given[-1].split("=", 1)[1] if given else RUN_DIR
    rest = [o for o in overrides if not o.startswith("hydra.run.dir=")]
    job = [sys.executable, "-m", "l2gpu.cli.main", "run", *rest]
    return [[*job, f"hydra.run.dir={base}/w{k}"] for k in range(workers)]


def _relay(k: int, stream: IO[bytes], lock: threading.Lock) -> None:
    """Print worker ``k``'s output lines with ``[w<k>]`` in front."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        with lock:
            sys.stdout.write(f"[w{k}] {line}\n")
            sys.stdout.flush()


def _status(code: int) -> int:
    """Return a child's exit code as a shell reports it (128 + signal for a signal)."""
    return 128 - code if code < 0 else code


def _ended(k: int, process: subprocess.Popen[bytes]) -> str:
    code = process.returncode
    if code == 0:
        return f"worker {k} (pid {process.pid}) finished"
    if code < 0:
        return f"worker {k} (pid {process.pid}) was killed by {signal.Signals(-code).name}"
    return f"worker {k} (pid {process.pid}) failed with exit status {code}"


def run_workers(argv: list[str]) -> int:
    """Run ``l2gpu worker`` with ``argv``; return the exit status."""
    args = build_parser().parse_args(argv)
    if any(o.startswith("-") for o in args.overrides):
        fail("l2gpu worker: Hydra flags (-m, --cfg...) are not for workers; give overrides only")
    try:
        cfg = composed_app(args.overrides)
        check(cfg, args.workers)
    except ValueError as exc:
        fail(f"bad config: {one_line(exc)}")
    env = dict(os.environ)
    tracking = _open_parent(cfg) if cfg.logger.enabled else None
    if tracking is not None:
        from l2gpu.tracking.mlflow_run import PARENT_ENV

        env[PARENT_ENV] = tracking[2]
    processes = [
        subprocess.Popen(  # a session of their own: a terminal's Ctrl-C reaches them once, by us
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        for command in worker_commands(args.overrides, args.workers)
    ]
    lock = threading.Lock()
    relays = [
        threading.Thread(target=_relay, args=(k, p.stdout, lock), daemon=True)
        for k, p in enumerate(processes)
    ]
    for relay in relays:
        relay.start()

    def forward(signum: int, _frame: Any) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    # Poll every worker each time (not `any`, which stops at the first live one), so a killed
    # worker is reaped at once: until then it is a zombie whose pid still exists.
    while [p.poll() for p in processes].count(None):
        time.sleep(POLL_S)
    for relay in relays:
        relay.join()
    for k, process in enumerate(processes):
        print(_ended(k, process))
    failed = [_status(p.returncode) for p in processes if p.returncode != 0]
    if tracking is not None:
        _close_parent(*tracking, failed=bool(failed))
    return failed[0] if failed else 0


def _open_parent(cfg: AppConfig) -> tuple[str, str, str]:
    """Create the store and experiment once and open the parent run; (uri, experiment, run)."""
    from l2gpu.tracking import mlflow_run

    root = Path(cfg.paths.root).expanduser().resolve()
    uri = mlflow_run.tracking_uri(cfg.logger.tracking_uri, root)
    experiment = mlflow_run.ensure_experiment(
        uri, cfg.logger.experiment, root / cfg.logger.artifact_dir
    )
    return uri, experiment, mlflow_run.start_parent(uri, experiment, "workers")


def _close_parent(uri: str, experiment: str, run_id: str, *, failed: bool) -> None:
    """Mark gone workers' runs KILLED, then end the parent run."""
    from mlflow.tracking import MlflowClient

    from l2gpu.tracking import mlflow_run

    closed = mlflow_run.close_orphaned_runs(uri, experiment)
    if closed:
        print(f"marked {len(closed)} run(s) of killed workers KILLED: {closed}")
    MlflowClient(uri).set_terminated(run_id, status="FAILED" if failed else "FINISHED")
