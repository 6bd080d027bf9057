"""One config stepped through the sweep's own compiled CPU kernel, a few rows at a time.

A :class:`Stepper` holds one config's kernel state (the ``fstate``/``istate`` rows the sweep
carries between chunks) and its record buffers, and advances them with the family's CPU driver
over rows ``done .. stop - 1`` (:meth:`Stepper.advance`). A chunked sweep equals one pass
exactly, so any sequence of steps followed by :meth:`Stepper.finish` leaves the state, the fills
and the metrics the sweep computes for that config (``docs/replay.md``). Between steps the
state can be read (:meth:`Stepper.state`, :meth:`Stepper.events`) for the live view.

The record buffers grow as the fills come: a step whose fills overflow them is undone (the
state rows are restored from a copy taken before it) and run again into buffers twice as large,
so no fill is ever lost and no bound on fills per row is assumed.

The families' steppers are entries of :data:`STEPPERS` (:mod:`l2gpu.replay.threshold`,
:mod:`l2gpu.replay.quote`); :func:`start_replay` takes the arguments of the family's run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.core.registry import Registry
from l2gpu.core.spans import Window
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades

FIRST_CAPACITY = 64
"""Fills the record buffers hold before they first grow."""


@dataclass(frozen=True)
class FillEvent:
    """One fill, as the view shows it.

    Attributes
    ----------
    row : int
        Book row it happened at.
    ts : int
        Its time, ns since the Unix epoch.
    qty : float
        Signed base units (+ bought, - sold).
    px : float
        Price, quote currency per base unit.
    fee : float
        Fee paid, quote currency (negative: a rebate).
    kind : str
        ``entry`` or ``exit`` (threshold), ``maker`` or ``taker`` (quote).
    position : float
        Position after it, signed base units.
    """

    row: int
    ts: int
    qty: float
    px: float
    fee: float
    kind: str
    position: float


@dataclass(frozen=True)
class ReplayState:
    """What the replay shows between steps.

    Attributes
    ----------
    done : int
        Rows stepped (the next row to step).
    rows : int
        Rows in the replay.
    ts : int
        Time of the last row stepped (of the first row before any step), ns.
    bid_px, bid_sz, ask_px, ask_sz : float
        Best levels of that row: price (quote currency) and size (base units); NaN for an
        empty side.
    position : float
        Signed base units held.
    cash : float
        Quote currency, fees included.
    pnl : float
        Equity as the kernel marks it: ``cash + position * mid`` at that row (the last finite
        mark where the mid is missing), quote currency.
    fees : float
        Fees paid so far, quote currency.
    fills : int
        Fills so far.
    orders : tuple of str
        The pending order, or the resting quotes and the orders in flight, in words.
    finished : bool
        :meth:`Stepper.finish` ran: positions closed, ``pnl`` is the sweep's.
    """

    done: int
    rows: int
    ts: int
    bid_px: float
    bid_sz: float
    ask_px: float
    ask_sz: float
    position: float
    cash: float
    pnl: float
    fees: float
    fills: int
    orders: tuple[str, ...]
    finished: bool


class Stepper(ABC):
    """One config's kernel state, advanced a few rows at a time (see the module doc).

    Subclasses set ``self.fstate``/``self.istate`` (one config's state rows), ``self.table``
    (the normalised one-row config table, as the sweep reports it) and implement the kernel
    calls and the reading of their layout.
    """

    fstate: np.ndarray
    istate: np.ndarray
    table: pd.DataFrame

    def __init__(self, book: Book, rec_widths: tuple[int, int]) -> None:
        self.book = book.to("cpu")
        self.rows = len(self.book)
        self.done = 0
        self.finished = False
        self._widths = rec_widths
        self.rec_f = np.zeros((FIRST_CAPACITY, rec_widths[0]))
        self.rec_i = np.zeros((FIRST_CAPACITY, rec_widths[1]), np.int64)

    # Family-specific kernel calls and readings.
    @abstractmethod
    def _step(self, first: int, stop: int) -> None:
        """Run the kernel over rows ``first .. stop - 1`` into ``rec_f``/``rec_i``."""

    @abstractmethod
    def _close(self) -> None:
        """Run the kernel's finish (after the last row)."""

    @abstractmethod
    def _needed(self) -> int:
        """Return the record rows the fills so far need (above the capacity: some were lost)."""

    @abstractmethod
    def fills(self) -> pd.DataFrame:
        """Return the fills so far as the sweep records them (its ``SweepResult.trades(i)``)."""

    @abstractmethod
    def events(self, first: int = 0) -> list[FillEvent]:
        """Return fills ``first ..`` so far, one event each, in the order they happened."""

    @abstractmethod
    def metrics(self) -> pd.DataFrame:
        """Return the family's metrics of the state, one row (the sweep's once finished)."""

    @abstractmethod
    def _account(self) -> tuple[float, float, float, float, int]:
        """Return the position, cash, pnl (the kernel's mark), fees and fills so far."""

    @abstractmethod
    def orders(self) -> tuple[str, ...]:
        """Return the pending order, or the resting quotes and orders in flight, in words."""

    # The stepping itself.
    def advance(self, stop: int) -> None:
        """Step rows ``done .. stop - 1`` (``stop`` is capped at the last row; no-op if done)."""
        if self.finished:
            raise RuntimeError("the replay is finished; start a new one")
        stop = min(stop, self.rows)
        if stop > self.done:
            self._guarded(lambda: self._step(self.done, stop))
            self.done = stop

    def finish(self) -> None:
        """Step the remaining rows, then close the config as the sweep does after its last row."""
        if self.finished:
            return
        self.advance(self.rows)
        self._guarded(self._close)
        self.finished = True

    def _guarded(self, run: Callable[[], None]) -> None:
        """Run a kernel call; undo and rerun it into larger buffers while its fills overflow."""
        saved = (self.fstate.copy(), self.istate.copy())
        run()
        while self._needed() > self.rec_f.shape[0]:
            self.fstate[:] = saved[0]
            self.istate[:] = saved[1]
            self._grow(self._needed())
            run()

    def _grow(self, needed: int) -> None:
        capacity = max(2 * self.rec_f.shape[0], needed)
        rec_f = np.zeros((capacity, self._widths[0]))
        rec_i = np.zeros((capacity, self._widths[1]), np.int64)
        rec_f[: self.rec_f.shape[0]] = self.rec_f
        rec_i[: self.rec_i.shape[0]] = self.rec_i
        self.rec_f, self.rec_i = rec_f, rec_i

    def result(self) -> pd.DataFrame:
        """Return the config's row of the sweep's results table (parameters, then metrics)."""
        if not self.finished:
            raise RuntimeError("the replay has not finished: call finish() first")
        return pd.concat([self.table, self.metrics()], axis=1)

    def state(self) -> ReplayState:
        """Return what the view shows now (see :class:`ReplayState`)."""
        row = max(self.done - 1, 0)
        b = self.book
        position, cash, pnl, fees, fills = self._account()
        return ReplayState(
            done=self.done,
            rows=self.rows,
            ts=int(b.ts[row]),
            bid_px=float(b.bid_px[0, row]),
            bid_sz=float(b.bid_sz[0, row]),
            ask_px=float(b.ask_px[0, row]),
            ask_sz=float(b.ask_sz[0, row]),
            position=position,
            cash=cash,
            pnl=pnl,
            fees=fees,
            fills=fills,
            orders=self._closed(position) if self.finished else self.orders(),
            finished=self.finished,
        )

    @staticmethod
    def _closed(position: float) -> tuple[str, ...]:
        """Return the orders line once finished: every order dropped, the position closed."""
        if position == 0.0:
            return ("finished: every order dropped, the position closed at the last row",)
        return (
            f"finished with {position:+g} still open: that side of the last row's book is empty",
        )


StepperFactory = Callable[..., Stepper]
STEPPERS: Registry[StepperFactory] = Registry("replayable strategy family")
"""Each family's stepper, called as ``(book, signals, params, trades=, sharpe_bucket_ns=)``."""


def bucket_ns(sharpe_bucket: str) -> int:
    """Length of a Sharpe bucket given as a duration (``"1s"``), ns."""
    bucket = Window.parse(sharpe_bucket)
    if bucket.ns is None:
        raise ValueError(f"sharpe_bucket must be a duration such as '1s', got {sharpe_bucket!r}")
    return bucket.ns


def start_replay(
    family: str,
    book: Book,
    signals: Mapping[str, Any],
    params: pd.DataFrame,
    trades: Trades | None = None,
    sharpe_bucket: str = "1s",
) -> Stepper:
    """Return a stepper of one config, at row 0, taking what the family's run takes.

    Parameters
    ----------
    family : str
        The strategy family (``threshold``, ``quote``).
    book : Book
        The rows to replay (a book of the first rows replays just those, closing at the last).
    signals : mapping of str to array [T]
        Signal series by name, one value per book row.
    params : pandas.DataFrame
        One config (one row), as the family's run takes it.
    trades : Trades, optional
        The recording's trades (the quote family needs them).
    sharpe_bucket : str
        Time bucket of the equity changes behind the Sharpe ratio, as in the sweep.
    """
    if len(params) != 1:
        raise ValueError(f"a replay steps one config; got {len(params)}")
    if len(book) == 0:
        raise ValueError("the book is empty: nothing to replay")
    make = STEPPERS[family]
    return make(book, signals, params, trades=trades, sharpe_bucket_ns=bucket_ns(sharpe_bucket))
