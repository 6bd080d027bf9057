"""The two named workloads of ``bench_sweep --workloads``: a dense sweep and a research grid.

- ``dense``: 10^5 rows x 300 long-only configs on ``imbalance_5`` (entries 0.2 to 0.95, exit at
  0, 5 bps, size 0.01): about one trade per 10 rows, the grid vectorbt gets side by side;
- ``research``: 10^6 rows x 400 configs over two signals (``imbalance_5`` and ``ofi_2s``, each
  divided by its 99% quantile of ``|x|``), both directions, entries 0.9 to 1.25, exit at -0.8,
  time holds of 20 s and 120 s, latencies 0 and 5 ms, stops 0 to 40 bps: a median of one trade
  per about 5,000 rows, about a quarter of the time in a position;
- ``research_large``: the same grid with 250 entry levels (10^4 configs) over 10^7 rows.

Each workload is a synthetic book (10 levels, seed 11), its signals and its grid. Density and
exposure are reported from the results (:func:`density`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from l2gpu.data import Book, synthetic
from l2gpu.features import compute

FEE_BPS = 5.0
SIZE = 0.01


@dataclass(frozen=True)
class Workload:
    """A book, its signals (host arrays by name) and the grid swept over them."""

    name: str
    book: Book
    signals: dict[str, np.ndarray]
    grid: dict[str, list[Any]]

    @property
    def configs(self) -> int:
        """Number of configs of the grid."""
        return int(np.prod([len(v) for v in self.grid.values()]))


def dense_grid(n: int) -> dict[str, list[Any]]:
    """``n`` long-only configs on ``imb``, entries evenly from 0.2 to 0.95, exit at 0."""
    return {
        "signal": ["imb"],
        "entry": list(np.linspace(0.2, 0.95, n)),
        "exit": [0.0],
        "size": [SIZE],
        "direction": ["long"],
        "taker_fee_bps": [FEE_BPS],
    }


def dense(rows: int = 10**5, configs: int = 300) -> Workload:
    """The dense workload (see the module doc)."""
    book = synthetic(rows, depth=10, seed=11)
    signal = np.asarray(compute(book, ["imbalance_5"], engine="cpu")["imbalance_5"], float)
    return Workload("dense", book, {"imb": signal}, dense_grid(configs))


def research(rows: int = 10**6, entries: int = 10, name: str = "research") -> Workload:
    """The research grid (see the module doc); ``entries`` levels from 0.9 to 1.25."""
    book = synthetic(rows, depth=10, seed=11)
    features = compute(book, ["imbalance_5", "ofi_2s"], engine="cpu")
    signals = {}
    for feature, values in features.items():
        x = np.asarray(values, float)
        signals[feature] = x / np.nanquantile(np.abs(x), 0.99)
    grid: dict[str, list[Any]] = {
        "signal": list(signals),
        "entry": [float(e) for e in np.round(np.linspace(0.9, 1.25, entries), 3)],
        "exit": [-0.8],
        "max_hold": ["20s", "120s"],
        "latency": [0, "5ms"],
        "stop_loss_bps": [0.0, 5.0, 10.0, 20.0, 40.0],
        "size": [SIZE],
        "taker_fee_bps": [FEE_BPS],
    }
    return Workload(name, book, signals, grid)


def research_large() -> Workload:
    """The research grid at 10^7 rows and 250 entry levels: 10^4 configs."""
    return research(10**7, entries=250, name="research_large")


def density(table: Any, rows: int) -> dict[str, float]:
    """Median rows per trade (configs without trades count as ``rows``) and median exposure."""
    per_trade = rows / np.maximum(table.n_trades.to_numpy(), 1)
    return {
        "median_rows_per_trade": float(np.median(per_trade)),
        "median_exposure": float(table.exposure.median()),
    }
