"""The ``l2gpu`` command. For now its main job builds a synthetic book and summarises it."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from l2gpu.backend.engine import gpu_status, resolve_engine
from l2gpu.data.store import read_book
from l2gpu.data.summary import BookSummary, summarize
from l2gpu.data.synthetic import write_synthetic


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


def run_main_job(rows: int, depth: int, seed: int, engine: str | None, console: Console) -> None:
    """Build a synthetic book, round-trip it through the Parquet store and summarise it."""
    where = resolve_engine(engine)
    status = gpu_status()
    device = status.device_name if where == "gpu" else "CPU"
    console.print(f"[bold]l2gpu[/]: engine [cyan]{where}[/] ({device})")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.parquet"
        started = time.perf_counter()
        write_synthetic(path, rows=rows, depth=depth, seed=seed)
        written = time.perf_counter()
        book = read_book(path, engine=where)
        read = time.perf_counter()
        summary = summarize(book, engine=where)
        done = time.perf_counter()
        size_mb = path.stat().st_size / 2**20
    console.print(summary_table(f"Synthetic book (seed {seed})", summary))
    console.print(
        f"generate+write {written - started:.2f} s ({size_mb:.1f} MiB Parquet), "
        f"read {read - written:.2f} s, summarise {done - read:.2f} s"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``l2gpu`` console command (``l2gpu ingest ...`` for ingest)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ingest"]:
        from l2gpu.cli.ingest import run_ingest

        sys.exit(run_ingest(argv[1:], Console()))
    parser = argparse.ArgumentParser(prog="l2gpu", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the synthetic book")
    parser.add_argument("--depth", type=int, default=10, help="levels per side")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--engine", choices=("auto", "cpu", "gpu"), default="auto")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[RichHandler()])
    run_main_job(args.rows, args.depth, args.seed, args.engine, Console())


if __name__ == "__main__":
    main()
