"""Drive the price-level book kernel over batches of events, keeping its state between batches.

The tick grid is inferred from the first batch unless given, and refined (every level held is
re-inserted on the finer grid) when a price falls between grid points, so no price is ever
rounded.

A reader collects events (a snapshot, diffs) into an :class:`EventBatch`; :meth:`LevelBook.apply`
applies them in one kernel call and returns the top ``K`` levels after each event. Memory is
bounded by the levels held plus one batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from l2gpu.data.ingest.decimal_columns import PRICE_SCALE
from l2gpu.data.ingest.parsers.level_book import (
    ASK,
    BASE,
    BEST_ASK,
    BEST_BID,
    BID,
    LADDER_ASKS,
    LADDER_BIDS,
    NONE,
    OVERFLOW_ASKS,
    OVERFLOW_BIDS,
    STATE_SLOTS,
    STATUS_DONE,
    TICK_UNITS,
    apply_events,
)

INITIAL_CAPACITY = 1 << 12
LADDER_TICKS = 1 << 20
"""Default dense window: a million ticks (for BTCUSDT at 0.1, +-52,000 USD around the start)."""


@dataclass(frozen=True)
class EventBatch:
    """Events of level updates, in order.

    Attributes
    ----------
    event_starts : int64[E + 1]
        Updates of event ``e`` are ``event_starts[e]:event_starts[e + 1]``.
    event_clear : bool[E]
        Empty the book before the event (a new snapshot).
    side : int8[U]
        0 bid, 1 ask.
    units : int64[U]
        Price in units of ``10**-PRICE_SCALE``.
    size : float64[U]
        Absolute new size at that price, base units (0 deletes the level).
    """

    event_starts: np.ndarray
    event_clear: np.ndarray
    side: np.ndarray
    units: np.ndarray
    size: np.ndarray

    @property
    def n_events(self) -> int:
        """Number of events."""
        return int(self.event_starts.shape[0] - 1)

    @property
    def n_updates(self) -> int:
        """Number of level updates."""
        return int(self.units.shape[0])


@dataclass(frozen=True)
class TopLevels:
    """Top ``K`` levels after each event of a batch, each ``[K, E]`` float64."""

    bid_px: np.ndarray
    bid_sz: np.ndarray
    ask_px: np.ndarray
    ask_sz: np.ndarray


class LevelBook:
    """A full-depth book of one instrument on an integer tick grid, held between batches.

    Parameters
    ----------
    depth : int
        Levels per side emitted after each event, ``K``.
    scale : int
        Decimals in a price unit.
    tick_units : int, optional
        The tick in price units. By default it is inferred from the first batch (the greatest
        common divisor of its prices) and refined if a later price falls between grid points.
    ladder_ticks : int
        Width of the dense window, in ticks; prices outside it are held in the overflow.
    """

    def __init__(
        self,
        depth: int,
        scale: int = PRICE_SCALE,
        tick_units: int | None = None,
        ladder_ticks: int = LADDER_TICKS,
    ) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.depth = depth
        self.price_divisor = float(10**scale)
        self.tick_units = tick_units
        self.regrids = 0
        self._ladder_ticks = ladder_ticks
        self._ladder: np.ndarray | None = None
        self._state = np.zeros(STATE_SLOTS, np.int64)
        self._over_keys = np.empty((2, INITIAL_CAPACITY), np.int64)
        self._over_sizes = np.empty((2, INITIAL_CAPACITY), np.float64)

    @property
    def levels(self) -> tuple[int, int]:
        """Bid and ask levels held now."""
        st = self._state
        return (int(st[LADDER_BIDS] + st[OVERFLOW_BIDS]), int(st[LADDER_ASKS] + st[OVERFLOW_ASKS]))

    def _start(self, units: np.ndarray, tick_units: int) -> None:
        """Allocate the ladder on a grid of ``tick_units``, centred on the median price."""
        self.tick_units = tick_units
        centre = int(np.median(units // tick_units)) if units.size else 0
        self._ladder = np.zeros((2, self._ladder_ticks), np.float64)
        self._state[:] = 0
        self._state[BASE] = centre - self._ladder_ticks // 2
        self._state[TICK_UNITS] = tick_units
        self._state[BEST_BID] = self._state[BEST_ASK] = NONE

    def _reserve_overflow(self, extra: int) -> None:
        need = int(max(self._state[OVERFLOW_BIDS], self._state[OVERFLOW_ASKS])) + extra
        capacity = self._over_keys.shape[1]
        if need <= capacity:
            return
        capacity = max(need, 2 * capacity)
        for name in ("_over_keys", "_over_sizes"):
            old = getattr(self, name)
            grown = np.empty((2, capacity), old.dtype)
            grown[:, : old.shape[1]] = old
            setattr(self, name, grown)

    def held_levels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return every level held: side (int8), price units (int64), size (float64)."""
        assert self._ladder is not None and self.tick_units is not None
        sides, units, sizes = [], [], []
        for s in (BID, ASK):
            idx = np.flatnonzero(self._ladder[s])
            n_over = int(self._state[OVERFLOW_BIDS + s])
            ticks = np.concatenate(
                (self._state[BASE] + idx, (1 if s == BID else -1) * self._over_keys[s, :n_over])
            )
            sides.append(np.full(ticks.size, s, np.int8))
            units.append(ticks * self.tick_units)
            sizes.append(np.concatenate((self._ladder[s, idx], self._over_sizes[s, :n_over])))
        return np.concatenate(sides), np.concatenate(units), np.concatenate(sizes)

    def _regrid(self, offending_units: int) -> None:
        """Refine the grid to take ``offending_units`` and re-insert every level held."""
        assert self.tick_units is not None
        held = self.held_levels()
        tick = math.gcd(self.tick_units, int(offending_units))
        self._start(np.append(held[1], offending_units), tick)
        self.regrids += 1
        rebuild = EventBatch(np.array([0, held[1].size], np.int64), np.zeros(1, bool), *held)
        self._run(rebuild, TopLevels(*(np.empty((self.depth, 1)) for _ in range(4))))

    def _run(self, batch: EventBatch, out: TopLevels) -> None:
        position = np.zeros(2, np.int64)
        self._reserve_overflow(batch.n_updates)
        while True:
            status = apply_events(
                self._ladder,
                self._state,
                self._over_keys,
                self._over_sizes,
                batch.event_starts,
                batch.event_clear,
                batch.side,
                batch.units,
                batch.size,
                self.price_divisor,
                position,
                out.bid_px,
                out.bid_sz,
                out.ask_px,
                out.ask_sz,
            )
            if status == STATUS_DONE:
                return
            self._regrid(int(batch.units[position[1]]))
            self._reserve_overflow(batch.n_updates)

    def apply(self, batch: EventBatch) -> TopLevels:
        """Apply ``batch`` and return the top ``K`` levels after each of its events."""
        if self._ladder is None:
            positive = batch.units[batch.units > 0]
            tick = self.tick_units or (int(np.gcd.reduce(positive)) if positive.size else 1)
            self._start(batch.units, tick)
        out = TopLevels(*(np.empty((self.depth, batch.n_events)) for _ in range(4)))
        self._run(batch, out)
        return out
