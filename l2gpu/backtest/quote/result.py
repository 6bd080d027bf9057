"""The quote family's metrics from the kernel state, and its recorded fills as a table.

A quote sweep returns a :class:`~l2gpu.backtest.result.SweepResult` like every family: its table
holds one row per config, its ``trades(i)`` the fills of a recorded config (:func:`fills_frame`).

Metrics (``docs/quote.md``): ``pnl`` (final equity, quote currency, after fees), ``gross_pnl``
(``pnl + fees``), ``fees`` (maker fees, rebates negative, plus taker fees), ``max_drawdown``,
``sharpe`` and ``turnover`` as for the threshold family; ``n_fills`` (maker fills, each partial
fill counts), ``maker_volume`` (base units filled passively), ``fill_ratio`` (maker volume over
the size of the quotes that rested on the book), ``adverse_selection_bps`` (mean over maker
fills with a mid 1 s later), ``max_abs_position`` (base units), ``taker_exits`` (market orders
sent by risk exits and at the end), ``rejected`` (post-only quotes that would have crossed),
``throttled`` (orders not sent because too many were in flight on their side) and
``seen_early`` (fills the strategy saw before its response latency, its queue being full).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2gpu.core.units import NS_PER_S, SECONDS_PER_YEAR
from l2gpu.kernels import quote_layout as layout

METRICS: tuple[str, ...] = (
    "pnl",
    "gross_pnl",
    "fees",
    "max_drawdown",
    "sharpe",
    "turnover",
    "n_fills",
    "maker_volume",
    "fill_ratio",
    "adverse_selection_bps",
    "max_abs_position",
    "taker_exits",
    "rejected",
    "throttled",
    "seen_early",
)
INTEGER_METRICS: tuple[str, ...] = ("n_fills", "taker_exits", "rejected", "throttled", "seen_early")


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def metrics_from_state(fstate: np.ndarray, istate: np.ndarray, bucket_ns: int) -> pd.DataFrame:
    """Per-config metrics from the final kernel state (host arrays)."""
    buckets = istate[:, layout.I_BUCKETS].astype(np.float64)
    std = np.sqrt(_divide(fstate[:, layout.F_SHARPE_M2], buckets - 1))
    sharpe = _divide(fstate[:, layout.F_SHARPE_MEAN], std) * np.sqrt(
        SECONDS_PER_YEAR * NS_PER_S / bucket_ns
    )
    pnl = fstate[:, layout.F_LAST_EQUITY]
    fees = fstate[:, layout.F_FEES]
    return pd.DataFrame(
        {
            "pnl": pnl,
            "gross_pnl": pnl + fees,
            "fees": fees,
            "max_drawdown": fstate[:, layout.F_MAX_DRAWDOWN],
            "sharpe": np.where(buckets >= 2, sharpe, np.nan),
            "turnover": fstate[:, layout.F_TURNOVER],
            "n_fills": istate[:, layout.I_FILLS],
            "maker_volume": fstate[:, layout.F_MAKER_VOLUME],
            "fill_ratio": _divide(
                fstate[:, layout.F_MAKER_VOLUME], fstate[:, layout.F_PLACED_VOLUME]
            ),
            "adverse_selection_bps": 1e4
            * _divide(fstate[:, layout.F_ADVERSE_SUM], istate[:, layout.I_ADVERSE_N]),
            "max_abs_position": fstate[:, layout.F_MAX_ABS_POSITION],
            "taker_exits": istate[:, layout.I_TAKER_EXITS],
            "rejected": istate[:, layout.I_REJECTED],
            "throttled": istate[:, layout.I_THROTTLED],
            "seen_early": istate[:, layout.I_SEEN_EARLY],
        }
    )


def fills_frame(rec_f: np.ndarray, rec_i: np.ndarray) -> pd.DataFrame:
    """Return recorded fill buffers as a table (one row per fill, in the order they happened)."""
    return pd.DataFrame(
        {
            "row": rec_i[:, layout.R_ROW],
            "ts": rec_i[:, layout.R_TS],
            "maker": rec_i[:, layout.R_MAKER].astype(bool),
            "order_id": rec_i[:, layout.R_ORDER_ID],
            "qty": rec_f[:, layout.R_QTY],
            "px": rec_f[:, layout.R_PX],
            "fee": rec_f[:, layout.R_FEE],
            "position": rec_f[:, layout.R_POSITION],
        }
    )
