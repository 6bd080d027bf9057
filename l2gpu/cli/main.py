"""The ``l2gpu`` command.

- ``l2gpu [overrides]``: the Hydra application (``-m`` for a multirun); with no arguments it runs
  the main job on the bundled BTCUSDT sample.
- ``l2gpu ingest ...``: rebuild a raw recording into the book store.
- ``l2gpu ui``: the MLflow UI on 127.0.0.1 against the project's tracking store.
- ``l2gpu report <run id>``: the run's report as one HTML page.
"""

from __future__ import annotations

import sys

from rich.console import Console


def main(argv: list[str] | None = None) -> None:
    """Dispatch to a subcommand or to the Hydra application."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ingest"]:
        from l2gpu.cli.ingest import run_ingest

        sys.exit(run_ingest(argv[1:], Console()))
    if argv[:1] == ["report"]:
        from l2gpu.tracking.report import main as report_main

        sys.exit(report_main(argv[1:]))
    if argv[:1] == ["ui"]:
        from l2gpu.cli.app import serve_ui

        sys.exit(serve_ui(argv[1:]))
    from l2gpu.cli.app import check_overrides, hydra_app

    problem = check_overrides(argv)
    if problem:
        Console(stderr=True).print(f"[bold red]l2gpu: bad config:[/] {problem}", soft_wrap=True)
        sys.exit(2)
    sys.argv = [sys.argv[0], *argv]
    hydra_app()


if __name__ == "__main__":
    main()
