"""How the queue model changes the verdict, and how adverse selection eats the spread captured.

For both bundled Binance USD-M samples, one grid of two-sided quotes (``half_spread_ticks`` from
0 to 20, requote every 100 ms, 10 ms entry and response latency, at most five quotes of
inventory, no signal skew, the 2 bps maker fee and without it) is backtested under each queue
model: ``risk_averse`` and the probabilistic ``prob_power`` (n = 1, 2, 3) and ``prob_log``. Every
config is recorded, so each maker fill gives the spread it captured against the mid at its time
(``(mid - p) / p`` for a buy, ``(p - mid) / p`` for a sell, bps) beside the engine's
``adverse_selection_bps`` (the mid 1 s later against the fill price).

Run from the project root: ``.venv/bin/python experiments/queue_models/run.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from l2gpu.backtest.quote import quote_sweep
from l2gpu.data import Book, read_book, read_trades
from l2gpu.data.ingest import ingest
from l2gpu.data.samples import SAMPLES_DIR

SAMPLES = {
    "BTCUSDT": (
        SAMPLES_DIR / "hftbacktest_binance_usdm_btcusdt_20240808" / "btcusdt_20240808.gz",
        0.01,
    ),
    "ETHUSDT": (
        SAMPLES_DIR / "hftbacktest_binance_usdm_ethusdt_20240808" / "ethusdt_20240808.gz",
        0.1,
    ),
}
QUEUES = [
    ("risk_averse", 2.0),
    ("prob_power", 1.0),
    ("prob_power", 2.0),
    ("prob_power", 3.0),
    ("prob_log", 2.0),
]
HALF_SPREADS = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0]
FEES = [2.0, 0.0]


def configs(size: float) -> list[dict]:
    """Return the grid: queue model x half spread x maker fee."""
    return [
        {
            "half_spread_ticks": h,
            "size": size,
            "max_position": 5 * size,
            "requote": "100ms",
            "entry_latency": "10ms",
            "response_latency": "10ms",
            "queue": queue,
            "queue_power": power,
            "maker_fee_bps": fee,
            "taker_fee_bps": 5.0,
        }
        for queue, power in QUEUES
        for h in HALF_SPREADS
        for fee in FEES
    ]


def captured_bps(book: Book, fills: pd.DataFrame) -> float:
    """Mean spread captured by the maker fills against the mid at their time, bps."""
    maker = fills[fills.maker]
    if maker.empty:
        return float("nan")
    rows = np.searchsorted(book.ts, maker.ts.to_numpy(), side="right") - 1
    mid = (book.bid_px[0, rows] + book.ask_px[0, rows]) / 2
    px = maker.px.to_numpy()
    sign = np.sign(maker.qty.to_numpy())
    return float(np.mean(sign * (mid - px) / px) * 1e4)


def model_name(queue: str, power: float) -> str:
    """Return the model's name as the tables print it."""
    return f"prob_power n={power:g}" if queue == "prob_power" else queue


def main() -> None:
    """Print the README's tables: per sample, queue model and half spread."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, (path, size) in SAMPLES.items():
            ingest(
                path,
                format="binance",
                out=tmp / f"{name}.parquet",
                depth=20,
                trades_out=tmp / f"{name}_t.parquet",
            )
            book = read_book(tmp / f"{name}.parquet", engine="cpu")
            trades = read_trades(tmp / f"{name}_t.parquet")
            grid = configs(size)
            result = quote_sweep(book, trades, params=grid, record=range(len(grid)), engine="cpu")
            for i, cfg in enumerate(grid):
                row = result.table.iloc[i]
                rows.append(
                    {
                        "data": name,
                        "queue": model_name(cfg["queue"], cfg["queue_power"]),
                        "half_spread_ticks": cfg["half_spread_ticks"],
                        "maker_fee_bps": cfg["maker_fee_bps"],
                        "n_fills": int(row.n_fills),
                        "fill_ratio": row.fill_ratio,
                        "captured_bps": captured_bps(book, result.trades(i)),
                        "adverse_bps": row.adverse_selection_bps,
                        "pnl": row.pnl,
                        "gross_pnl": row.gross_pnl,
                    }
                )
    table = pd.DataFrame(rows)
    table["markout_bps"] = table.captured_bps - table.adverse_bps
    paid = table[table.maker_fee_bps == 2.0]
    free = table[table.maker_fee_bps == 0.0].set_index(["data", "queue", "half_spread_ticks"])
    print(
        "| data | queue | half spread, ticks | fills | fill ratio | captured, bps | "
        "adverse selection, bps | markout, bps | pnl, 2 bps maker fee | pnl, no fee |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in paid.itertuples():
        nofee = free.loc[(r.data, r.queue, r.half_spread_ticks), "pnl"]
        print(
            f"| {r.data} | {r.queue} | {r.half_spread_ticks:g} | {r.n_fills} | "
            f"{r.fill_ratio:.3f} | {r.captured_bps:+.3f} | {r.adverse_bps:+.3f} | "
            f"{r.markout_bps:+.3f} | {r.pnl:+.2f} | {nofee:+.2f} |"
        )
    print()
    print("| data | queue | best half spread, no fee | its pnl | best, 2 bps fee | its pnl |")
    print("|---|---|---|---|---|---|")
    for (data, queue), group in table.groupby(["data", "queue"], sort=False):
        best_free = group[group.maker_fee_bps == 0.0].sort_values("pnl").iloc[-1]
        best_paid = group[group.maker_fee_bps == 2.0].sort_values("pnl").iloc[-1]
        print(
            f"| {data} | {queue} | {best_free.half_spread_ticks:g} | {best_free.pnl:+.2f} | "
            f"{best_paid.half_spread_ticks:g} | {best_paid.pnl:+.2f} |"
        )


if __name__ == "__main__":
    main()
