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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backtest.sweep import sweep
from l2gpu.core.spans import Window
from l2gpu.data.book import Book
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


def _ns(span: str, name: str) -> int:
    window = Window.parse(span)
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


def strategy_horizon_ns(params: pd.DataFrame, book: Book) -> int:
    """Longest look-ahead of the configs: holding limit plus latency, rows as the book's pace."""
    mean_gap = (int(book.ts[-1]) - int(book.ts[0])) / max(len(book) - 1, 1)

    def ns(value: Any) -> float:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return 0.0
        if isinstance(value, str) and not value.isdigit():
            return float(_ns(value, "span"))
        return float(value) * mean_gap

    longest = max(
        ns(h) + ns(lat)
        for h, lat in zip(params.get("max_hold", [None]), params.get("latency", [0]), strict=False)
    )
    return int(np.ceil(longest))


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
    """
    check_inputs(list(signals), declared_causal=declared_causal)
    gap = max(_ns(label_horizon, "label_horizon"), strategy_horizon_ns(params, book)) + _ns(
        embargo, "embargo"
    )
    host = book.to("cpu")
    folds = make_folds(int(host.ts[0]), int(host.ts[-1]) + 1, train, test, gap, mode)
    rows, pieces = [], []
    bucket_ns = _ns(sharpe_bucket, "sharpe_bucket")
    for number, fold in enumerate(folds):
        train_rows = _rows(host, fold.train_start, fold.train_end)
        test_rows = _rows(host, fold.test_start, fold.test_end)
        if train_rows.stop - train_rows.start < 2 or test_rows.stop - test_rows.start < 2:
            continue
        in_sample = sweep(
            host[train_rows],
            _slice(signals, train_rows),
            params=params,
            engine=engine,
            sharpe_bucket=sharpe_bucket,
        ).table
        ranked = in_sample[in_sample.n_trades > 0].sort_values(objective, ascending=False)
        if ranked.empty:
            continue
        chosen = ranked.head(top_k)
        out = sweep(
            host[test_rows],
            _slice(signals, test_rows),
            params=params.iloc[chosen.index].reset_index(drop=True),
            engine=engine,
            sharpe_bucket=sharpe_bucket,
            bucket_returns=True,
        )
        best = out.table.iloc[0]
        assert out.bucket_pnl is not None
        start_ts = int(host.ts[test_rows.start])
        times = start_ts + bucket_ns * np.arange(out.bucket_pnl.shape[0])
        pieces.append(pd.Series(out.bucket_pnl[:, 0], index=times))
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
                "is_trades": int(chosen.iloc[0]["n_trades"]),
                "oos_trades": int(best["n_trades"]),
            }
        )
    oos = pd.concat(pieces) if pieces else pd.Series(dtype=float)
    return WalkForwardResult(pd.DataFrame(rows), oos)


def _rows(book: Book, start: int, end: int) -> slice:
    lo = int(np.searchsorted(book.ts, start, side="left"))
    hi = int(np.searchsorted(book.ts, end, side="left"))
    return slice(lo, max(lo, hi))


def _slice(signals: dict[str, Any], rows: slice) -> dict[str, Any]:
    return {name: np.asarray(values)[rows] for name, values in signals.items()}
