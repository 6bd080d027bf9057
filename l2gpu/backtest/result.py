"""``SweepResult``: one row of metrics per config, and the trades of recorded configs.

Invariants of every results table (``docs/sweep-invariants.md``; tests in ``tests/backtest``):

- ``pnl == gross_pnl - fees`` exactly: ``pnl`` is defined as the realised round-trip pnl
  ``gross_pnl`` less every fee paid (``fees``, the entry fee of a position still open included).
  The final mark-to-mid equity (behind ``max_drawdown``, ``sharpe`` and ``bucket_pnl``) adds the
  same amounts in another order, so it may differ from ``pnl`` in the last bits.
- Every position is closed, or reported open: ``open_position`` is the signed size (base units)
  still held after the last row, which happens only when the side of the book that would close
  it is empty at the last row; it is 0 otherwise. Its gross pnl is not realised.
- A metric is NaN only for the reason given in :data:`NAN_REASONS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from l2gpu.core.units import SECONDS_PER_YEAR
from l2gpu.kernels import sweep_layout as layout

INTEGER_METRICS: tuple[str, ...] = ("n_trades", "depth_exhausted")
"""Metrics that are counts: equal across engines exactly."""
METRICS: tuple[str, ...] = (
    "pnl",
    "gross_pnl",
    "fees",
    "n_trades",
    "win_rate",
    "profit_factor",
    "avg_trade",
    "max_drawdown",
    "sharpe",
    "turnover",
    "exposure",
    "avg_hold_s",
    "depth_exhausted",
    "open_position",
)


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


NAN_REASONS: dict[str, str] = {
    "win_rate": "no round trip (n_trades == 0)",
    "profit_factor": "no round trip, or every round trip netted exactly 0",
    "avg_trade": "no round trip",
    "avg_hold_s": "no round trip",
    "sharpe": "fewer than two Sharpe buckets, or equity changes with zero deviation",
    "exposure": "the book spans no time (first and last ts equal)",
}
"""When a metric is NaN; every metric not named here is always a number."""


def metrics_from_state(
    fstate: np.ndarray, istate: np.ndarray, span_ns: int, bucket_ns: int
) -> pd.DataFrame:
    """Per-config metrics from the final kernel state (host arrays); see the module doc."""
    trades = istate[:, layout.I_TRADES].astype(np.float64)
    wins, losses = fstate[:, layout.F_SUM_WIN], fstate[:, layout.F_SUM_LOSS]
    profit_factor = np.where(
        trades == 0,
        np.nan,
        np.where(losses > 0, _divide(wins, losses), np.where(wins > 0, np.inf, np.nan)),
    )
    buckets = istate[:, layout.I_BUCKETS].astype(np.float64)
    std = np.sqrt(_divide(fstate[:, layout.F_SHARPE_M2], buckets - 1))
    sharpe = _divide(fstate[:, layout.F_SHARPE_MEAN], std) * np.sqrt(
        SECONDS_PER_YEAR * 1e9 / bucket_ns
    )
    sharpe = np.where(buckets >= 2, sharpe, np.nan)
    gross, fees = fstate[:, layout.F_GROSS], fstate[:, layout.F_FEES]
    pnl = gross - fees
    return pd.DataFrame(
        {
            "pnl": pnl,
            "gross_pnl": gross,
            "fees": fees,
            "n_trades": istate[:, layout.I_TRADES],
            "win_rate": _divide(istate[:, layout.I_WINS].astype(np.float64), trades),
            "profit_factor": profit_factor,
            "avg_trade": _divide(pnl, trades),
            "max_drawdown": fstate[:, layout.F_MAX_DRAWDOWN],
            "sharpe": sharpe,
            "turnover": fstate[:, layout.F_TURNOVER],
            "exposure": fstate[:, layout.F_EXPOSURE_NS] / span_ns if span_ns > 0 else np.nan,
            "avg_hold_s": _divide(fstate[:, layout.F_HOLD_NS], trades) / 1e9,
            "depth_exhausted": istate[:, layout.I_DEPTH_EXHAUSTED],
            "open_position": fstate[:, layout.F_POSITION],
        }
    )


@dataclass
class SweepResult:
    """What a sweep returns.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per config: the parameters, then the metrics (see :data:`METRICS`).
    recorded : dict of int to pandas.DataFrame
        Trades of the configs asked for with ``record=``.
    steps_per_second : float
        Configs x rows / wall seconds of the sweep kernel.
    bucket_pnl : numpy.ndarray or None
        ``[buckets, configs]`` equity change of each config per Sharpe bucket, quote currency
        (with ``sweep(..., bucket_returns=True)``).
    """

    table: pd.DataFrame
    recorded: dict[int, pd.DataFrame] = field(default_factory=dict)
    steps_per_second: float = float("nan")
    bucket_pnl: np.ndarray | None = None

    def trades(self, config: int) -> pd.DataFrame:
        """Return the trades of a recorded config.

        Threshold family: one row per round trip, with entry and exit fill rows and times (ns),
        signed size (base units), prices, fees and net pnl (quote currency). Quote family: one
        row per fill (:func:`l2gpu.backtest.quote.result.fills_frame`).
        """
        if config not in self.recorded:
            raise KeyError(f"config {config} was not recorded; pass record=[{config}] to sweep()")
        return self.recorded[config]

    def best(self, metric: str = "pnl", n: int = 10) -> pd.DataFrame:
        """Return the ``n`` configs with the highest ``metric`` (NaN last)."""
        if metric not in self.table.columns:
            raise KeyError(f"unknown metric {metric!r}; the metrics are {', '.join(METRICS)}")
        return self.table.sort_values(metric, ascending=False, na_position="last").head(n)


def trades_frame(rec_f: np.ndarray, rec_i: np.ndarray) -> pd.DataFrame:
    """Return recorded trade buffers as a table."""
    return pd.DataFrame(
        {
            "entry_row": rec_i[:, layout.R_ENTRY_ROW],
            "entry_ts": rec_i[:, layout.R_ENTRY_TS],
            "exit_row": rec_i[:, layout.R_EXIT_ROW],
            "exit_ts": rec_i[:, layout.R_EXIT_TS],
            "size": rec_f[:, layout.R_SIZE],
            "entry_px": rec_f[:, layout.R_ENTRY_PX],
            "exit_px": rec_f[:, layout.R_EXIT_PX],
            "entry_fee": rec_f[:, layout.R_ENTRY_FEE],
            "exit_fee": rec_f[:, layout.R_EXIT_FEE],
            "net_pnl": rec_f[:, layout.R_NET],
            "entry_decision_row": rec_i[:, layout.R_ENTRY_DECISION_ROW],
            "exit_decision_row": rec_i[:, layout.R_EXIT_DECISION_ROW],
        }
    )
