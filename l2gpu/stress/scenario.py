"""A stress scenario: a named, seeded, pure transformation of a book and its trades.

Every scenario is a :class:`Scenario` registered in :data:`SCENARIOS` by its own module. Its
``transform(book, trades, rng, params)`` returns a new :class:`Stressed` pair and never modifies
its inputs. Prices and sizes are transformed where the book lives, through its array namespace
(NumPy on the CPU, CuPy on the GPU); windows and row maps are found on the host copy of the
book's timestamps (:meth:`~l2gpu.data.book.Book.host_ts`), so nothing moves down from the device.
Each scenario's exact definition is in ``docs/stress.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from l2gpu.backend.arrays import array_namespace, to_device
from l2gpu.core.registry import Registry
from l2gpu.core.spans import Window
from l2gpu.data.book import Book
from l2gpu.data.schema import SIDES, TIME_COLUMNS
from l2gpu.data.ticks import tick_fraction
from l2gpu.data.trades import Trades

Value = int | float | str


@dataclass(frozen=True)
class Stressed:
    """A stressed book and its trades (``None`` when the scenario was given none)."""

    book: Book
    trades: Trades | None


Transform = Callable[[Book, "Trades | None", np.random.Generator, Mapping[str, Any]], Stressed]


@dataclass(frozen=True)
class Scenario:
    """One stress scenario.

    Attributes
    ----------
    name : str
        Its registered name (``flash_crash``).
    doc : str
        One line on what it does.
    defaults : mapping of str to int, float or str
        Each parameter's default (durations as text: ``"10s"``).
    units : mapping of str to str
        Each parameter's unit, for messages and docs.
    transform : callable
        ``transform(book, trades, rng, params) -> Stressed`` with every parameter in ``params``.
    """

    name: str
    doc: str
    defaults: Mapping[str, Value]
    units: Mapping[str, str]
    transform: Transform

    def apply(
        self,
        book: Book,
        trades: Trades | None = None,
        seed: int = 0,
        params: Mapping[str, Value] | None = None,
    ) -> Stressed:
        """Return ``book`` and ``trades`` stressed, with ``numpy.random.default_rng(seed)``.

        Parameters
        ----------
        book : Book
            The baseline book (it must have rows).
        trades : Trades, optional
            The recording's trades (host arrays).
        seed : int
            Seed of the scenario's random draws (the same seed gives the same book).
        params : mapping of str to int, float or str, optional
            Parameters that replace the defaults; an unknown name is an error.
        """
        params = dict(params or {})
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ValueError(
                f"stress scenario {self.name!r} has no parameter(s) {unknown}; its parameters: "
                f"{', '.join(f'{k} ({self.units[k]})' for k in self.defaults)}"
            )
        if len(book) == 0:
            raise ValueError("cannot stress an empty book")
        rng = np.random.default_rng(seed)
        return self.transform(book, trades, rng, {**self.defaults, **params})


SCENARIOS: Registry[Scenario] = Registry("stress scenario")


def duration_ns(scenario: str, name: str, value: Value, allow_zero: bool = False) -> int:
    """Parameter ``name`` of ``scenario`` as a duration in ns (``"10s"``, ``"250ms"``)."""
    try:
        span = Window.parse(str(value), allow_zero=allow_zero)
    except ValueError as exc:
        raise ValueError(f"stress scenario {scenario!r}: {name} {value!r}: {exc}") from None
    if span.ns is None:
        raise ValueError(
            f"stress scenario {scenario!r}: {name} {value!r} must be a duration such as '10s'"
        )
    return span.ns


def in_range(scenario: str, name: str, value: Value, low: float, high: float) -> float:
    """Parameter ``name`` as a float in ``[low, high]``, else a one-line error."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:
        raise ValueError(
            f"stress scenario {scenario!r}: {name} must be in [{low:g}, {high:g}], got {value!r}"
        )
    return number


def whole(scenario: str, name: str, value: Value, low: int, high: int = 10**12) -> int:
    """Parameter ``name`` as a whole number in ``[low, high]``, else a one-line error."""
    number = in_range(scenario, name, value, low, high)
    if number != int(number):
        raise ValueError(
            f"stress scenario {scenario!r}: {name} must be a whole number, got {value!r}"
        )
    return int(number)


