"""The ``l2gpu`` Hydra application (``make run`` calls it with no arguments) and ``l2gpu ui``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import hydra
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig
from rich.console import Console

from l2gpu.cli.job import CONSOLE_WIDTH, run_job
from l2gpu.config import register_configs
from l2gpu.tracking import mlflow_run

NOISE = ("full_key", "reference_type", "object_type", "Config search path", "provider=")
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "conf")

register_configs()


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def hydra_app(cfg: DictConfig) -> None:
    """Run the main job for the composed config."""
    logging.getLogger("l2gpu").setLevel(logging.INFO)
    run_job(cfg, Console(width=None if sys.stdout.isatty() else CONSOLE_WIDTH))


def check_overrides(argv: list[str]) -> str:
    """Compose the config with ``argv``'s overrides; return the problem in one line, or ``""``.

    Multiruns (``-m``) and Hydra's own flags are left to Hydra.
    """
    if any(arg.startswith("-") for arg in argv):
        return ""
    overrides = [arg for arg in argv if not arg.startswith("hydra")]
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            compose(config_name="config", overrides=overrides)
    except Exception as exc:  # Hydra raises several types; all mean a config that cannot compose
        text = "\n".join(str(e) for e in (exc, exc.__cause__) if e is not None)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return " ".join(line for line in lines if not line.startswith(NOISE))
    return ""


def serve_ui(argv: list[str]) -> int:
    """``l2gpu ui [--port N]``: the MLflow UI on 127.0.0.1 against the project's store."""
    port = argv[argv.index("--port") + 1] if "--port" in argv else "5000"
    root = Path.cwd()
    uri = mlflow_run.tracking_uri(None, root)
    Console().print(f"MLflow UI for {uri} on http://127.0.0.1:{port} (Ctrl-C stops it)")
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        port,
        "--backend-store-uri",
        uri,
        "--default-artifact-root",
        (root / "mlruns").resolve().as_uri(),
    ]
    return subprocess.call(command, env=os.environ.copy())
