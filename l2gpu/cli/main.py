"""The ``l2gpu`` command: ingest and summarise the bundled BTCUSDT sample; ``l2gpu ingest``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from l2gpu.backend.engine import gpu_status, resolve_engine
from l2gpu.data.ingest import ingest
from l2gpu.data.samples import BTCUSDT_SAMPLE, sample_path
from l2gpu.data.store import read_book
from l2gpu.data.summary import BookSummary, summarize


def _time(ns: int) -> str:
    return str(pd.Timestamp(ns, unit="ns", tz="UTC"))


def summary_table(title: str, summary: BookSummary) -> Table:
    """Render a :class:`BookSummary` as a two-column Rich table."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold cyan")
    table.add_column()
    q05, q50, q95 = summary.imbalance_quantiles
    rows = [
        ("rows x depth", f"{summary.rows:,} x {summary.depth}"),
        ("time span (UTC)", f"{_time(summary.start_ns)} -> {_time(summary.end_ns)}"),
        ("events per second", f"{summary.events_per_s:,.1f}"),
        ("mid range", f"{summary.mid_min:,.2f} .. {summary.mid_max:,.2f}"),
        (
            "spread, median / mean",
            f"{summary.spread_median_bps:.3f} / {summary.spread_mean_bps:.3f} bps",
        ),
        (f"imbalance_{summary.levels} 5% / 50% / 95%", f"{q05:+.3f} / {q50:+.3f} / {q95:+.3f}"),
        ("crossed rows", f"{summary.crossed_rows:,}"),
        ("rows with an empty side", f"{summary.empty_side_rows:,}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def run_main_job(out_dir: Path, depth: int, engine: str | None, console: Console) -> None:
    """Ingest the bundled BTCUSDT sample into the book store and summarise the book."""
    where = resolve_engine(engine)
    device = gpu_status().device_name if where == "gpu" else "CPU"
    console.print(f"[bold]l2gpu[/]: engine [cyan]{where}[/] ({device})")
    source = sample_path(BTCUSDT_SAMPLE)
    book_path = out_dir / "btcusdt_20240808.parquet"
    report = ingest(
        source,
        format="binance",
        out=book_path,
        depth=depth,
        trades_out=out_dir / "btcusdt_20240808_trades.parquet",
    )
    console.print(report)
    started = time.perf_counter()
    book = read_book(book_path, engine=where)
    summary = summarize(book, engine=where)
    console.print(
        summary_table(
            f"Book: {book.meta.symbol} ({book.meta.source}, tick {book.meta.tick_size})", summary
        )
    )
    console.print(
        f"read + summarise {time.perf_counter() - started:.2f} s; book store "
        f"{book_path} ({book_path.stat().st_size / 2**20:.1f} MiB)"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``l2gpu`` console command (``l2gpu ingest ...`` for ingest)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ingest"]:
        from l2gpu.cli.ingest import run_ingest

        sys.exit(run_ingest(argv[1:], Console()))
    parser = argparse.ArgumentParser(prog="l2gpu", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("outputs"), help="where stores go")
    parser.add_argument("--depth", type=int, default=10, help="levels per side")
    parser.add_argument("--engine", choices=("auto", "cpu", "gpu"), default="auto")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[RichHandler()])
    run_main_job(args.out, args.depth, args.engine, Console())


if __name__ == "__main__":
    main()
