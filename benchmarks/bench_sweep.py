"""Backtest-steps per second (configs x rows / s) of the sweep engine, and vectorbt beside it.

For configs in {1, 100, 10**4} and rows in {10**5, 10**6, 10**7} of a synthetic book (10 levels,
``imbalance_5`` as the signal), the long-only threshold family runs with the full cost model
(depth walk, 5 bps taker fee). In the same run, the same configs go through
``vectorbt.Portfolio.from_signals`` with equivalent fills: price = mid, slippage = half the spread
over mid, fixed size, the same fee, with the faster of its engines (Numba, and Rust where
``vectorbt-rust`` is installed; vectorbt needs a configs x rows signal matrix; it is skipped
where that matrix would pass ``--vectorbt-cells``, or when vectorbt is not installed). Before
timing, the engine is checked against the plain-Python event loop of ``tests/reference_sweep.py``
and, where a GPU runs, the GPU against the CPU (integer outputs equal, money to rtol 1e-10, and
which metrics are bit-identical). CPU
runs above ``--cpu-budget`` steps are skipped (they are a GPU's job); the GPU runs where CuPy
finds a device. Each figure is the median of 5 timed runs (3 above 10**8 steps) after a warm-up;
``kernel steps/s`` leaves out the host-side preparation of the configs.
Run: ``.venv/bin/python -m benchmarks.bench_sweep`` (``pip install -e '.[bench]'`` for vectorbt);
the GPU rows alone: ``--engines gpu --configs 1000 10000 100000 --rows 10000000``. The named
workloads of :mod:`benchmarks.sweep_workloads` (the dense sweep and the research grid, with
their trade density and exposure): ``--workloads dense research``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import sweep_workloads
from benchmarks.common import machine, median_seconds
from l2gpu.backend.engine import gpu_status
from l2gpu.backtest import METRICS, sweep
from l2gpu.data import Book, synthetic
from l2gpu.features import compute
from tests.reference_sweep import backtest

FEE_BPS = sweep_workloads.FEE_BPS
SIZE = sweep_workloads.SIZE
INTEGER_METRICS = ("n_trades", "depth_exhausted", "open_position")


def configs_for(n: int) -> dict[str, list[object]]:
    """``n`` long-only configs on ``imb`` (the dense workload's grid)."""
    return sweep_workloads.dense_grid(n)


def book_and_signal(rows: int, seed: int = 11) -> tuple[Book, np.ndarray]:
    """The synthetic book of the benchmark and its ``imbalance_5`` signal (host arrays)."""
    book = synthetic(rows, depth=10, seed=seed)
    return book, compute(book, ["imbalance_5"], engine="cpu")["imbalance_5"]


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


def check_gpu(book: Book, signal: np.ndarray, rows: int = 20_000, n: int = 64) -> dict[str, Any]:
    """GPU against CPU on the first ``rows``: integers equal, and how many metrics are bit-equal."""
    head, x = book[:rows], {"imb": signal[:rows]}
    cpu = sweep(head, x, grid=configs_for(n), engine="cpu").table
    gpu = sweep(head, x, grid=configs_for(n), engine="gpu").table
    for metric in INTEGER_METRICS:
        assert np.array_equal(gpu[metric], cpu[metric]), metric
    for metric in METRICS:
        np.testing.assert_allclose(gpu[metric], cpu[metric], rtol=1e-10, equal_nan=True)
    identical = [m for m in METRICS if np.array_equal(gpu[m], cpu[m], equal_nan=True)]
    return {"rows": rows, "configs": n, "bit_identical_metrics": identical}


def repeats(steps: int) -> int:
    """Timed repeats: more for quick runs, where noise weighs more."""
    return 5 if steps <= 10**8 else 3


def time_engine(
    book: Book,
    signal: np.ndarray,
    n: int,
    engine: str,
    budget_s: float = float("inf"),
    repeat: int | None = None,
) -> dict[str, Any]:
    """Median wall seconds and kernel steps/s of a sweep of ``n`` configs over ``book``.

    After a warm-up on 1,000 rows, runs are repeated ``repeat`` times (default
    :func:`repeats`) while the next one is expected to end within ``budget_s`` of the first.
    """
    grid = configs_for(n)
    sweep(book[:1000], {"imb": signal[:1000]}, grid=grid, engine=engine)  # compile, warm up
    walls: list[float] = []
    kernel: list[float] = []
    start = time.perf_counter()
    while len(walls) < (repeat or repeats(n * len(book))):
        began = time.perf_counter()
        result = sweep(book, {"imb": signal}, grid=grid, engine=engine)
        walls.append(time.perf_counter() - began)
        kernel.append(result.steps_per_second)
        if time.perf_counter() - start + walls[-1] > budget_s:
            break
    seconds = statistics.median(walls)
    return {
        "rows": len(book),
        "configs": n,
        "engine": engine,
        "seconds": seconds,
        "steps_per_s": n * len(book) / seconds,
        "kernel_steps_per_s": statistics.median(kernel),
        "repeats": len(walls),
    }


def vectorbt_engines() -> list[str]:
    """vectorbt's engines installed here: Numba always, Rust where ``vectorbt-rust`` is."""
    from vectorbt._engine import is_rust_available

    return ["numba", "rust"] if is_rust_available() else ["numba"]


def time_vectorbt(book: Book, signal: np.ndarray, n: int, engine: str = "numba") -> float:
    """Median seconds of ``Portfolio.from_signals`` on the same configs with its ``engine``."""
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
            engine=engine,
        )
        portfolio.total_profit()

    run(1000)  # compile, warm up
    return median_seconds(lambda: run(len(book)), repeat=repeats(n * len(book)), warmup=0)


