"""Cost of the store checks (``l2gpu.data.validation``) that ``read_book`` and ``read_trades`` run.

1. the BTCUSDT sample's stores (depth 10, as the job reads them): the checks alone, and the whole
   ``read_book`` / ``read_trades`` they are part of;
2. a synthetic book of 10**7 rows (``--rows``) at depth 10 and its trades: the checks alone.

Before timing, each part checks that the clean arrays pass and that one planted fault of each
kind is found at its row. Run: ``.venv/bin/python -m benchmarks.bench_validation [--rows N]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import machine, median_seconds
from l2gpu.data import Book, read_book, read_trades, synthetic, synthetic_trades
from l2gpu.data.ingest import ingest
from l2gpu.data.validation import book_violations, trades_violations
from tests.samples import BTCUSDT


def check_finds_planted_faults(book: Book) -> None:
    """The clean book passes; a negative size, a NaN price and a time going back are found."""
    assert book_violations(book) == []
    rows = len(book)
    sizes, prices, ts = book.bid_sz.copy(), book.ask_px.copy(), book.ts.copy()
    finite = np.flatnonzero(np.isfinite(book.ask_px[-1]) & np.isfinite(book.bid_px[0]))
    planted = {
        "level_size_positive": int(finite[-3]),
        "missing_level": int(finite[rows // 3 % finite.size]),
    }
    sizes[0, planted["level_size_positive"]] = -1.0
    prices[-1, planted["missing_level"]] = np.nan
    back = rows // 2
    ts[back] = ts[back - 1] - 1
    broken = Book(**{**book.arrays(), "bid_sz": sizes, "ask_px": prices, "ts": ts})
    found = {v.check: v.row for v in book_violations(broken)}
    assert found == {"ts_order": back, **planted}, found


def bench_sample() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out, trades_out = Path(tmp) / "b.parquet", Path(tmp) / "t.parquet"
        ingest(BTCUSDT, format="binance", out=out, depth=10, trades_out=trades_out)
        book, trades = read_book(out, engine="cpu"), read_trades(trades_out)
        check_finds_planted_faults(book)
        checks = median_seconds(lambda: book_violations(book), repeat=21)
        whole = median_seconds(lambda: read_book(out, engine="cpu"), repeat=21)
        trade_checks = median_seconds(lambda: trades_violations(trades), repeat=21)
        trade_whole = median_seconds(lambda: read_trades(trades_out), repeat=21)
    print(
        f"sample book ({len(book):,} rows, depth 10): checks {checks * 1e3:.2f} ms of "
        f"read_book {whole * 1e3:.2f} ms; trades ({len(trades):,}): checks "
        f"{trade_checks * 1e3:.2f} ms of read_trades {trade_whole * 1e3:.2f} ms"
    )


def bench_synthetic(rows: int) -> None:
    book = synthetic(rows, depth=10, seed=5)
    check_finds_planted_faults(book[: min(rows, 200_000)])
    assert book_violations(book) == []
    seconds = median_seconds(lambda: book_violations(book), repeat=3)
    gb = sum(a.nbytes for a in book.arrays().values()) / 1e9
    print(
        f"synthetic book ({rows:,} rows, depth 10, {gb:.1f} GB): checks {seconds:.3f} s, "
        f"{rows / seconds / 1e6:.1f} M rows/s, {gb / seconds:.2f} GB/s"
    )
    trades = synthetic_trades(book, per_row=0.3, seed=5)
    assert trades_violations(trades) == []
    seconds = median_seconds(lambda: trades_violations(trades), repeat=3)
    print(
        f"synthetic trades ({len(trades):,}): checks {seconds * 1e3:.1f} ms, "
        f"{len(trades) / seconds / 1e6:.1f} M trades/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    bench_sample()
    bench_synthetic(args.rows)


if __name__ == "__main__":
    main()
