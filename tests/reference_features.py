"""Slow, obvious references for features and labels: plain loops, from docs/semantics.md."""

from __future__ import annotations

import bisect
import math

import numpy as np

from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from tests.reference_sweep import walk

NS = {"ms": 10**6, "s": 10**9}


def window_rows(ts: np.ndarray, t: int, window: str) -> range:
    """Rows of the trailing window at ``t``: the last n rows, or rows with ts > ts_t - w."""
    if window.isdigit():
        return range(max(0, t - int(window) + 1), t + 1)
    w = parse_ns(window)
    j = t
    while j - 1 >= 0 and ts[j - 1] > ts[t] - w:
        j -= 1
    return range(j, t + 1)


def parse_ns(window: str) -> int:
    for unit in ("ms", "s"):
        if window.endswith(unit) and window[: -len(unit)].replace(".", "").isdigit():
            return round(float(window[: -len(unit)]) * NS[unit])
    raise ValueError(window)


def _mid(book: Book, t: int) -> float:
    return (float(book.bid_px[0, t]) + float(book.ask_px[0, t])) / 2


def _div(a: float, b: float) -> float:
    return a / b if b != 0 and not math.isnan(b) else math.nan


def _sums(book: Book, t: int, k: int, decay: float = 1.0) -> tuple[float, float, float, float]:
    qb = qa = nb = na = 0.0
    for i in range(k):
        w = decay**i
        qb += w * book.bid_sz[i, t]
        qa += w * book.ask_sz[i, t]
        if book.bid_sz[i, t] > 0:
            nb += book.bid_px[i, t] * book.bid_sz[i, t]
        if book.ask_sz[i, t] > 0:
            na += book.ask_px[i, t] * book.ask_sz[i, t]
    return qb, qa, nb, na


def _flow(book: Book, t: int, level: int) -> float:
    if t == 0:
        return 0.0
    pb, pb0 = book.bid_px[level, t], book.bid_px[level, t - 1]
    pa, pa0 = book.ask_px[level, t], book.ask_px[level, t - 1]
    qb, qb0 = book.bid_sz[level, t], book.bid_sz[level, t - 1]
    qa, qa0 = book.ask_sz[level, t], book.ask_sz[level, t - 1]
    return (pb >= pb0) * qb - (pb <= pb0) * qb0 - (pa <= pa0) * qa + (pa >= pa0) * qa0


def _window_total(values: list[float]) -> float:
    return math.nan if any(math.isnan(v) for v in values) else math.fsum(values)


def _trades_in(trades: Trades, ts_t: int, window: str | None) -> list[int]:
    """Indices of the trades with ts <= ts_t inside the window (time, or the last n trades)."""
    end = bisect.bisect_right(trades.ts, ts_t)
    if window is None:
        return list(range(end))
    if window.isdigit():
        return list(range(max(0, end - int(window)), end))
    start = end
    while start > 0 and trades.ts[start - 1] > ts_t - parse_ns(window):
        start -= 1
    return list(range(start, end))


def _profile(trades: Trades, rows: list[int], bin_size: float) -> tuple[float, float, float]:
    """Recount the window from scratch; volumes as exact integers of 1e-8 base units."""
    hist: dict[int, int] = {}
    for j in rows:
        b = math.floor(trades.px[j] / bin_size + 1e-9)
        hist[b] = hist.get(b, 0) + round(trades.sz[j] * 10**8)
    total = sum(hist.values())
    if total == 0:
        return math.nan, math.nan, math.nan
    lo, hi = min(hist), max(hist)
    full = [hist.get(b, 0) for b in range(lo, hi + 1)]
    poc = lo + full.index(max(full))
    held, low, high = full[poc - lo], poc, poc
    while 10 * held < 7 * total and (low > lo or high < hi):
        up = full[high + 1 - lo] if high < hi else -1
        down = full[low - 1 - lo] if low > lo else -1
        if up >= down:
            high, held = high + 1, held + up
        else:
            low, held = low - 1, held + down
    return ((poc + 0.5) * bin_size, (high + 0.5) * bin_size, (low + 0.5) * bin_size)


def feature_reference(book: Book, name: str, trades: Trades | None = None) -> np.ndarray:
    """The feature ``name`` computed row by row."""
    parts = name.split("_")
    out = np.empty(len(book))
    for t in range(len(book)):
        out[t] = _feature_at(book, parts, name, t, trades)
    return out


