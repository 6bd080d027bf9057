"""Risk metrics of a config from its per-bucket pnl and its trades.

From the per-bucket pnl ``x`` (quote currency, one value per Sharpe bucket of ``b`` seconds,
``n = 365 * 86400 / b`` buckets a year):

- ``sortino``: ``mean(x) / sqrt(mean(min(x, 0)**2)) * sqrt(n)``;
- ``calmar``: annualised pnl ``mean(x) * n`` over the max drawdown of the cumulative pnl;
- ``var_95``, ``var_99``: historical value at risk, the loss at the 5% / 1% quantile of ``x``
  (positive numbers are losses); ``cvar_95``, ``cvar_99``: the mean loss at or beyond it;
- ``longest_drawdown_s``: the longest time the cumulative pnl stays below its running peak;
- ``tail_ratio``: ``|q95(x)| / |q05(x)|``.

From the trades (net pnl per round trip): ``longest_losing_streak`` (trades in a row with a net
loss), ``trade_bps_p05``/``p50``/``p95`` (net pnl in bps of the entry notional) and
``fees_share_of_gross`` (fees over the absolute gross pnl).

Execution, over every fill (entries and exits) against the book at its decision row:
``slippage_bps`` (mean of ``side * (fill - mid) / mid`` in bps) and ``spread_share_paid`` (mean of
``side * (fill - mid) / spread``: 0.5 is the far touch of an unchanged book; more is depth walked
or a move against the order during the latency).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from l2gpu.core.units import SECONDS_PER_YEAR


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def bucket_risk(x: np.ndarray, bucket_s: float) -> dict[str, float]:
    """Risk metrics of one per-bucket pnl series."""
    per_year = SECONDS_PER_YEAR / bucket_s
    downside = float(np.sqrt(np.mean(np.minimum(x, 0.0) ** 2))) if x.size else 0.0
    path = np.cumsum(x)
    peak = np.maximum.accumulate(np.maximum(path, 0.0))
    drawdown = peak - path
    under = drawdown > 0
    longest = 0
    run = 0
    for flag in under:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    out = {
        "sortino": _ratio(float(np.mean(x)), downside) * np.sqrt(per_year),
        "calmar": _ratio(float(np.mean(x)) * per_year, float(drawdown.max(initial=0.0))),
        "longest_drawdown_s": longest * bucket_s,
    }
    for level in (95, 99):
        cut = np.quantile(x, 1 - level / 100) if x.size else np.nan
        out[f"var_{level}"] = float(-cut)
        out[f"cvar_{level}"] = float(-np.mean(x[x <= cut])) if x.size else np.nan
    q05, q95 = np.quantile(x, [0.05, 0.95]) if x.size else (np.nan, np.nan)
    out["tail_ratio"] = _ratio(abs(float(q95)), abs(float(q05)))
    return out


def trade_risk(trades: pd.DataFrame, fees: float, gross: float) -> dict[str, float]:
    """Trade-level risk metrics of one config."""
    losing = (trades.net_pnl < 0).to_numpy()
    longest = run = 0
    for flag in losing:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    notional = (trades.entry_px * trades["size"].abs()).to_numpy()
    bps = 1e4 * trades.net_pnl.to_numpy() / np.where(notional > 0, notional, np.nan)
    quantiles = np.nanquantile(bps, [0.05, 0.5, 0.95]) if len(trades) else [np.nan] * 3
    return {
        "longest_losing_streak": float(longest),
        "trade_bps_p05": float(quantiles[0]),
        "trade_bps_p50": float(quantiles[1]),
        "trade_bps_p95": float(quantiles[2]),
        "fees_share_of_gross": _ratio(fees, abs(gross)),
    }


ROUND_TRIP_COLUMNS = {"net_pnl", "entry_px", "exit_px", "entry_decision_row", "exit_decision_row"}
"""What a trades table needs for the trade and execution metrics."""
Quotes = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""Given book rows, their mid and spread (host arrays, quote currency)."""


def execution_costs(trades: pd.DataFrame, quotes: Quotes) -> dict[str, float]:
    """Mean slippage (bps of the mid) and share of the spread paid, against the decision rows."""
    if len(trades) == 0:
        return {"slippage_bps": float("nan"), "spread_share_paid": float("nan")}
    side = np.sign(trades["size"].to_numpy())
    sides = np.r_[side, -side]
    prices = np.r_[trades.entry_px.to_numpy(), trades.exit_px.to_numpy()]
    rows = np.r_[trades.entry_decision_row.to_numpy(), trades.exit_decision_row.to_numpy()]
    mid, spread = quotes(rows)
    paid = sides * (prices - mid)
    spread_at = np.where(spread > 0, spread, np.nan)
    return {
        "slippage_bps": float(np.nanmean(1e4 * paid / mid)),
        "spread_share_paid": float(np.nanmean(paid / spread_at)),
    }


def risk_table(
    bucket_pnl: np.ndarray,
    configs: list[int],
    bucket_s: float,
    trades: dict[int, pd.DataFrame],
    table: pd.DataFrame,
    quotes: Quotes | None = None,
) -> pd.DataFrame:
    """Risk (and, given the book's ``quotes``, execution) metrics of ``configs``.

    ``bucket_pnl`` is ``[buckets, len(configs)]`` (host): column ``j`` is config ``configs[j]``,
    a row of ``table``. The trade metrics need round trips (the threshold family's trades, with
    ``net_pnl``); for fills of passive quotes only the fees' share of the gross pnl is given (the
    quote family reports its execution in its own metrics: fill ratio, adverse selection).
    """
    rows = []
    for column, config in enumerate(configs):
        row = {"config": config, **bucket_risk(bucket_pnl[:, column], bucket_s)}
        fees, gross = float(table.fees[config]), float(table.gross_pnl[config])
        made = trades.get(config)
        if made is not None and set(made.columns) >= ROUND_TRIP_COLUMNS:
            row.update(trade_risk(made, fees, gross))
            if quotes is not None:
                row.update(execution_costs(made, quotes))
        else:
            row["fees_share_of_gross"] = _ratio(fees, abs(gross))
        rows.append(row)
    return pd.DataFrame(rows)
