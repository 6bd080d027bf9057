"""``l2gpu server``: an MLflow tracking server that many workers log to, on PostgreSQL.

::

    l2gpu server [--backend-store-uri URI] [--artifacts-destination DIR] [--host H] [--port P]
                 [--workers N] [-- more mlflow server options]

The backend store is ``--backend-store-uri``, else ``$L2GPU_MLFLOW_STORE_URL`` (``python -m
tools.postgres start`` exports it): a database of its own, not the Optuna studies' (both keep an
``alembic_version`` table). A password may come from the URL, ``PGPASSWORD`` or ``~/.pgpass``. Runs'
artifacts are uploaded to the server and kept under ``--artifacts-destination`` (default
``./mlartifacts``), so workers on other machines need no shared folder. Workers log to it with
``logger=server`` and ``L2GPU_MLFLOW_URI=http://<host>:<port>``. MLflow's background job runner
(GenAI evaluation jobs, a dozen processes) is turned off. The server runs in a process group
of its own; Ctrl-C or SIGTERM stops the whole group. See ``docs/distributed-workers.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from l2gpu.cli.ui import run_group
from l2gpu.search.storage import without_password

URL_ENV = "L2GPU_MLFLOW_STORE_URL"
JOBS_ENV = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``l2gpu server``."""
    parser = argparse.ArgumentParser(
        prog="l2gpu server",
        description="Serve MLflow tracking for many workers: runs in PostgreSQL, artifacts "
        "uploaded to this server. Options after -- go to `mlflow server`. Ctrl-C stops it.",
    )
    parser.add_argument(
        "--backend-store-uri",
        default=os.environ.get(URL_ENV),
        help=f"where runs are kept (default: ${URL_ENV})",
    )
    parser.add_argument(
        "--artifacts-destination",
        type=Path,
        default=Path("mlartifacts"),
        help="folder (or URI) where the server keeps artifacts (default ./mlartifacts)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    return parser


def command_line(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """Return the ``mlflow server`` command for parsed ``args`` and the options after ``--``."""
    destination = str(args.artifacts_destination)
    if "://" not in destination:
        destination = args.artifacts_destination.expanduser().resolve().as_uri()
    return [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        args.backend_store_uri,
        "--artifacts-destination",
        destination,
        "--serve-artifacts",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
        *extra,
    ]


def serve(argv: list[str]) -> int:
    """Run ``l2gpu server`` with ``argv``; return the exit code."""
    ours, extra = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    parser = build_parser()
    args = parser.parse_args(ours)
    if not args.backend_store_uri:
        parser.error(f"no backend store: give --backend-store-uri or set {URL_ENV}")
    if args.workers < 1:
        parser.error(f"--workers: {args.workers}; give 1 or more")
    url = f"http://{args.host}:{args.port}"
    Console().print(
        f"MLflow tracking server on {url}: runs in {without_password(args.backend_store_uri)}, "
        f"artifacts in {args.artifacts_destination}; workers: export L2GPU_MLFLOW_URI={url} "
        "and run with logger=server (Ctrl-C stops it)",
        soft_wrap=True,
    )
    return run_group(command_line(args, extra), {**os.environ, JOBS_ENV: "false"})
