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

from l2gpu.data.ingest import FORMATS, IngestError, ingest
from l2gpu.data.ingest.policies import (
    BAD_LINE_POLICIES,
    CROSSED_POLICIES,
    GAP_POLICIES,
    TIME_BACKWARDS_POLICIES,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``l2gpu ingest``."""
    parser = argparse.ArgumentParser(
        prog="l2gpu ingest",
        description="Rebuild the order book of a raw recording into a "
        "Parquet book store (and its trades into a trades store).",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="input file(s)")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--out", required=True, type=Path, help="book store to write")
    parser.add_argument("--depth", type=int, default=None, help="levels per side")
    parser.add_argument("--trades-out", type=Path, default=None)
    parser.add_argument(
        "--bbo-out", type=Path, default=None, help="Binance: bookTicker stream, for audits"
    )
    parser.add_argument("--symbol", default=None)
    parser.add_argument("--on-gap", choices=GAP_POLICIES, default="error")
    parser.add_argument("--on-crossed", choices=CROSSED_POLICIES, default="keep")
    parser.add_argument("--on-bad-line", choices=BAD_LINE_POLICIES, default="error")
    parser.add_argument("--on-time-backwards", choices=TIME_BACKWARDS_POLICIES, default="error")
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
                on_gap=args.on_gap,
                on_crossed=args.on_crossed,
                on_bad_line=args.on_bad_line,
                on_time_backwards=args.on_time_backwards,
            )
        except (IngestError, ValueError, FileNotFoundError) as exc:
            progress.stop()
            Console(stderr=True).print(f"[bold red]ingest failed:[/] {exc}", soft_wrap=True)
            return 2
    console.print(report)
    return 0
