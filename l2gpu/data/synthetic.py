"""Seeded synthetic order books of any size, for tests and benchmarks.

The mid follows a random walk on a tick grid; the spread is one or more ticks; each side holds up
to ``depth`` levels one or more ticks apart with lognormal sizes; now and then a side shows fewer
levels than ``depth`` (its tail is empty: price NaN, size 0), and rarely none at all. Timestamps
step by exponential gaps and repeat now and then, as real feeds do.

Rows are generated in fixed blocks of :data:`BLOCK_ROWS`, each seeded from ``(seed, block)``, so a
book of any length is the same whether it is built whole, streamed by :func:`iter_synthetic`, or
written by :func:`write_synthetic`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from l2gpu.data.book import Book, BookMeta
from l2gpu.data.store import BookWriter
from l2gpu.data.ticks import tick_fraction, ticks_to_price
from l2gpu.data.trades import Trades

BLOCK_ROWS = 1 << 20
MAX_ROWS = 10**8


@dataclass(frozen=True)
class SyntheticSpec:
    """Parameters of a synthetic book.

    Attributes
    ----------
    tick_size : str
        Tick in quote currency, as a decimal string.
    start_price : float
        First mid, quote currency (rounded to the tick grid).
    start_ns : int
        First ``ts``, ns since the Unix epoch.
    mean_gap_ns : float
        Mean time between rows, ns.
    repeat_ts_prob : float
        Probability that a row repeats the previous ``ts``.
    move_prob : float
        Probability that the mid moves (one tick up or down) at a row.
    wide_spread_prob : float
        Probability that the spread is wider than one tick (then 2 to 4 ticks).
    gap_level_prob : float
        Probability that a level sits two ticks (not one) beyond the previous one.
    size_mu, size_sigma : float
        Parameters of the lognormal level size, base units.
    short_side_prob : float
        Probability that a side shows fewer than ``depth`` levels at a row.
    empty_side_prob : float
        Probability that a side is empty at a row.
    latency_ns : int
        Mean receive latency added to ``ts`` to make ``local_ts``, ns.
    """

    tick_size: str = "0.1"
    start_price: float = 60_000.0
    start_ns: int = 1_723_161_255_000_000_000
    mean_gap_ns: float = 5e6
    repeat_ts_prob: float = 0.05
    move_prob: float = 0.3
    wide_spread_prob: float = 0.3
    gap_level_prob: float = 0.1
    size_mu: float = 0.0
    size_sigma: float = 1.0
    short_side_prob: float = 0.02
    empty_side_prob: float = 0.002
    latency_ns: int = 2_000_000


def _meta(spec: SyntheticSpec) -> BookMeta:
    return BookMeta(
        source="synthetic", exchange="synthetic", symbol="SYN", tick_size=spec.tick_size
    )


def _side_offsets(rng: np.random.Generator, depth: int, rows: int, gap_prob: float) -> np.ndarray:
    """Distance in ticks of each level from the best, ``[depth, rows]``, strictly increasing."""
    steps = 1 + (rng.random((depth, rows)) < gap_prob)
    steps[0] = 0
    return np.cumsum(steps, axis=0)


def _visible_levels(
    rng: np.random.Generator, depth: int, rows: int, spec: SyntheticSpec
) -> np.ndarray:
    """How many levels each row shows on one side, ``[rows]``."""
    shown = np.full(rows, depth)
    short = rng.random(rows) < spec.short_side_prob
    shown[short] = rng.integers(1, depth, size=int(short.sum())) if depth > 1 else depth
    shown[rng.random(rows) < spec.empty_side_prob] = 0
    return shown


def _block(
    rng: np.random.Generator,
    rows: int,
    depth: int,
    spec: SyntheticSpec,
    mid_ticks0: int,
    ts0: int,
    seq0: int,
) -> tuple[Book, int, int]:
    """Generate one block; return it with the last mid (ticks) and ts to continue from."""
    moves = rng.choice(
        np.array([-1, 0, 1]),
        size=rows,
        p=[spec.move_prob / 2, 1 - spec.move_prob, spec.move_prob / 2],
    )
    mid_ticks = mid_ticks0 + np.cumsum(moves)
    spread = np.where(rng.random(rows) < spec.wide_spread_prob, rng.integers(2, 5, rows), 1)
    best_bid = mid_ticks - spread // 2
    best_ask = best_bid + spread
    level = np.arange(depth)[:, None]
    sides = {}
    for side, best, sign in (("bid", best_bid, -1), ("ask", best_ask, 1)):
        ticks = best + sign * _side_offsets(rng, depth, rows, spec.gap_level_prob)
        sizes = np.round(rng.lognormal(spec.size_mu, spec.size_sigma, (depth, rows)), 3) + 0.001
        present = level < _visible_levels(rng, depth, rows, spec)[None, :]
        sides[f"{side}_px"] = np.where(present, ticks_to_price(ticks, spec.tick_size), np.nan)
        sides[f"{side}_sz"] = np.where(present, sizes, 0.0)
    gaps = rng.exponential(spec.mean_gap_ns, rows).astype(np.int64) + 1
    gaps[rng.random(rows) < spec.repeat_ts_prob] = 0
    ts = ts0 + np.cumsum(gaps)
    local_ts = ts + rng.poisson(spec.latency_ns, rows)
    seq = np.arange(seq0, seq0 + rows, dtype=np.int64)
    book = Book(
        ts,
        local_ts,
        seq,
        sides["bid_px"],
        sides["bid_sz"],
        sides["ask_px"],
        sides["ask_sz"],
        meta=_meta(spec),
    )
    return book, int(mid_ticks[-1]), int(ts[-1])


def iter_synthetic(
    rows: int, depth: int = 10, seed: int = 0, spec: SyntheticSpec | None = None
) -> Iterator[Book]:
    """Yield a synthetic book in blocks of at most :data:`BLOCK_ROWS` rows.

    Parameters
    ----------
    rows : int
        Total rows, up to :data:`MAX_ROWS`.
    depth : int
        Levels per side.
    seed : int
        Seed; the same seed gives the same book.
    spec : SyntheticSpec, optional
        Shape of the book; defaults look like a BTCUSDT perpetual.
    """
    if not 0 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be between 0 and {MAX_ROWS:,}, got {rows:,}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    spec = spec or SyntheticSpec()
    numerator, denominator = tick_fraction(spec.tick_size)
    mid_ticks = round(spec.start_price * denominator / numerator)
    ts = spec.start_ns
    for block, start in enumerate(range(0, rows, BLOCK_ROWS)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
        book, mid_ticks, ts = _block(
            rng, min(BLOCK_ROWS, rows - start), depth, spec, mid_ticks, ts, start
        )
        yield book


def synthetic(rows: int, depth: int = 10, seed: int = 0, spec: SyntheticSpec | None = None) -> Book:
    """Return a synthetic book in memory (see :func:`iter_synthetic` for the parameters)."""
    blocks = list(iter_synthetic(rows, depth, seed, spec))
    if not blocks:
        empty = np.zeros(0, np.int64)
        levels = np.zeros((depth, 0))
        return Book(
            empty, empty, empty, levels, levels, levels, levels, meta=_meta(spec or SyntheticSpec())
        )
    return blocks[0] if len(blocks) == 1 else Book.concat(blocks)


def write_synthetic(
    path: str | Path, rows: int, depth: int = 10, seed: int = 0, spec: SyntheticSpec | None = None
) -> Path:
    """Stream a synthetic book to a Parquet book store block by block, in bounded memory."""
    with BookWriter(path, depth, _meta(spec or SyntheticSpec())) as writer:
        for block in iter_synthetic(rows, depth, seed, spec):
            writer.write(block)
    return Path(path)


def synthetic_trades(book: Book, per_row: float = 0.3, seed: int = 0) -> Trades:
    """Seeded trades against a synthetic (or any) book: about ``per_row`` trades per book row.

    Each trade happens at a book row's ``ts``; a buy lifts the best ask, a sell hits the best
    bid (rows with an empty side trade nothing); sizes are lognormal, base units, 3 decimals.
    """
    host = book.to("cpu")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1 << 30,)))
    rows = np.sort(rng.integers(0, len(host), int(len(host) * per_row)))
    side = rng.choice(np.array([-1, 1], np.int8), rows.size)
    px = np.where(side > 0, host.ask_px[0, rows], host.bid_px[0, rows])
    keep = np.isfinite(px)
    rows, side, px = rows[keep], side[keep], px[keep]
    ts = host.ts[rows]
    sz = np.round(rng.lognormal(-2.0, 1.0, rows.size), 3) + 0.001
    return Trades(
        ts=ts,
        local_ts=host.local_ts[rows],
        px=px,
        sz=sz,
        side=side,
        trade_id=np.arange(rows.size, dtype=np.int64),
    )
