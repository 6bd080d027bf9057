"""Costs against information, and overlapping against non-overlapping trades.

(a) For each horizon h, the information coefficient (Pearson) of ``imbalance_5`` and ``ofi_2s``
    with the forward return ``fwd_ret_h``, beside the engine's pnl of hold-to-horizon trades
    (enter when the signal passes its 90th percentile of |value|, either side, leave only when
    held h; 0.01 base units; walking the book) with and without the 5 bps taker fee.
(b) The same rule backtested the naive way: a trade at *every* row where the signal passes the
    threshold, held to the horizon, pnl from mid to mid, all of them summed although they
    overlap; against the engine, where one position at a time pays the spread and the fee.

Run from the project root: ``.venv/bin/python experiments/costs_vs_ic/run.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from l2gpu import labels
from l2gpu.backtest import sweep
from l2gpu.data import read_book
from l2gpu.data.ingest import ingest
from l2gpu.data.samples import SAMPLES_DIR
from l2gpu.features import compute

SAMPLES = {
    "BTCUSDT": SAMPLES_DIR / "hftbacktest_binance_usdm_btcusdt_20240808" / "btcusdt_20240808.gz",
    "ETHUSDT": SAMPLES_DIR / "hftbacktest_binance_usdm_ethusdt_20240808" / "ethusdt_20240808.gz",
}
HORIZONS = ("1s", "2s", "5s", "10s", "30s")
SIGNALS = ("imbalance_5", "ofi_2s")
SIZE = 0.01
QUANTILE = 0.9


def main() -> None:
    """Print the table of the README: one row per sample, signal and horizon."""
    print(
        "| data | signal | horizon | IC | net pnl, 5 bps fee | pnl, no fee | trades | "
        "naive overlapping pnl | naive trades |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in SAMPLES.items():
            store = Path(tmp) / f"{name}.parquet"
            ingest(path, format="binance", out=store, depth=10)
            book = read_book(store, engine="cpu")
            mid = (book.bid_px[0] + book.ask_px[0]) / 2
            signals = compute(book, SIGNALS, engine="cpu")
            targets = labels.compute(book, [f"fwd_ret_{h}" for h in HORIZONS], engine="cpu")
            for signal in SIGNALS:
                x = signals[signal]
                level = float(np.nanquantile(np.abs(x), QUANTILE))
                for h in HORIZONS:
                    y = targets[f"fwd_ret_{h}"]
                    both = np.isfinite(x) & np.isfinite(y)
                    ic = float(np.corrcoef(x[both], y[both])[0, 1])
                    table = sweep(
                        book,
                        {signal: x},
                        params=[
                            {
                                "signal": signal,
                                "entry": level,
                                "exit": -1e300,
                                "max_hold": h,
                                "size": SIZE,
                                "taker_fee_bps": fee,
                            }
                            for fee in (5.0, 0.0)
                        ],
                    ).table
                    side = np.where(x >= level, 1.0, np.where(x <= -level, -1.0, 0.0))
                    future = np.exp(y) * mid  # mid at the horizon's end row
                    naive = np.where(
                        np.isfinite(future) & (side != 0), side * (future - mid) * SIZE, 0.0
                    )
                    print(
                        f"| {name} | {signal} | {h} | {ic:+.3f} | {table.pnl[0]:+.2f} | "
                        f"{table.pnl[1]:+.2f} | {table.n_trades[0]} | {naive.sum():+.2f} | "
                        f"{int((naive != 0).sum())} |"
                    )


if __name__ == "__main__":
    main()
