"""The ``l2gpu`` command: the Hydra application and its subcommands.

- ``l2gpu [overrides]`` (or ``l2gpu run [overrides]``): the main job (``-m`` for a multirun); with
  no arguments it runs on the bundled BTCUSDT sample.
- ``l2gpu ingest ...``: rebuild a raw recording into the book store.
- ``l2gpu ui``: the MLflow UI over this folder's runs.
- ``l2gpu report <run id>``: the run's report as one HTML page.
- ``l2gpu replay <run id> --config N``: one config stepped event by event, with a live view.
- ``l2gpu stress <run id>``: a run's top configs under stress scenarios, logged to the run.
- ``l2gpu worker --workers N [overrides]``: N job processes on one shared Optuna study.
- ``l2gpu server``: an MLflow tracking server on PostgreSQL for many workers.
- ``l2gpu --help``, ``l2gpu --version``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from l2gpu.version import __version__

COMMANDS = {
    "run": "the main job (the default): data, signals, search, evaluation, MLflow run",
    "ingest": "rebuild a raw recording (binance, lobster, tardis) into Parquet stores",
    "ui": "serve the MLflow UI over this folder's runs (--host, --port)",
    "report": "write a run's report as one HTML page",
    "replay": "paper-trade one config of a run event by event, with a live view",
    "stress": "rerun a run's top configs under stress scenarios; log a robustness table",
    "worker": "run N job processes on one shared Optuna study (--workers N [overrides])",
    "server": "serve MLflow tracking on PostgreSQL for many workers (--port, --host)",
}


def help_text(config_dir: Path) -> str:
    """Return the top-level help: commands, config groups with their options, examples."""
    groups = sorted({p.parent for p in config_dir.rglob("*.yaml") if p.parent != config_dir})
    lines = [
        f"l2gpu {__version__}: vectorized backtests of Level-2 order books.",
        "",
        "usage: l2gpu [run] [group=option ...] [group.key=value ...] [-m]",
        "       l2gpu <command> [--help]",
        "",
        "commands:",
        *[f"  {name:<8} {what}" for name, what in COMMANDS.items()],
        "",
        "config groups (group=option; defaults first):",
    ]
    defaults = _defaults(config_dir)
    for group in groups:
        name = group.relative_to(config_dir).as_posix()
        options = sorted(p.stem for p in group.glob("*.yaml"))
        first = defaults.get(name)
        ordered = [first, *[o for o in options if o != first]] if first in options else options
        lines.append(f"  {name:<19} {', '.join(o for o in ordered if o)}")
    lines += [
        "",
        "examples:",
        "  l2gpu data=ethusdt execution/fees=zero strategy.entry=[0.3,0.6]",
        "  l2gpu strategy=quote execution/queue=probabilistic",
        "  l2gpu sweep=optuna sweep.n_trials=5000 sweep.sampler=cmaes",
        "  l2gpu -m data=btcusdt,ethusdt hydra/launcher=joblib",
        "  l2gpu worker --workers 3 sweep=postgres logger=server sweep.n_trials=5000",
        "  l2gpu --cfg job          # print the composed config (Hydra's own flags work)",
        "",
        "docs: docs/getting-started.md and docs/config.md in the repository.",
    ]
    return "\n".join(lines)


def _defaults(config_dir: Path) -> dict[str, str]:
    """Each group's default option, read from ``config.yaml``'s defaults list."""
    from omegaconf import OmegaConf

    found: dict[str, str] = {}
    config = OmegaConf.to_container(OmegaConf.load(config_dir / "config.yaml"))
    assert isinstance(config, dict)
    for entry in config.get("defaults", []):
        if isinstance(entry, dict):
            found.update({str(k): str(v) for k, v in entry.items()})
    return found


def main(argv: list[str] | None = None) -> None:
    """Dispatch to a subcommand or to the Hydra application."""
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else ""
    if command in ("--version", "-V"):
        print(f"l2gpu {__version__}")
        return
    if command in ("--help", "-h", "help"):
        print(help_text(Path(__file__).resolve().parents[1] / "conf"))
        return
    if command == "ingest":
        from l2gpu.cli.ingest import run_ingest

        sys.exit(run_ingest(argv[1:], Console()))
    if command == "report":
        from l2gpu.tracking.report import main as report_main

        sys.exit(report_main(argv[1:]))
    if command == "replay":
        from l2gpu.cli.replay import run_replay

        sys.exit(run_replay(argv[1:], Console()))
    if command == "stress":
        from l2gpu.cli.stress import run_stress

        sys.exit(run_stress(argv[1:], Console()))
    if command == "ui":
        from l2gpu.cli.ui import serve_ui

        sys.exit(serve_ui(argv[1:]))
    if command == "worker":
        from l2gpu.cli.worker import run_workers

        sys.exit(run_workers(argv[1:]))
    if command == "server":
        from l2gpu.cli.server import serve

        sys.exit(serve(argv[1:]))
    if command == "run":
        argv = argv[1:]
    from l2gpu.cli.app import check_overrides, fail, hydra_app

    problem = check_overrides(argv)
    if problem:
        fail(f"bad config: {problem}")
    sys.argv = [sys.argv[0], *argv]
    hydra_app()


if __name__ == "__main__":
    main()
