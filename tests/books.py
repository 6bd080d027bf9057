"""Random books for tests, built independently of ``l2gpu.data.synthetic``.

They exercise the edge cases kernels must survive: empty sides, a single level, zero sizes, NaN
levels, equal prices on consecutive rows and repeated timestamps.
"""

from __future__ import annotations

import numpy as np

from l2gpu.data.book import Book, BookMeta
from l2gpu.data.trades import Trades


def random_book(
    rng: np.random.Generator, rows: int, depth: int, *, tick: float = 0.5, edge_cases: bool = True
) -> Book:
    """A book with random levels; with ``edge_cases`` some rows are deliberately degenerate."""
    base = 100.0 + tick * np.cumsum(rng.integers(-1, 2, rows))
    spread = tick * rng.integers(1, 4, rows)
    offsets = tick * np.cumsum(rng.integers(1, 3, (depth, rows)), axis=0) - tick
    bid_px = base[None, :] - offsets
    ask_px = base[None, :] + spread[None, :] + offsets
    bid_sz = rng.lognormal(0.0, 1.0, (depth, rows))
    ask_sz = rng.lognormal(0.0, 1.0, (depth, rows))
    if edge_cases and rows:
        repeat = rng.random(rows) < 0.2
        for px in (bid_px, ask_px):
            px[:, 1:][:, repeat[1:]] = px[:, :-1][:, repeat[1:]]
        full = rng.random(rows) < 0.6
        level = np.arange(depth)[:, None]
        for px, sz in ((bid_px, bid_sz), (ask_px, ask_sz)):
            shown = np.where(full, depth, rng.integers(0, depth + 1, rows))
            missing = level >= shown[None, :]
            px[missing] = np.nan
            sz[missing] = 0.0
            sz[(rng.random((depth, rows)) < 0.05) & ~missing] = 0.0
    gaps = rng.integers(0, 3_000_000, rows)
    gaps[rng.random(rows) < 0.2] = 0
    ts = 1_700_000_000_000_000_000 + np.cumsum(gaps).astype(np.int64)
    seq = np.arange(rows, dtype=np.int64)
    return Book(
        ts,
        ts + 1000,
        seq,
        bid_px,
        bid_sz,
        ask_px,
        ask_sz,
        meta=BookMeta(source="test", symbol="TEST", tick_size=str(tick)),
    )


def random_trades(rng: np.random.Generator, book: Book, n: int) -> Trades:
    """Trades over the book's time span, some at exactly a book row's ts, prices near the mid."""
    ts = np.sort(
        np.concatenate(
            (
                rng.integers(int(book.ts[0]) - 1_000_000, int(book.ts[-1]) + 1, n - n // 4),
                rng.choice(book.ts, n // 4),
            )
        ).astype(np.int64)
    )
    px = 100.0 + 0.5 * rng.integers(-20, 21, n)
    return Trades(
        ts=ts,
        local_ts=ts + 500,
        px=px,
        sz=np.round(rng.lognormal(0, 1, n), 3) + 0.001,
        side=rng.choice(np.array([-1, 1], np.int8), n),
        trade_id=np.arange(n),
    )


def hand_book(
    ts: list[int],
    bid_px: list[list[float]],
    bid_sz: list[list[float]],
    ask_px: list[list[float]],
    ask_sz: list[list[float]],
    *,
    tick: str = "0.5",
) -> Book:
    """A small book written out by hand: times in ns, each side as ``[K][T]`` nested lists.

    ``local_ts`` is ``ts + 1000`` and ``seq`` counts the rows.
    """
    times = np.asarray(ts, dtype=np.int64)
    return Book(
        times,
        times + 1000,
        np.arange(times.shape[0], dtype=np.int64),
        np.asarray(bid_px, dtype=np.float64),
        np.asarray(bid_sz, dtype=np.float64),
        np.asarray(ask_px, dtype=np.float64),
        np.asarray(ask_sz, dtype=np.float64),
        meta=BookMeta(source="hand", symbol="HAND", tick_size=tick),
    )
