"""What a replay costs: one config stepped through the sweep's kernel, against one sweep of it.

For one busy config of each family on each bundled Binance USD-M sample (the whole book, 10
levels): the sweep of that config with its trades recorded (``family.run(..., record=[0])``),
the replay stepping one row per kernel call (the finest "event by event"), and the replay as
``l2gpu replay --speed 0`` runs it (the pace's batches, the plain view writing every fill and a
status line every 10 s to a buffer). Before timing, the replay's fills and metrics are checked
equal to the sweep's. Each figure is the median of 5 timed runs after a warm-up.
Run: ``.venv/bin/python -m benchmarks.bench_replay``.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from benchmarks.common import machine, median_seconds
from l2gpu.backtest import STRATEGIES
from l2gpu.core.units import NS_PER_S
from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import ingest
from l2gpu.features import compute
from l2gpu.replay import start_replay
from l2gpu.replay.pace import Pace
from l2gpu.replay.session import play
from l2gpu.replay.view import PlainView
from tests.samples import BTCUSDT, ETHUSDT

SAMPLES = {"BTCUSDT": BTCUSDT, "ETHUSDT": ETHUSDT}
CONFIGS = {
    "threshold": {
        "signal": "imbalance_5",
        "entry": 0.3,
        "max_hold": "1s",
        "latency": "10ms",
        "size": 0.01,
        "direction": "both",
    },
    "quote": {
        "signal": "imbalance_5",
        "skew_bps": 1.0,
        "requote": "100ms",
        "entry_latency": "10ms",
        "response_latency": "10ms",
        "queue": "prob_power",
        "partial_fills": True,
        "size": 0.01,
        "max_position": 0.05,
    },
}


def row_by_row(family: str, book: Any, signals: Any, params: pd.DataFrame, trades: Any) -> Any:
    """Replay one row per kernel call, then close."""
    stepper = start_replay(family, book, signals, params, trades=trades)
    for row in range(1, stepper.rows + 1):
        stepper.advance(row)
    stepper.finish()
    return stepper


def paced(family: str, book: Any, signals: Any, params: pd.DataFrame, trades: Any) -> Any:
    """Replay as the command does at speed 0, plain lines into a buffer."""
    stepper = start_replay(family, book, signals, params, trades=trades)
    ts = book.host_ts()
    view = PlainView(Console(file=io.StringIO(), width=300), ts, 10 * NS_PER_S, [])
    play(stepper, view, Pace(ts, 0))
    return stepper


def check(family: str, stepper: Any, swept: Any) -> None:
    pd.testing.assert_frame_equal(stepper.fills(), swept.trades(0), check_exact=True)
    metrics = list(STRATEGIES[family].metrics)
    pd.testing.assert_frame_equal(stepper.result()[metrics], swept.table[metrics], check_exact=True)


def measure(family: str, name: str, book: Any, trades: Any, signals: Any) -> None:
    """Check, then time and print one row: the sweep, the replay one row a call, at speed 0."""
    params = pd.DataFrame([CONFIGS[family]])

    def sweep() -> Any:
        return STRATEGIES[family].run(book, signals, params, trades=trades, record=[0])

    swept = sweep()
    check(family, row_by_row(family, book, signals, params, trades), swept)
    check(family, paced(family, book, signals, params, trades), swept)
    sweep_s = median_seconds(sweep)
    row_s = median_seconds(lambda: row_by_row(family, book, signals, params, trades))
    paced_s = median_seconds(lambda: paced(family, book, signals, params, trades))
    print(
        f"{family:>9} {name:>8} {len(book):>6,} {len(swept.trades(0)):>6,} {sweep_s:>8.3f} "
        f"{row_s:>8.3f} {row_s / len(book) * 1e6:>7.1f} {paced_s:>9.3f}"
    )


def main() -> None:
    print(f"machine: {machine()}")
    print(
        f"{'family':>9} {'data':>8} {'rows':>6} {'fills':>6} {'sweep s':>8} {'1-row s':>8} "
        f"{'us/row':>7} {'speed-0 s':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, path in SAMPLES.items():
            ingest(
                path,
                format="binance",
                out=tmp / "b.parquet",
                depth=10,
                trades_out=tmp / "t.parquet",
            )
            book = read_book(tmp / "b.parquet", engine="cpu")
            trades = read_trades(tmp / "t.parquet")
            signals = compute(book, ["imbalance_5"], engine="cpu")
            for family in CONFIGS:
                measure(family, name, book, trades, signals)
    print("replay equals the sweep (fills and metrics, exactly): checked before timing")


if __name__ == "__main__":
    main()
