"""``l2gpu ingest``: rebuild a raw recording into the book store, with a progress bar."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from l2gpu.data.ingest import FORMATS, IngestError, Policies, ingest
from l2gpu.data.ingest.formats import format_help
from l2gpu.data.ingest.policies import POLICY_CHOICES
from l2gpu.data.samples import resolve_input


def _input_path(text: str) -> Path:
    """Resolve an input path as typed (``sample:`` names a bundled sample), for argparse."""
    try:
        return resolve_input(text)
    except FileNotFoundError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``l2gpu ingest``."""
    parser = argparse.ArgumentParser(
        prog="l2gpu ingest",
        description="Rebuild the order book of a raw recording into a "
        "Parquet book store (and its trades into a trades store).",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        type=_input_path,
        help="input file(s); sample:<folder>/<file> names a bundled sample",
    )
    parser.add_argument(
        "--format",
        required=True,
        metavar="{" + ",".join(FORMATS.names()) + "}",
        help=f"source format; {format_help()}",
    )
    parser.add_argument("--out", required=True, type=Path, help="book store to write")
    parser.add_argument("--depth", type=int, default=None, help="levels per side")
    parser.add_argument("--trades-out", type=Path, default=None)
    parser.add_argument(
        "--bbo-out", type=Path, default=None, help="Binance: bookTicker stream, for audits"
    )
    parser.add_argument("--symbol", default=None)
    defaults = Policies()
    for name, choices in POLICY_CHOICES.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            choices=choices,
            default=getattr(defaults, name),
            help=f"default {getattr(defaults, name)} (see docs/validation.md)",
        )
    return parser


def run_ingest(argv: list[str], console: Console) -> int:
    """Run ``l2gpu ingest`` with ``argv``; return the exit code."""
    args = build_parser().parse_args(argv)
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"ingest {args.format}", total=None)
        try:
            report = ingest(
                args.paths,
                format=args.format,
                out=args.out,
                depth=args.depth,
                trades_out=args.trades_out,
                bbo_out=args.bbo_out,
                symbol=args.symbol,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                **{name: getattr(args, name) for name in POLICY_CHOICES},
            )
        except (IngestError, ValueError, FileNotFoundError) as exc:
            progress.stop()
            Console(stderr=True).print(f"[bold red]ingest failed:[/] {exc}", soft_wrap=True)
            return 2
    console.print(report)
    return 0
