"""Walk-forward evaluation: choose configs in sample, trade them out of sample, fold by fold.

Folds are cut by time. Each test window has length ``test``; its training window ends a ``gap``
before the test starts and spans ``train`` (rolling) or everything from the first row
(expanding). The gap is the purge plus the embargo:

- **purge**: the longest horizon a training row can look ahead, the labels' horizon or the
  strategy's (holding limit plus latency), so no training outcome reaches into the test window;
- **embargo**: an extra quiet span. In k-fold splits it protects test rows from training rows
  that follow them; walk-forward never trains after a test window, so it widens the gap before
  each test window instead.

In each fold the sweep runs every config on the training window, the ``top_k`` best by
``objective`` run on the test window, and the best one's per-bucket pnl is stitched into the
out-of-sample track. Signal names pass the leakage guard first.

On the GPU a device book and device signals stay there: folds are cut on the book's host
timestamps (:meth:`l2gpu.data.Book.host_ts`) and each fold's sweeps read slices of the device
arrays, so only parameters go up and results come down, fold by fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backend.arrays import to_device
from l2gpu.backtest.family import StrategyFamily
from l2gpu.backtest.threshold import THRESHOLD
from l2gpu.core.spans import Window
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.labels.guard import check_inputs

MODES = ("rolling", "expanding")


@dataclass(frozen=True)
class Fold:
    """One fold's windows, ns since the Unix epoch (half-open ``[start, end)``)."""

    train_start: int
    train_end: int
    test_start: int
    test_end: int


@dataclass
class WalkForwardResult:
    """Folds, in-sample and out-of-sample figures, and the stitched out-of-sample track.

    Attributes
    ----------
    folds : pandas.DataFrame
        One row per fold: windows, the selected config's parameters, its in-sample and
        out-of-sample ``objective``, pnl and trades.
    oos_pnl : pandas.Series
        Out-of-sample pnl per bucket of the selected configs, indexed by bucket start time (ns).
    """

    folds: pd.DataFrame
    oos_pnl: pd.Series

    @property
    def oos_total(self) -> float:
        """Stitched out-of-sample pnl, quote currency."""
        return float(self.oos_pnl.sum())


def _ns(span: str, name: str, allow_zero: bool = False) -> int:
    window = Window.parse(span, allow_zero=allow_zero)
    if window.ns is None:
        raise ValueError(f"{name} must be a duration such as '60s', got {span!r}")
    return window.ns