def _feature_at(book: Book, parts: list[str], name: str, t: int, trades: Trades | None) -> float:
    b, ts = book, book.ts
    m = _mid(b, t)
    if name == "mid":
        return m
    if name == "spread":
        return float(b.ask_px[0, t] - b.bid_px[0, t])
    if name == "spread_bps":
        return 1e4 * (b.ask_px[0, t] - b.bid_px[0, t]) / m
    if name == "microprice":
        return _div(
            b.bid_px[0, t] * b.ask_sz[0, t] + b.ask_px[0, t] * b.bid_sz[0, t],
            b.bid_sz[0, t] + b.ask_sz[0, t],
        )
    family = parts[0]
    if family == "wmid":
        qb, qa, nb, na = _sums(b, t, int(parts[1]))
        return _div(_div(nb, qb) * qa + _div(na, qa) * qb, qb + qa)
    if family == "imbalance":
        decay = float(parts[2][5:]) if len(parts) > 2 else 1.0
        qb, qa, _, _ = _sums(b, t, int(parts[1]), decay)
        return _div(qb - qa, qb + qa)
    if family == "depth":
        qb, qa, _, _ = _sums(b, t, int(parts[2]))
        return qb if parts[1] == "bid" else qa
    if family == "slope":
        k = int(parts[1])
        qb, qa, _, _ = _sums(b, t, k)
        return _div(b.ask_px[k - 1, t] - b.bid_px[k - 1, t], qb + qa)
    if family == "ofi":
        return _window_total([_flow(b, j, 0) for j in window_rows(ts, t, parts[1])])
    if family == "mlofi":
        k = int(parts[1])
        return _window_total(
            [sum(_flow(b, j, i) for i in range(k)) for j in window_rows(ts, t, parts[2])]
        )
    if family == "ret":
        rows = window_rows(ts, t, parts[1])
        s = rows.start - 1
        return math.log(m / _mid(b, s)) if s >= 0 else math.nan
    if family == "rv":
        rets = [
            math.log(_mid(b, j) / _mid(b, j - 1)) if j > 0 else math.nan
            for j in window_rows(ts, t, parts[1])
        ]
        total = _window_total([r * r for r in rets])
        return math.sqrt(total) if not math.isnan(total) else math.nan
    if family == "intensity":
        rows = window_rows(ts, t, parts[1])
        if parts[1].isdigit():
            if len(rows) < int(parts[1]):
                return math.nan
            return _div(len(rows), (ts[t] - ts[rows.start]) / 1e9)
        return len(rows) / (parse_ns(parts[1]) / 1e9)
    if family == "impact":
        qty = float(parts[2])
        if parts[1] == "buy":
            return 1e4 * (walk(b.ask_px, b.ask_sz, t, qty)[0] - m) / m
        return 1e4 * (m - walk(b.bid_px, b.bid_sz, t, qty)[0]) / m
    assert trades is not None
    if family == "trade":
        window = _trades_in(trades, ts[t], parts[2])
        buy = sum(trades.sz[j] for j in window if trades.side[j] > 0)
        sell = sum(trades.sz[j] for j in window if trades.side[j] < 0)
        return _div(buy - sell, buy + sell)
    if family == "cvd":
        return float(sum(trades.side[j] * trades.sz[j] for j in _trades_in(trades, ts[t], None)))
    if family == "vwap":
        window = _trades_in(trades, ts[t], parts[2])
        vwap = _div(
            sum(trades.px[j] * trades.sz[j] for j in window), sum(trades.sz[j] for j in window)
        )
        return 1e4 * (m / vwap - 1)
    if family == "vp":
        bin_size = float(parts[3][3:]) if len(parts) > 3 else float(b.meta.tick_size)
        poc, vah, val = _profile(trades, _trades_in(trades, ts[t], parts[2]), bin_size)
        return {"poc": poc, "vah": vah, "val": val}[parts[1]]
    raise ValueError(name)


def horizon_end(ts: np.ndarray, t: int, horizon: str) -> int:
    """End row of a horizon: t + n rows, or the first row with ts >= ts_t + h."""
    if horizon.isdigit():
        return t + int(horizon)
    j = t
    while j < len(ts) and ts[j] < ts[t] + parse_ns(horizon):
        j += 1
    return j


def forward_return_reference(book: Book, horizon: str) -> np.ndarray:
    out = np.full(len(book), math.nan)
    for t in range(len(book)):
        end = horizon_end(book.ts, t, horizon)
        if end < len(book):
            out[t] = math.log(_mid(book, end) / _mid(book, t))
    return out


def triple_barrier_reference(
    book: Book, horizon: str, upper: np.ndarray, lower: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    label = np.full(len(book), math.nan)
    touch = np.full(len(book), -1, dtype=np.int64)
    for t in range(len(book)):
        end = horizon_end(book.ts, t, horizon)
        if (
            end >= len(book)
            or math.isnan(upper[t])
            or math.isnan(lower[t])
            or math.isnan(_mid(book, t))
        ):
            continue
        label[t], touch[t] = 0.0, book.ts[end]
        for j in range(t + 1, end + 1):
            if _mid(book, j) >= upper[t]:
                label[t], touch[t] = 1.0, book.ts[j]
                break
            if _mid(book, j) <= lower[t]:
                label[t], touch[t] = -1.0, book.ts[j]
                break
    return label, touch
