"""``l2gpu ui``: the MLflow UI on this machine, against the store the jobs of this folder log to.

The server runs in its own process group; Ctrl-C (or SIGTERM) stops the whole group, workers
included, so no server is left behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from l2gpu.tracking import mlflow_run

POLL_S = 0.2
STOP_TIMEOUT_S = 5
"""Seconds the server has to stop after SIGTERM before its whole group is killed."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``l2gpu ui``."""
    parser = argparse.ArgumentParser(
        prog="l2gpu ui",
        description="Serve the MLflow UI over the runs of this folder's store "
        "(mlflow.db here, or $MLFLOW_TRACKING_URI). Ctrl-C stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument(
        "--tracking-uri", default=None, help="tracking store (default: as the jobs use)"
    )
    return parser


def serve_ui(argv: list[str]) -> int:
    """Run ``l2gpu ui`` with ``argv``; return the exit code."""
    args = build_parser().parse_args(argv)
    root = Path.cwd()
    uri = mlflow_run.tracking_uri(args.tracking_uri, root)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--backend-store-uri",
        uri,
        "--default-artifact-root",
        (root / "mlruns").resolve().as_uri(),
    ]
    url = f"http://{args.host}:{args.port}"
    experiment = mlflow_run.find_experiment(uri, "l2gpu")
    if experiment is not None:
        url += f"/#/experiments/{experiment}/runs?viewStateShareKey={mlflow_run.VIEW_KEY}"
    Console().print(f"MLflow UI for {uri} on {url} (Ctrl-C stops it)", soft_wrap=True)
    return run_group(command, os.environ.copy())


def run_group(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` in a process group of its own until it ends; return its exit code.

    SIGINT or SIGTERM stops the whole group (:func:`_stop_group`) and returns 0.
    """
    server = subprocess.Popen(command, env=env, start_new_session=True)
    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    while server.poll() is None and not stopping:
        time.sleep(POLL_S)
    if stopping:
        _stop_group(server)
        return 0
    return int(server.returncode)


def _stop_group(server: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group: SIGTERM, then SIGKILL after a grace period."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=STOP_TIMEOUT_S)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
