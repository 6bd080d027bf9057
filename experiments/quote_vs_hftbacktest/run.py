"""One grid-quoting strategy in hftbacktest and in l2gpu, side by side, then seconds per config.

Run from the project root with the ``[bench]`` extra installed
(``.venv/bin/pip install -e '.[bench]'``)::

    .venv/bin/python experiments/quote_vs_hftbacktest/run.py

It prints the tables of the README: the fills, the position path and the pnl of one config in
both engines, then hftbacktest's seconds per config against a 10^4-config l2gpu quote sweep on
the CPU.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backtest.quote import quote_sweep
from l2gpu.data import Book, read_book, read_trades
from l2gpu.data.ingest import ingest
from l2gpu.data.samples import BTCUSDT_SAMPLE

sys.path.insert(0, str(Path(__file__).parent))
import hbt_grid  # the experiment's own module, beside this file

MS = 1_000_000
LATENCY_MS = 10
CONFIG: dict[str, Any] = {
    "half_spread_ticks": 10.0,
    "size": 0.01,
    "max_position": 0.05,
    "requote": "100ms",
    "entry_latency": f"{LATENCY_MS}ms",
    "response_latency": f"{LATENCY_MS}ms",
    "queue": "risk_averse",
    "maker_fee_bps": 2.0,
    "taker_fee_bps": 5.0,
}
LOT = 0.001
DEPTH = 20
HBT_REPEATS = 5
SWEEP_GRID: dict[str, list[Any]] = {
    "half_spread_ticks": [float(h) for h in range(25)],
    "max_position": [0.02, 0.05, 0.1, 0.2],
    "requote": [0, "50ms", "100ms", "200ms", "500ms"],
    "entry_latency": ["1ms", "5ms", "10ms", "20ms"],
    "queue": ["risk_averse", "prob_power", "prob_log"],
    "size": [0.01],
    "response_latency": ["10ms"],
}
"""25 x 4 x 5 x 4 x 3 = 6,000 configs; with prob_power at n = 1 and 3 as well: 10,000."""


def decision_times(ts: np.ndarray, requote_ns: int) -> np.ndarray:
    """Return the row times l2gpu's requote clock decides at (first row, then >= requote)."""
    times = [int(ts[0])]
    for value in ts[1:]:
        if value - times[-1] >= requote_ns:
            times.append(int(value))
    return np.array(times, dtype=np.int64)


def hbt_replay(
    events: np.ndarray, decisions: np.ndarray, cfg: dict[str, Any], tick: float
) -> tuple[pd.DataFrame, np.ndarray, tuple[float, float, float]]:
    """Run the grid in hftbacktest: (fills, per-decision best bid/ask/position, final state)."""
    hbt = hbt_grid.build(events, cfg)
    fill_ts = np.zeros(hbt_grid.FILL_CAPACITY, np.int64)
    fills = np.zeros((hbt_grid.FILL_CAPACITY, 2))
    best = np.zeros((decisions.shape[0], 3))
    n, made, balance, position, fee = hbt_grid.run_grid(
        hbt,
        decisions,
        cfg["half_spread_ticks"],
        cfg["size"],
        cfg["max_position"],
        tick,
        fill_ts,
        fills,
        best,
    )
    hbt.close()
    frame = pd.DataFrame({"ts": fill_ts[:n], "qty": fills[:n, 0], "px": fills[:n, 1]})
    fills_frame = frame.sort_values("ts", kind="stable").reset_index(drop=True)
    return fills_frame, best[:made], (balance, position, fee)


def hbt_config(cfg: dict[str, Any], tick: float) -> dict[str, Any]:
    """Return the l2gpu config in hftbacktest's terms (latencies in ns, tick and lot)."""
    return dict(
        cfg,
        entry_latency_ns=LATENCY_MS * MS,
        response_latency_ns=LATENCY_MS * MS,
        tick=tick,
        lot=LOT,
        queue_power=2.0,
    )