def check_workload(w: sweep_workloads.Workload, configs: int = 6, rows: int = 4000) -> None:
    """The engine against the plain-Python event loop on the head of ``w``, a few configs."""
    head = w.book[:rows]
    signals = {k: v[:rows] for k, v in w.signals.items()}
    table = sweep(head, signals, grid=w.grid, engine="cpu").table
    step = max(1, len(table) // configs)
    for i in range(0, len(table), step):
        cfg = {k: table[k][i] for k in w.grid}
        want, _ = backtest(head, signals[cfg["signal"]], cfg)
        assert table.n_trades[i] == want["n_trades"], (w.name, i)
        np.testing.assert_allclose(table.pnl[i], want["pnl"], rtol=1e-10, atol=1e-12)


def check_skipping(w: sweep_workloads.Workload, rows: int = 100_000) -> None:
    """Skipping (every config) against the dense scan on the head of ``w``: the same bits."""
    import pandas as pd

    head = w.book[:rows]
    signals = {k: v[:rows] for k, v in w.signals.items()}
    dense, skipped = (
        sweep(head, signals, grid=w.grid, engine="cpu", skipping=mode, bucket_returns=True)
        for mode in ("never", "always")
    )
    pd.testing.assert_frame_equal(dense.table, skipped.table, check_exact=True)
    assert dense.bucket_pnl is not None and skipped.bucket_pnl is not None
    assert np.array_equal(dense.bucket_pnl, skipped.bucket_pnl)


def time_workload(w: sweep_workloads.Workload, engine: str, **options: Any) -> dict[str, Any]:
    """Median wall and CPU seconds of the sweep of ``w`` (``options`` go to ``sweep``), density.

    CPU seconds (all threads) say more than wall seconds on a machine shared with other jobs.
    """
    n, rows = w.configs, len(w.book)
    sweep(w.book[:1000], {k: v[:1000] for k, v in w.signals.items()}, grid=w.grid, engine=engine)
    results, walls, cpus = [], [], []
    for _ in range(repeats(n * rows)):
        wall, cpu = time.perf_counter(), time.process_time()
        results.append(sweep(w.book, w.signals, grid=w.grid, engine=engine, **options))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    seconds = statistics.median(walls)
    return {
        "workload": w.name,
        "rows": rows,
        "configs": n,
        "engine": engine,
        **{k: str(v) for k, v in options.items()},
        "seconds": seconds,
        "cpu_seconds": statistics.median(cpus),
        "steps_per_s": n * rows / seconds,
        **sweep_workloads.density(results[-1].table, rows),
    }


def cpu_options(name: str) -> tuple[dict[str, str], ...]:
    """The CPU runs of workload ``name``: the dense scan and ``auto``; ``auto`` alone at 10^11."""
    if name == "research_large":  # the dense scan would take minutes a run
        return ({"skipping": "auto"},)
    return ({"skipping": "never"}, {"skipping": "auto"})


def run_workloads(names: list[str], engines: list[str], has_vectorbt: bool) -> list[dict]:
    """Check, then time each named workload on each engine (vectorbt beside the dense one).

    On the CPU each is timed twice (:func:`cpu_options`): the dense scan (``skipping="never"``)
    and the default.
    """
    out = []
    for name in names:
        w = getattr(sweep_workloads, name)()
        check_workload(w)
        check_skipping(w)
        print(f"{name}: engine vs plain-Python event loop, skipping vs dense scan: ok")
        vbt = float("nan")
        if name == "dense" and has_vectorbt:
            by_engine = {
                e: time_vectorbt(w.book, w.signals["imb"], w.configs, e) for e in vectorbt_engines()
            }
            print(f"vectorbt seconds by engine: {by_engine}")
            vbt = min(by_engine.values())
        for engine in engines:
            for options in cpu_options(name) if engine == "cpu" else ({},):
                row = time_workload(w, engine, **options)
                row["vectorbt_seconds"] = vbt
                row["vectorbt_ratio"] = vbt / row["seconds"]
                print(json.dumps(row))
                out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10**5, 10**6, 10**7])
    parser.add_argument("--configs", type=int, nargs="+", default=[1, 100, 10**4])
    parser.add_argument("--engines", nargs="+", default=["cpu", "gpu"], choices=["cpu", "gpu"])
    parser.add_argument("--cpu-budget", type=float, default=2e10, help="largest CPU run, steps")
    parser.add_argument(
        "--vectorbt-cells",
        type=float,
        default=3e8,
        help="largest configs x rows matrix handed to vectorbt",
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=["dense", "research", "research_large"],
        help="time these named workloads (benchmarks/sweep_workloads.py) instead of the table",
    )
    args = parser.parse_args()
    status = gpu_status()
    on_gpu = status.usable and not status.simulator
    engines = [e for e in args.engines if e == "cpu" or on_gpu]
    has_vectorbt = importlib.util.find_spec("vectorbt") is not None
    print(f"machine: {machine()}; GPU: {status.device_name or status.reason}")
    if args.workloads:
        rows_out = run_workloads(args.workloads, engines, has_vectorbt)
        if args.json:
            args.json.write_text(json.dumps(rows_out, indent=1))
        return
    big, signal_all = book_and_signal(max(args.rows))
    check_engine(big, signal_all)
    print("engine vs plain-Python event loop: ok")
    if "gpu" in engines:
        print(f"GPU vs CPU: ok, bit-identical metrics {check_gpu(big, signal_all)}")
    print(
        f"{'rows':>10} {'configs':>8} {'engine':>6} {'seconds':>9} {'steps/s':>12} "
        f"{'kernel st/s':>12} {'vectorbt s':>11} {'vbt steps/s':>12} {'ratio':>7}"
    )
    rows_out = []
    for rows in args.rows:
        book, signal = big[:rows], signal_all[:rows]
        for n in args.configs:
            steps = n * rows
            vbt_seconds = float("nan")
            if has_vectorbt and steps <= args.vectorbt_cells:
                vbt_seconds = min(time_vectorbt(book, signal, n, e) for e in vectorbt_engines())
            for engine in engines:
                if engine == "cpu" and steps > args.cpu_budget:
                    print(
                        f"{rows:>10,} {n:>8,} {engine:>6}   skipped: {steps:.0e} steps is over "
                        "the CPU budget"
                    )
                    continue
                row = time_engine(book, signal, n, engine)
                rows_out.append(row)
                seconds = row["seconds"]
                print(
                    f"{rows:>10,} {n:>8,} {engine:>6} {seconds:>9.3f} {steps / seconds:>12.3e} "
                    f"{row['kernel_steps_per_s']:>12.3e} {vbt_seconds:>11.3f} "
                    f"{steps / vbt_seconds:>12.3e} {vbt_seconds / seconds:>6.1f}x"
                )
    if args.json:
        args.json.write_text(json.dumps(rows_out, indent=1))


if __name__ == "__main__":
    main()
