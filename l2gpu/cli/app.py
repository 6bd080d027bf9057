"""The ``l2gpu`` Hydra application (``make run`` calls it with no arguments).

Errors end the command with one line on stderr (what is wrong, where, what to do) and exit
status 2; ``HYDRA_FULL_ERROR=1`` shows the traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from rich.console import Console
from rich.markup import escape

from l2gpu.cli.errors import EXPECTED_ERRORS, one_line
from l2gpu.cli.job import CONSOLE_WIDTH, run_job
from l2gpu.config import register_configs
from l2gpu.config.schema import AppConfig
from l2gpu.config.validate import typed_config

QUIET_LOGGERS = ("mlflow", "alembic", "optuna")
"""Libraries whose INFO lines (database set-up, trial bookkeeping) would bury the job's own."""
NOISE = ("full_key", "reference_type", "object_type", "Config search path", "provider=")
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "conf")

register_configs()


def fail(message: str) -> None:
    """Print ``message`` as the one line of a failed command and exit with status 2."""
    Console(stderr=True).print(
        f"[bold red]l2gpu:[/] {escape(message)}", soft_wrap=True, highlight=False
    )
    sys.exit(2)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def hydra_app(cfg: DictConfig) -> None:
    """Run the main job for the composed config."""
    logging.getLogger("l2gpu").setLevel(logging.INFO)
    for quiet in QUIET_LOGGERS:
        logging.getLogger(quiet).setLevel(logging.WARNING)
    overrides = list(HydraConfig.get().overrides.task)
    console = Console(width=None if sys.stdout.isatty() else CONSOLE_WIDTH)
    try:
        run_job(cfg, console, overrides)
    except EXPECTED_ERRORS as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        fail(one_line(exc))


def check_overrides(argv: list[str]) -> str:
    """Compose and validate the config with ``argv``'s overrides; return the problem, or ``""``.

    Multiruns (``-m``) and Hydra's own flags are left to Hydra (each job validates its own).
    """
    if any(arg.startswith("-") for arg in argv):
        return ""
    try:
        composed_app(argv)
    except ValueError as exc:
        return one_line(exc)
    return ""


def composed_app(argv: list[str]) -> AppConfig:
    """Return the checked config ``argv``'s overrides compose (Hydra's own are left out).

    Raises
    ------
    ValueError
        The overrides do not compose (the words of Hydra's error), or a value is refused.
    """
    overrides = [arg for arg in argv if not arg.startswith("hydra")]
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)
    except Exception as exc:  # Hydra raises several types; all mean a config that cannot compose
        text = "\n".join(str(e) for e in (exc, exc.__cause__) if e is not None)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        raise ValueError(" ".join(line for line in lines if not line.startswith(NOISE))) from None
    return typed_config(cfg)