def side_by_side(book: Book, result: Any, theirs: pd.DataFrame, best: np.ndarray, final: Any):
    """Print fills, position path and pnl of both engines; return the decision-row mismatches."""
    tick = float(book.meta.tick_size)
    ours = result.trades(0)
    maker = ours[ours.maker].reset_index(drop=True)
    key = ["ts", "qty", "px"]
    mine = maker[key].round({"px": 1, "qty": 6})
    other = theirs[key].round({"px": 1, "qty": 6})
    both = mine.merge(other, how="outer", indicator=True)
    matched = int((both["_merge"] == "both").sum())
    print("| | l2gpu | hftbacktest |")
    print("|---|---|---|")
    print(f"| maker fills | {len(maker)} | {len(theirs)} |")
    print(f"| identical fills (time, side, price, size) | {matched} | {matched} |")
    print(
        f"| buys / sells | {(maker.qty > 0).sum()} / {(maker.qty < 0).sum()} | "
        f"{(theirs.qty > 0).sum()} / {(theirs.qty < 0).sum()} |"
    )
    print(f"| maker volume, BTC | {maker.qty.abs().sum():.3f} | {theirs.qty.abs().sum():.3f} |")
    # Position path: what each strategy believes at each decision.
    decisions = decision_times(book.ts, 100 * MS)[: len(best)]
    seen = np.array([maker.qty[maker.ts + LATENCY_MS * MS <= d].sum() for d in decisions])
    path_diff = int((np.abs(seen - best[:, 2]) > 1e-9).sum())
    print(f"| decisions where the seen positions differ | {path_diff} of {len(decisions)} | |")
    rows = np.searchsorted(book.ts, decisions, side="left")
    bb = np.round(book.bid_px[0, rows] / tick).astype(np.int64)
    ba = np.round(book.ask_px[0, rows] / tick).astype(np.int64)
    book_diff = int(((bb != best[:, 0]) | (ba != best[:, 1])).sum())
    print(f"| decisions where the best bid/ask differ | {book_diff} of {len(decisions)} | |")
    print(f"| decisions made | {len(decision_times(book.ts, 100 * MS))} | {len(best)} |")
    mid_last = (book.bid_px[0, -1] + book.ask_px[0, -1]) / 2
    cash = -(maker.qty * maker.px).sum() - maker.fee.sum()
    position = maker.qty.sum()
    balance, hbt_position, hbt_fee = final
    print(f"| position at the end, BTC | {position:+.3f} | {hbt_position:+.3f} |")
    print(f"| maker fees, USDT | {maker.fee.sum():.4f} | {hbt_fee:.4f} |")
    print(
        f"| equity at the last mid before any close, USDT | {cash + position * mid_last:.4f} | "
        f"{balance - hbt_fee + hbt_position * mid_last:.4f} |"
    )
    row = result.table.iloc[0]
    print(f"| l2gpu pnl after its closing market order, USDT | {row.pnl:.4f} | |")
    print(f"| adverse selection, bps | {row.adverse_selection_bps:.3f} | |")
    return both[both["_merge"] != "both"]


def timing(book: Book, trades: Any, events: np.ndarray, tick: float) -> None:
    """Print hftbacktest's seconds per config against a 10^4-config l2gpu quote sweep."""
    decisions = decision_times(book.ts, 100 * MS)
    hbt_replay(events, decisions, hbt_config(CONFIG, tick), tick)  # compiles the strategy
    seconds = []
    for h in range(HBT_REPEATS):
        cfg = hbt_config(dict(CONFIG, half_spread_ticks=float(2 * h)), tick)
        started = time.perf_counter()
        hbt_replay(events, decisions, cfg, tick)
        seconds.append(time.perf_counter() - started)
    hbt_s = float(np.median(seconds))
    grid_a = dict(SWEEP_GRID)
    grid_b = dict(SWEEP_GRID, queue=["prob_power"], queue_power=[1.0, 3.0])
    quote_sweep(book, trades, grid={k: v[:1] for k, v in SWEEP_GRID.items()}, engine="cpu")
    started = time.perf_counter()
    a = quote_sweep(book, trades, grid=grid_a, engine="cpu")
    b = quote_sweep(book, trades, grid=grid_b, engine="cpu")
    sweep_s = time.perf_counter() - started
    configs = len(a.table) + len(b.table)
    print()
    print(
        f"machine: {platform.processor() or platform.machine()}, CPUs: "
        f"{__import__('os').cpu_count()}, rows: {len(book):,}, trades: {len(trades):,}"
    )
    print("| engine | configs | seconds | seconds per config |")
    print("|---|---|---|---|")
    print(f"| hftbacktest 2.4 (median of {HBT_REPEATS} replays) | 1 | {hbt_s:.3f} | {hbt_s:.3f} |")
    print(f"| l2gpu quote sweep, CPU | {configs:,} | {sweep_s:.1f} | {sweep_s / configs:.5f} |")
    print(f"speed-up per config: {hbt_s / (sweep_s / configs):.0f}x")


def main() -> None:
    """Print the README's tables."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ingest(
            BTCUSDT_SAMPLE,
            format="binance",
            out=tmp / "b.parquet",
            depth=DEPTH,
            trades_out=tmp / "t.parquet",
        )
        book = read_book(tmp / "b.parquet", engine="cpu")
        trades = read_trades(tmp / "t.parquet")
        tick = float(book.meta.tick_size)
        events = hbt_grid.feed(BTCUSDT_SAMPLE, int(book.seq[0]), tmp)
        decisions = decision_times(book.ts, 100 * MS)
        result = quote_sweep(book, trades, params=[CONFIG], record=[0], engine="cpu")
        theirs, best, final = hbt_replay(events, decisions, hbt_config(CONFIG, tick), tick)
        different = side_by_side(book, result, theirs, best, final)
        if len(different):
            print("\nfills in one engine only:")
            print(different.to_string())
        timing(book, trades, events, tick)


if __name__ == "__main__":
    main()
