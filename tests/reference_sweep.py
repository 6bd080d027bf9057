"""A plain-Python backtest of one threshold-family config, written from docs/semantics.md.

Nothing here calls the kernels: one event loop over the rows, with its own depth walk and its
own metrics, so that the sweep kernel can be checked against an obvious implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from l2gpu.data.book import Book

UNITS = {"ms": 10**6, "s": 10**9}


def span(value):
    """(amount, is_time) of a rows-or-duration parameter."""
    if value is None:
        return None
    if isinstance(value, int | np.integer):
        return int(value), False
    for unit in ("ms", "s"):
        if value.endswith(unit) and value[: -len(unit)].replace(".", "").isdigit():
            return round(float(value[: -len(unit)]) * UNITS[unit]), True
    return int(value), False


def walk(px, sz, t, qty):
    """Fill ``qty`` level by level; the rest at the last visible level. (vwap, exhausted)."""
    left, cost, last = qty, 0.0, math.nan
    for k in range(px.shape[0]):
        if math.isnan(px[k, t]):
            break
        take = min(left, sz[k, t])
        cost += px[k, t] * take
        left -= take
        last = px[k, t]
        if left <= 0:
            break
    if math.isnan(last):
        return math.nan, True
    if left > 0:
        return (cost + last * left) / qty, True
    return cost / qty, False


@dataclass
class Account:
    cash: float = 0.0
    position: float = 0.0
    entry_px: float = 0.0
    entry_fee: float = 0.0
    entry_row: int = -1
    entry_ts: int = 0
    fees: float = 0.0
    gross: float = 0.0
    turnover: float = 0.0
    exhausted: int = 0
    hold_ns: int = 0
    next_entry: int = 0
    trades: list = field(default_factory=list)


def backtest(book: Book, x: np.ndarray, cfg: dict, bucket_ns: int = 10**9):
    """Return (metrics dict, list of trade dicts) for one config."""
    entry, exit_level = cfg["entry"], cfg.get("exit", 0.0)
    size, fee_bps = cfg.get("size", 1.0), cfg.get("taker_fee_bps", 5.0)
    stop, take = cfg.get("stop_loss_bps", 0.0) * 1e-4, cfg.get("take_profit_bps", 0.0) * 1e-4
    cooldown, direction = cfg.get("cooldown", 0), cfg.get("direction", "both")
    latency, max_hold = span(cfg.get("latency", 0)), span(cfg.get("max_hold"))
    ts = [int(v) for v in book.ts]
    mid = [(float(b) + float(a)) / 2 for b, a in zip(book.bid_px[0], book.ask_px[0], strict=True)]
    acct = Account()
    pending = None  # (kind, side, target, is_time)
    equities, exposure = [], 0
    bucket_end: dict[int, float] = {}
    last_equity = 0.0
    open_trade: dict = {}

    def fill(t, kind, side, decided):
        px, sz = (book.ask_px, book.ask_sz) if side > 0 else (book.bid_px, book.bid_sz)
        vwap, short = walk(px, sz, t, size)
        if math.isnan(vwap):
            return
        fee = fee_bps * 1e-4 * vwap * size
        acct.cash -= side * vwap * size + fee
        acct.fees += fee
        acct.turnover += vwap * size
        acct.exhausted += short
        if kind == "entry":
            acct.position, acct.entry_px, acct.entry_fee = side * size, vwap, fee
            acct.entry_row, acct.entry_ts = t, ts[t]
            open_trade.update(
                entry_row=t,
                entry_ts=ts[t],
                size=side * size,
                entry_px=vwap,
                entry_fee=fee,
                entry_decision_row=decided,
            )
            return
        gross = acct.position * (vwap - acct.entry_px)
        acct.gross += gross
        acct.hold_ns += ts[t] - acct.entry_ts
        acct.trades.append(
            dict(
                open_trade,
                exit_row=t,
                exit_ts=ts[t],
                exit_px=vwap,
                exit_fee=fee,
                exit_decision_row=decided,
                net_pnl=gross - acct.entry_fee - fee,
            )
        )
        acct.position = 0.0
        acct.next_entry = t + 1 + cooldown

    def order(t, kind, side):
        nonlocal pending
        if latency[0] == 0:
            fill(t, kind, side, t)
        else:
            target = ts[t] + latency[0] if latency[1] else t + latency[0]
            pending = (kind, side, target, latency[1], t)

    for t in range(len(ts)):
        if t > 0 and acct.position != 0:
            exposure += ts[t] - ts[t - 1]
        if pending is not None:
            kind, side, target, is_time, decided = pending
            if (ts[t] >= target) if is_time else (t >= target):
                pending = None
                fill(t, kind, side, decided)
        if pending is None:
            if acct.position == 0:
                if t >= acct.next_entry:
                    if x[t] >= entry and direction in ("long", "both"):
                        order(t, "entry", 1)
                    elif x[t] <= -entry and direction in ("short", "both"):
                        order(t, "entry", -1)
            elif t > acct.entry_row:
                long = acct.position > 0
                leave = x[t] <= exit_level if long else x[t] >= -exit_level
                if max_hold is not None:
                    held = ts[t] - acct.entry_ts if max_hold[1] else t - acct.entry_row
                    leave = leave or held >= max_hold[0]
                if long:
                    leave = leave or (stop > 0 and mid[t] <= acct.entry_px * (1 - stop))
                    leave = leave or (take > 0 and mid[t] >= acct.entry_px * (1 + take))
                else:
                    leave = leave or (stop > 0 and mid[t] >= acct.entry_px * (1 + stop))
                    leave = leave or (take > 0 and mid[t] <= acct.entry_px * (1 - take))
                if leave:
                    order(t, "exit", -1 if long else 1)
        if not math.isnan(mid[t]):
            last_equity = acct.cash + acct.position * mid[t]
        equities.append(last_equity)
        bucket_end[(ts[t] - ts[0]) // bucket_ns] = last_equity
    last = len(ts) - 1
    if acct.position != 0:
        fill(last, "exit", -1 if acct.position > 0 else 1, last)
    final = acct.cash + acct.position * mid[last]
    if math.isnan(final):
        final = last_equity
    equities.append(final)
    last_bucket = (ts[last] - ts[0]) // bucket_ns
    bucket_end[last_bucket] = final
    ends, level = [], 0.0
    for b in range(last_bucket + 1):
        level = bucket_end.get(b, level)
        ends.append(level)
    changes = np.diff(np.array([0.0, *ends]))
    sharpe = math.nan
    deviation = float(np.std(changes, ddof=1)) if len(changes) >= 2 else 0.0
    if deviation > 0:
        sharpe = float(np.mean(changes)) / deviation * math.sqrt(365 * 86400e9 / bucket_ns)
    peak, drawdown = 0.0, 0.0
    for e in equities:
        peak = max(peak, e)
        drawdown = max(drawdown, peak - e)
    nets = [tr["net_pnl"] for tr in acct.trades]
    wins = sum(n for n in nets if n > 0)
    losses = -sum(n for n in nets if n < 0)
    n = len(nets)
    if n == 0:
        profit_factor = math.nan
    elif losses > 0:
        profit_factor = wins / losses
    else:
        profit_factor = math.inf if wins > 0 else math.nan
    metrics = {
        "pnl": acct.gross - acct.fees,
        "gross_pnl": acct.gross,
        "fees": acct.fees,
        "n_trades": n,
        "win_rate": sum(v > 0 for v in nets) / n if n else math.nan,
        "profit_factor": profit_factor,
        "avg_trade": (acct.gross - acct.fees) / n if n else math.nan,
        "max_drawdown": drawdown,
        "sharpe": sharpe,
        "turnover": acct.turnover,
        "exposure": exposure / (ts[last] - ts[0]) if ts[last] > ts[0] else math.nan,
        "avg_hold_s": acct.hold_ns / n / 1e9 if n else math.nan,
        "depth_exhausted": acct.exhausted,
        "open_position": acct.position,
        "bucket_changes": changes,
    }
    return metrics, acct.trades
