"""Backtest-steps per second (configs x rows / s) of the sweep engine, and vectorbt beside it.

For configs in {1, 100, 10**4} and rows in {10**5, 10**6, 10**7} of a synthetic book (10 levels,
``imbalance_5`` as the signal), the long-only threshold family runs with the full cost model
(depth walk, 5 bps taker fee). In the same run, the same configs go through
``vectorbt.Portfolio.from_signals`` with equivalent fills: price = mid, slippage = half the spread
over mid, fixed size, the same fee (vectorbt needs a configs x rows signal matrix; it is skipped
where that matrix would pass ``--vectorbt-cells``). Before timing, the engine is checked against
the plain-Python event loop of ``tests/reference_sweep.py``. CPU runs above ``--cpu-budget`` steps
are skipped (they are a GPU's job); the GPU runs where CuPy finds a device. Each figure is the
median of 5 timed runs (3 above 10**8 steps) after a warm-up.
Run: ``.venv/bin/python -m benchmarks.bench_sweep`` (``pip install -e '.[bench]'`` for vectorbt).
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import machine, median_seconds
from l2gpu.backend.engine import gpu_status
from l2gpu.backtest import sweep
from l2gpu.data import Book, synthetic
from l2gpu.features import compute
from tests.reference_sweep import backtest

FEE_BPS = 5.0
SIZE = 0.01


def configs_for(n: int) -> dict[str, list[object]]:
    return {
        "signal": ["imb"],
        "entry": list(np.linspace(0.2, 0.95, n)),
        "exit": [0.0],
        "size": [SIZE],
        "direction": ["long"],
        "taker_fee_bps": [FEE_BPS],
    }


def check_engine(book: Book, signal: np.ndarray) -> None:
    head, x = book[:3000], signal[:3000]
    grid = configs_for(4)
    table = sweep(head, {"imb": x}, grid=grid, engine="cpu").table
    for i, entry in enumerate(grid["entry"]):
        want, _ = backtest(
            head, x, {"entry": entry, "size": SIZE, "direction": "long", "taker_fee_bps": FEE_BPS}
        )
        assert table.n_trades[i] == want["n_trades"]
        np.testing.assert_allclose(table.pnl[i], want["pnl"], rtol=1e-10)


def repeats(steps: int) -> int:
    """Timed repeats: more for quick runs, where noise weighs more."""
    return 5 if steps <= 10**8 else 3


def time_engine(book: Book, signal: np.ndarray, n: int, engine: str) -> float:
    grid = configs_for(n)
    sweep(book[:1000], {"imb": signal[:1000]}, grid=grid, engine=engine)  # compile, warm up
    return median_seconds(
        lambda: sweep(book, {"imb": signal}, grid=grid, engine=engine),
        repeat=repeats(n * len(book)),
        warmup=1,
    )


def time_vectorbt(book: Book, signal: np.ndarray, n: int) -> float:
    import pandas as pd
    import vectorbt as vbt

    mid = pd.Series((book.bid_px[0] + book.ask_px[0]) / 2).ffill().bfill().to_numpy()
    spread = pd.Series(book.ask_px[0] - book.bid_px[0]).ffill().bfill().to_numpy()
    entries_at = np.array(configs_for(n)["entry"])

    def run(rows: int) -> None:
        x = signal[:rows, None]
        entries = x >= entries_at[None, :]
        exits = x <= 0.0
        portfolio = vbt.Portfolio.from_signals(
            close=mid[:rows, None],
            entries=entries,
            exits=np.broadcast_to(exits, entries.shape),
            size=SIZE,
            size_type="amount",
            fees=FEE_BPS * 1e-4,
            slippage=(spread[:rows] / 2 / mid[:rows])[:, None],
            direction="longonly",
            init_cash=np.inf,
        )
        portfolio.total_profit()

    run(1000)  # compile, warm up
    return median_seconds(lambda: run(len(book)), repeat=repeats(n * len(book)), warmup=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10**5, 10**6, 10**7])
    parser.add_argument("--configs", type=int, nargs="+", default=[1, 100, 10**4])
    parser.add_argument("--cpu-budget", type=float, default=2e10, help="largest CPU run, steps")
    parser.add_argument(
        "--vectorbt-cells",
        type=float,
        default=3e8,
        help="largest configs x rows matrix handed to vectorbt",
    )
    args = parser.parse_args()
    status = gpu_status()
    engines = ["cpu"] + (["gpu"] if status.usable and not status.simulator else [])
    print(f"machine: {machine()}; GPU: {status.device_name or status.reason}")
    big = synthetic(max(args.rows), depth=10, seed=11)
    signal_all = compute(big, ["imbalance_5"], engine="cpu")["imbalance_5"]
    check_engine(big, signal_all)
    print("engine vs plain-Python event loop: ok")
    print(
        f"{'rows':>10} {'configs':>8} {'engine':>6} {'seconds':>9} {'steps/s':>12} "
        f"{'vectorbt s':>11} {'vbt steps/s':>12} {'ratio':>7}"
    )
    for rows in args.rows:
        book, signal = big[:rows], signal_all[:rows]
        for n in args.configs:
            steps = n * rows
            vbt_seconds = (
                time_vectorbt(book, signal, n) if steps <= args.vectorbt_cells else float("nan")
            )
            for engine in engines:
                if engine == "cpu" and steps > args.cpu_budget:
                    print(
                        f"{rows:>10,} {n:>8,} {engine:>6}   skipped: {steps:.0e} steps is over "
                        "the CPU budget"
                    )
                    continue
                seconds = time_engine(book, signal, n, engine)
                ratio = vbt_seconds / seconds
                print(
                    f"{rows:>10,} {n:>8,} {engine:>6} {seconds:>9.3f} {steps / seconds:>12.3e} "
                    f"{vbt_seconds:>11.3f} {steps / vbt_seconds:>12.3e} {ratio:>6.1f}x"
                )


if __name__ == "__main__":
    main()
