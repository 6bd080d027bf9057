"""Hand-built books with planted ties, and what a fused multiply-add would make of them.

Each :class:`Plant` is a book of a few rows written level by level, one signal, one config and
the outcome the config must reach on both engines (rows of the entry and exit fills). The
depth-walk values were chosen so that a walk with fused multiply-adds (what NVVM does to
``notional += px * take`` unless told otherwise) lands one ulp away from the plain one, which
would move the stop, the take-profit or the zero round trip across its tie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from l2gpu.data.book import Book, BookMeta

T0 = 1_700_000_000_000_000_000
MS = 1_000_000
Levels = list[tuple[float, float]]

# Asks (or bids walked in this order) where the fused and the plain walk of 0.9 / 1.3 differ.
WALK: Levels = [(100.01, 0.1), (100.02, 5.0)]


def fma(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once, as a fused multiply-add does."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def walk(levels: Levels, qty: float, fused: bool) -> float:
    """The depth-walk VWAP of ``qty`` as the kernel computes it, with or without fused adds."""
    remaining, notional, last = qty, 0.0, math.nan
    for px, sz in levels:
        take = min(remaining, sz)
        notional = fma(px, take, notional) if fused else notional + px * take
        remaining -= take
        last = px
        if remaining <= 0.0:
            break
    if remaining > 0.0:
        notional = fma(last, remaining, notional) if fused else notional + last * remaining
    return notional / qty


@dataclass
class Row:
    """One book row: its signal value, its levels (best first) and its time offset in ms."""

    x: float
    bids: Levels
    asks: Levels
    ms: int


@dataclass
class Plant:
    """A planted book, its config and the fills the config must make."""

    name: str
    rows: list[Row]
    config: dict[str, Any]
    entries: list[int]
    exits: list[int]
    open_position: float = 0.0
    depth_exhausted: int = 0
    notes: list[str] = field(default_factory=list)

    def book(self) -> Book:
        depth = max(max(len(r.bids), len(r.asks)) for r in self.rows)
        arrays = {k: np.full((depth, len(self.rows)), np.nan) for k in ("bp", "bs", "ap", "as")}
        arrays["bs"][:] = 0.0
        arrays["as"][:] = 0.0
        for t, row in enumerate(self.rows):
            for k, (px, sz) in enumerate(row.bids):
                arrays["bp"][k, t], arrays["bs"][k, t] = px, sz
            for k, (px, sz) in enumerate(row.asks):
                arrays["ap"][k, t], arrays["as"][k, t] = px, sz
        ts = np.array([T0 + r.ms * MS for r in self.rows], dtype=np.int64)
        return Book(
            ts,
            ts,
            np.arange(len(ts), dtype=np.int64),
            arrays["bp"],
            arrays["bs"],
            arrays["ap"],
            arrays["as"],
            meta=BookMeta(source="planted", symbol="TIE", tick_size="0.01"),
        )

    def signal(self) -> np.ndarray:
        return np.array([r.x for r in self.rows])


def quiet(x: float, ms: int, mid: float = 100.0) -> Row:
    """A plain one-level row around ``mid``."""
    return Row(x, [(mid - 0.01, 10.0)], [(mid + 0.01, 10.0)], ms)


def quiet_rows(xs: list[float], ms: list[int] | None = None) -> list[Row]:
    """Plain rows with signal values ``xs``, one per ms unless ``ms`` gives their times."""
    return [quiet(x, m) for x, m in zip(xs, ms or range(len(xs)), strict=True)]


def locked(x: float, ms: int, px: float) -> Row:
    """A row whose mid is exactly ``px`` (best bid = best ask = ``px``)."""
    return Row(x, [(px, 10.0)], [(px, 10.0)], ms)


def plants() -> list[Plant]:
    """Every planted tie."""
    stop = 10 * 1e-4
    v_stop = walk(WALK, 0.9, fused=False)
    v_take = walk(WALK, 1.3, fused=False)
    stop_level = v_stop * (1.0 - stop)
    take_level = v_take * (1.0 + stop)
    base = {"signal": "x", "entry": 0.5, "exit": -1.0, "taker_fee_bps": 0.0}
    return [
        Plant(
            "round trip nets exactly zero",
            [
                quiet(0.0, 0),
                Row(1.0, [(99.99, 10.0)], WALK, 1),
                quiet(0.0, 2),
                Row(-2.0, WALK, [(100.03, 10.0)], 3),  # bids repeat the entry's asks
                quiet(0.0, 4),
            ],
            {**base, "size": 0.9},
            entries=[1],
            exits=[3],
            notes=["no win and no loss: net 0 exactly"],
        ),
        Plant(
            "mid equals the stop level",
            [
                quiet(0.0, 0),
                Row(1.0, [(99.99, 10.0)], WALK, 1),
                locked(0.0, 2, math.nextafter(stop_level, math.inf)),
                locked(0.0, 3, stop_level),
                quiet(0.0, 4),
            ],
            {**base, "size": 0.9, "stop_loss_bps": 10.0},
            entries=[1],
            exits=[3],
        ),
        Plant(
            "mid equals the take-profit level",
            [
                quiet(0.0, 0),
                Row(1.0, [(99.99, 10.0)], WALK, 1),
                locked(0.0, 2, math.nextafter(take_level, -math.inf)),
                locked(0.0, 3, take_level),
                quiet(0.0, 4),
            ],
            {**base, "size": 1.3, "take_profit_bps": 10.0},
            entries=[1],
            exits=[3],
        ),
        Plant(
            "held equals max_hold in rows",
            quiet_rows([1, 0, 0, 0, 1, 0, 0, 0, 0], ms=[0, 1, 2, 3, 7, 8, 9, 10, 11]),
            {**base, "max_hold": 3},
            entries=[0, 4],
            exits=[3, 7],
        ),
        Plant(
            "held equals a time max_hold",
            quiet_rows([1, 0, 0, 0, 0]),
            {**base, "max_hold": "2ms"},
            entries=[0],
            exits=[2],
        ),
        Plant(
            "signal equals entry, then exit",
            quiet_rows([0, 0.5, 0.3, 0.25, -0.5, -0.3, -0.25, 0]),
            {**base, "exit": 0.25},
            entries=[1, 4],
            exits=[3, 6],
        ),
        Plant(
            "fill time equals decision time plus latency",
            quiet_rows([1, 0, 0, -2, 0, 0, 0]),
            {**base, "latency": "2ms"},
            entries=[2],
            exits=[5],
        ),
        Plant(
            "cooldown ends exactly at a strong signal",
            quiet_rows([1, -2, 1, 1, 1, -2, 0]),
            {**base, "cooldown": 2},
            entries=[0, 4],
            exits=[1, 5],
        ),
        Plant(
            "order size passes the visible depth by float noise, then equals it",
            [
                quiet(0.0, 0),
                Row(1.0, [(99.99, 10.0)], [(100.01, 0.1), (100.02, 0.2)], 1),
                Row(-2.0, [(99.99, 0.1), (99.98, 0.1 + 0.2 - 0.1)], [(100.01, 10.0)], 2),
                quiet(0.0, 3),
            ],
            {**base, "size": 0.1 + 0.2},
            entries=[1],
            exits=[2],
            depth_exhausted=1,  # the entry: 0.1 + 0.2 - 0.1 - 0.2 leaves 5.6e-17 unfilled
        ),
        Plant(
            "empty ask side: a short that can never be closed is reported open",
            [
                quiet(0.0, 0),
                Row(-1.0, [(99.99, 10.0)], [(100.01, 10.0)], 1),
                Row(2.0, [(99.99, 10.0)], [], 2),
                Row(2.0, [(99.98, 10.0)], [], 3),
            ],
            {**base, "exit": 1.0, "size": 0.5, "taker_fee_bps": 2.0},
            entries=[1],
            exits=[],
            open_position=-0.5,
        ),
    ]
