"""Backtest-steps per second (configs x rows / s) of the quote family on the Binance samples.

For configs in {1, 100, 10**4} on each bundled Binance USD-M sample (its book rebuilt with 20
levels, its trades aligned to rows), a grid of two-sided quotes (half spreads, latencies in
time, requote clocks, the three queue models, partial fills on and off) runs on the CPU, and on
the GPU where CuPy finds one. Before timing, the kernel is checked against the plain-Python
reference of ``tests/reference_quote.py`` on a few configs. Each figure is the median of 5
timed runs (3 for 10**4 configs) after a warm-up.
Run: ``.venv/bin/python -m benchmarks.bench_quote``.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import machine, median_seconds
from l2gpu.backend.engine import gpu_status
from l2gpu.backtest.quote import quote_sweep
from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import ingest
from tests.reference_quote import backtest
from tests.samples import BTCUSDT, ETHUSDT

SAMPLES = {"BTCUSDT": (BTCUSDT, 0.01), "ETHUSDT": (ETHUSDT, 0.1)}


def configs_for(n: int, size: float) -> list[dict[str, Any]]:
    """``n`` distinct quote configs from one grid, in a fixed order."""
    grid = itertools.product(
        [float(h) for h in range(25)],
        [0, "50ms", "100ms", "250ms"],
        ["1ms", "10ms", "25ms"],
        [("risk_averse", 2.0), ("prob_power", 1.0), ("prob_power", 3.0), ("prob_log", 2.0)],
        [False, True],
        [3, 10],
    )
    out = []
    for half, requote, latency, (queue, power), partial, limit in itertools.islice(grid, n):
        out.append(
            {
                "half_spread_ticks": half,
                "requote": requote,
                "entry_latency": latency,
                "response_latency": latency,
                "queue": queue,
                "queue_power": power,
                "partial_fills": partial,
                "size": size,
                "max_position": limit * size,
            }
        )
    return out


def check(book: Any, trades: Any, size: float) -> None:
    configs = configs_for(10**4, size)[::997][:4]
    table = quote_sweep(book, trades, params=configs, engine="cpu").table
    for i, cfg in enumerate(configs):
        want, _ = backtest(book, trades, None, cfg)
        assert table.n_fills[i] == want["n_fills"], (i, cfg)
        np.testing.assert_allclose(table.pnl[i], want["pnl"], rtol=1e-10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", type=int, nargs="+", default=[1, 100, 10**4])
    args = parser.parse_args()
    status = gpu_status()
    engines = ["cpu"] + (["gpu"] if status.usable and not status.simulator else [])
    print(f"machine: {machine()}; GPU: {status.device_name or status.reason}")
    print(
        f"{'data':>8} {'rows':>7} {'trades':>7} {'configs':>8} {'engine':>6} {'seconds':>9} "
        f"{'steps/s':>10} {'s/config':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, (path, size) in SAMPLES.items():
            ingest(
                path,
                format="binance",
                out=tmp / "b.parquet",
                depth=20,
                trades_out=tmp / "t.parquet",
            )
            book = read_book(tmp / "b.parquet", engine="cpu")
            trades = read_trades(tmp / "t.parquet")
            check(book, trades, size)
            for n in args.configs:
                configs = configs_for(n, size)
                for engine in engines:
                    quote_sweep(book[:500], trades, params=configs[:2], engine=engine)  # compile

                    def run(b: Any = book, tr: Any = trades, c: Any = configs, e: str = engine):
                        quote_sweep(b, tr, params=c, engine=e)

                    seconds = median_seconds(run, repeat=5 if n < 10**4 else 3)
                    steps = n * len(book)
                    print(
                        f"{name:>8} {len(book):>7,} {len(trades):>7,} {n:>8,} {engine:>6} "
                        f"{seconds:>9.3f} {steps / seconds:>10.3e} {seconds / n:>9.2e}"
                    )
    print("kernel vs plain-Python reference: ok (checked before timing)")


if __name__ == "__main__":
    main()