def make_folds(
    start: int, end: int, train: str, test: str, gap_ns: int, mode: str = "rolling"
) -> list[Fold]:
    """Cut ``[start, end)`` into walk-forward folds."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    train_ns, test_ns = _ns(train, "train"), _ns(test, "test")
    folds = []
    test_start = start + train_ns + gap_ns
    while test_start + test_ns <= end:
        train_end = test_start - gap_ns
        train_start = start if mode == "expanding" else train_end - train_ns
        folds.append(Fold(train_start, train_end, test_start, test_start + test_ns))
        test_start += test_ns
    if not folds:
        raise ValueError("the data is too short for one fold of train + gap + test")
    return folds


def walk_forward(
    book: Book,
    signals: dict[str, Any],
    params: pd.DataFrame,
    train: str,
    test: str,
    mode: str = "rolling",
    label_horizon: str = "0s",
    embargo: str = "0s",
    objective: str = "pnl",
    top_k: int = 1,
    engine: str | None = None,
    sharpe_bucket: str = "1s",
    declared_causal: tuple[str, ...] = (),
    family: StrategyFamily = THRESHOLD,
    trades: Trades | None = None,
) -> WalkForwardResult:
    """Run the walk-forward evaluation of ``params`` (see the module doc).

    Parameters
    ----------
    book : Book
        The whole book.
    signals : dict of str to array [T]
        Causal signals by name, computed on the whole book.
    params : DataFrame
        Configs, as for :func:`l2gpu.sweep`.
    train, test : str
        Training and test window lengths (durations).
    mode : {"rolling", "expanding"}
        Training window that slides, or that grows from the first row.
    label_horizon, embargo : str
        Durations; with the strategy's own horizon they set the gap before each test window.
    objective : str
        Metric that picks the configs in sample (higher is better).
    top_k : int
        Configs carried to the test window; the best one is stitched.
    declared_causal : tuple of str
        Signal names that are not registered features but are causal (see the guard).
    family : StrategyFamily
        The family of ``params`` (its sweep, its horizon, its activity metric: the fold table's
        ``is_trades`` and ``oos_trades`` count it).
    trades : Trades, optional
        The recording's trades, for a family that reads them; each window gets its own.
    """
    check_inputs(list(signals), declared_causal=declared_causal)
    purge = max(_ns(label_horizon, "label_horizon", True), family.horizon_ns(params, book))
    gap = purge + _ns(embargo, "embargo", True)
    ts = book.host_ts()
    first_ns, last_ns = book.span_ns()
    folds = make_folds(first_ns, last_ns + 1, train, test, gap, mode)
    rows, pieces = [], []
    bucket_ns = _ns(sharpe_bucket, "sharpe_bucket")
    for number, fold in enumerate(folds):
        train_rows = _rows(ts, fold.train_start, fold.train_end)
        test_rows = _rows(ts, fold.test_start, fold.test_end)
        if train_rows.stop - train_rows.start < 2 or test_rows.stop - test_rows.start < 2:
            continue
        in_sample = family.run(
            book[train_rows],
            _slice(signals, train_rows),
            params,
            trades=_trades_within(trades, ts, train_rows),
            engine=engine,
            sharpe_bucket=sharpe_bucket,
        ).table
        ranked = in_sample[in_sample[family.activity] > 0].sort_values(objective, ascending=False)
        if ranked.empty:
            continue
        chosen = ranked.head(top_k)
        out = family.run(
            book[test_rows],
            _slice(signals, test_rows),
            params.iloc[chosen.index].reset_index(drop=True),
            trades=_trades_within(trades, ts, test_rows),
            engine=engine,
            sharpe_bucket=sharpe_bucket,
            bucket_returns=True,
        )
        best = out.table.iloc[0]
        assert out.bucket_pnl is not None
        stitched = to_device(out.bucket_pnl[:, 0], "cpu", "walk-forward fold pnl")
        times = int(ts[test_rows.start]) + bucket_ns * np.arange(stitched.shape[0])
        pieces.append(pd.Series(stitched, index=times))
        rows.append(
            {
                "fold": number,
                **vars(fold),
                "config": int(chosen.index[0]),
                **{k: params.iloc[chosen.index[0]][k] for k in params.columns},
                f"is_{objective}": float(chosen.iloc[0][objective]),
                f"oos_{objective}": float(best[objective]),
                "is_pnl": float(chosen.iloc[0]["pnl"]),
                "oos_pnl": float(best["pnl"]),
                "is_trades": int(chosen.iloc[0][family.activity]),
                "oos_trades": int(best[family.activity]),
            }
        )
    oos = pd.concat(pieces) if pieces else pd.Series(dtype=float)
    return WalkForwardResult(pd.DataFrame(rows), oos)


def _rows(ts: np.ndarray, start: int, end: int) -> slice:
    """Rows with ``start <= ts < end`` of the host timestamps ``ts``."""
    lo = int(np.searchsorted(ts, start, side="left"))
    hi = int(np.searchsorted(ts, end, side="left"))
    return slice(lo, max(lo, hi))


def _trades_within(trades: Trades | None, ts: np.ndarray, rows: slice) -> Trades | None:
    """Return the trades from the first to the last book row of ``rows`` (or None)."""
    if trades is None:
        return None
    lo = int(np.searchsorted(trades.ts, ts[rows.start], side="left"))
    hi = int(np.searchsorted(trades.ts, ts[rows.stop - 1], side="right"))
    return trades.rows(lo, hi)


def _slice(signals: dict[str, Any], rows: slice) -> dict[str, Any]:
    """Rows ``rows`` of every signal, as views on the signal's own device."""
    return {name: values[rows] for name, values in signals.items()}
