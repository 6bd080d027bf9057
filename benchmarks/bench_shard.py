"""One sweep sharded over CPU processes: wall time against one process, same results exactly.

A synthetic book (10 levels, ``imbalance_5`` and ``ofi_2s`` as signals) and a threshold grid
and a quote grid; for each worker count, the sharded sweep is first checked equal to the
one-process sweep (tables exactly, recorded trades, bucket pnl), then timed: the median of
``--repeat`` runs after a warm-up that starts the process pool (started once, reused). The
figures include pickling the book to each shard and the merge.
Run: ``.venv/bin/python -m benchmarks.bench_shard`` (``--rows``, ``--workers``).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import machine, median_seconds
from l2gpu.backtest import sweep
from l2gpu.backtest.quote import quote_sweep
from l2gpu.data import synthetic, synthetic_trades
from l2gpu.features import compute


def grids(n_threshold: int, n_quote: int) -> tuple[dict[str, Any], dict[str, Any]]:
    threshold = {
        "signal": ["imbalance_5", "ofi_2s"],
        "entry": list(np.linspace(0.3, 0.95, n_threshold // 4)),
        "max_hold": ["1s", "10s"],
        "latency": [0],
        "taker_fee_bps": [5.0],
    }
    quote = {
        "signal": ["imbalance_5"],
        "half_spread_ticks": list(np.linspace(0.0, 3.0, n_quote // 2)),
        "requote": [0, "100ms"],
    }
    return threshold, quote


def same(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert np.array_equal(a.bucket_pnl, b.bucket_pnl, equal_nan=True)
    for config, trades in b.recorded.items():
        pd.testing.assert_frame_equal(a.trades(config), trades, check_exact=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--threshold-configs", type=int, default=2_000)
    parser.add_argument("--quote-configs", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    book = synthetic(rows=args.rows, depth=10, seed=3)
    trades = synthetic_trades(book, seed=3)
    signals = compute(book, ["imbalance_5", "ofi_2s"], engine="cpu")
    threshold, quote = grids(args.threshold_configs, args.quote_configs)
    families = {
        "threshold": lambda **kw: sweep(book, signals, grid=threshold, **kw),
        "quote": lambda **kw: quote_sweep(book, trades, signals, grid=quote, **kw),
    }
    print(f"machine: {machine()}; {args.rows:,} rows")
    print("| family | configs | workers | seconds | speed-up |")
    print("|---|---|---|---|---|")
    for name, run in families.items():
        options = {"engine": "cpu", "record": [0, 1], "bucket_returns": True}
        single = run(**options)
        base = median_seconds(lambda: run(**options), repeat=args.repeat)  # noqa: B023
        configs = len(single.table)
        print(f"| {name} | {configs:,} | 1 | {base:.2f} | 1.00 |", flush=True)
        for workers in args.workers:
            same(run(workers=workers, **options), single)
            seconds = median_seconds(
                lambda: run(workers=workers, **options),  # noqa: B023
                repeat=args.repeat,
                warmup=0,
            )
            print(f"| {name} | {configs:,} | {workers} | {seconds:.2f} | {base / seconds:.2f} |")


if __name__ == "__main__":
    main()