def tick_size(book: Book, scenario: str) -> str:
    """Return the book's tick size (its metadata), which a scenario moving prices needs."""
    if not book.meta.tick_size:
        raise ValueError(
            f"stress scenario {scenario!r} moves prices by ticks, and the book has no tick size "
            "in its metadata (BookMeta.tick_size)"
        )
    return book.meta.tick_size


def shift_ticks(px: Any, ticks: Any, tick: str) -> Any:
    """Prices ``px`` moved by ``ticks`` whole ticks, as the float64 nearest the exact decimal.

    ``px`` and ``ticks`` broadcast and live on one device; NaN (a missing level) stays NaN.
    The price is read back to integer ticks (nearest), moved, and rebuilt as
    ``(ticks * numerator) / denominator`` (see :mod:`l2gpu.data.ticks`).
    """
    xp = array_namespace(px)
    numerator, denominator = tick_fraction(tick)
    on_grid = xp.round(px * (denominator / numerator))
    return ((on_grid + ticks) * numerator) / float(denominator)


def above_zero(px: Any, sz: Any) -> tuple[Any, Any]:
    """Levels whose price fell to 0 or below made missing (price NaN, size 0), where they live.

    Prices of a side move together, so such levels are the deepest bids: the side stays packed.
    """
    xp = array_namespace(px)
    gone = px <= 0
    return xp.where(gone, xp.nan, px), xp.where(gone, 0.0, sz)


def seeded_windows(
    book: Book, count: int, width_ns: int, rng: np.random.Generator, scenario: str
) -> np.ndarray:
    """Start times (int64 ns, ``[count]``) of ``count`` non-overlapping windows of ``width_ns``.

    The book's span ``[first, last]`` is cut into ``count`` equal segments of length ``L``;
    window ``i`` starts at ``first + i * L + floor(u_i * (L - width))``, ``u_i`` the ``i``-th
    of ``rng.random(count)``. A window longer than a segment is an error.
    """
    if count < 1:
        raise ValueError(f"stress scenario {scenario!r}: count must be at least 1, got {count}")
    first, last = book.span_ns()
    segment = (last - first) / count
    if width_ns > segment:
        raise ValueError(
            f"stress scenario {scenario!r}: {count} windows of {width_ns / 1e9:g} s do not fit "
            f"in the book's {(last - first) / 1e9:g} s (at most one per {segment / 1e9:g} s): "
            "shorten them or ask for fewer"
        )
    u = rng.random(count)
    offsets = np.floor(u * (segment - width_ns))
    into = np.floor(np.arange(count) * segment) + offsets  # ns from the first row, exact
    return first + into.astype(np.int64)


def in_windows(ts: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Mask of the times in any window ``[start, start + width)`` (host int64 ns)."""
    inside = np.zeros(ts.shape[0], dtype=bool)
    for start in starts.tolist():
        inside |= (ts >= start) & (ts < start + width)
    return inside


def with_times(book: Book, ts: Any, host_ts: np.ndarray) -> Book:
    """``book`` with new exchange times ``ts`` (``local_ts`` moved by the same amounts).

    ``host_ts`` is the same times on the host, kept by the new book.
    """
    local_ts = book.local_ts + (ts - book.ts)
    out = dataclasses.replace(book, ts=ts, local_ts=local_ts)
    return out._with_host_ts(host_ts)


def trades_with_times(trades: Trades, ts: Any) -> Trades:
    """``trades`` with new exchange times ``ts`` (``local_ts`` moved by the same amounts)."""
    local = trades.local_ts + (ts - trades.ts)
    return Trades(ts, local, trades.px, trades.sz, trades.side, trades.trade_id)


def take_rows(book: Book, rows: np.ndarray, label: str) -> Book:
    """Return the book's rows ``rows`` (host int64 indices in order, repeats allowed).

    The index is uploaded once (counted as ``label``); the arrays are gathered where they live.
    """
    at = to_device(rows.astype(np.int64), book.device, label)
    cut = {name: getattr(book, name)[at] for name in TIME_COLUMNS}
    cut.update({name: getattr(book, name)[:, at] for name in SIDES})
    out = dataclasses.replace(book, **cut)
    return out._with_host_ts(book.host_ts()[rows])
