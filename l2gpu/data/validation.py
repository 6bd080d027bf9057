"""Named invariants of the book and trades stores, checked when a store is written and read.

Each check has a name that errors and the ingest report quote; ``docs/validation.md`` lists every
check and every ingest policy in one table. The book checks, for levels ``k = 0..K-1`` of each
side (level 0 the best):

- ``book_depth``: the store holds at least one level per side;
- ``ts_order``: ``ts`` never decreases from one row to the next;
- ``level_finite``: no price is infinite and every size is a finite number;
- ``level_price_positive``: a price that is there is above 0;
- ``missing_level``: a missing level (price NaN) has size 0;
- ``level_size_positive``: a level that is there (price not NaN) has a size above 0;
- ``levels_packed``: a missing level is followed by missing levels only;
- ``levels_ordered``: bid prices strictly decrease and ask prices strictly increase with ``k``.

The trades checks: ``trade_time_order`` (``ts`` never decreases), ``trade_id_unique``,
``trade_price_positive`` and ``trade_size_positive`` (finite and above 0) and ``trade_side``
(+1 or -1). A crossed book (best bid at or above best ask) is legal: it is counted, never refused.

Everything here is vectorised NumPy; a book is checked in blocks of :data:`BLOCK_ROWS` rows so the
temporaries stay small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backend.arrays import array_namespace, to_device

BLOCK_ROWS = 1 << 14


@dataclass(frozen=True)
class Check:
    """One named invariant: the store it guards and the rule, in words."""

    name: str
    store: str
    rule: str


BOOK_CHECKS: tuple[Check, ...] = (
    Check("book_depth", "book", "at least one level per side"),
    Check("ts_order", "book", "ts never decreases from one row to the next"),
    Check("level_finite", "book", "no price is +-inf; every size is finite"),
    Check("level_price_positive", "book", "a price that is there (not NaN) is > 0"),
    Check("missing_level", "book", "a missing level (price NaN) has size 0"),
    Check("level_size_positive", "book", "a level that is there (price not NaN) has size > 0"),
    Check("levels_packed", "book", "a missing level is followed only by missing levels"),
    Check(
        "levels_ordered",
        "book",
        "bid prices strictly decrease and ask prices strictly increase from level 0 outwards",
    ),
)
TRADE_CHECKS: tuple[Check, ...] = (
    Check("trade_time_order", "trades", "ts never decreases from one trade to the next"),
    Check("trade_id_unique", "trades", "no trade id appears twice"),
    Check("trade_price_positive", "trades", "px is finite and > 0"),
    Check("trade_size_positive", "trades", "sz is finite and > 0"),
    Check("trade_side", "trades", "side is +1 (buyer aggressor) or -1 (seller aggressor)"),
)
LEVEL_CHECKS: tuple[str, ...] = tuple(c.name for c in BOOK_CHECKS[2:])
SIDE_NAMES: tuple[str, str] = ("bid", "ask")
LEVEL_ARRAYS: tuple[str, ...] = ("bid_px", "bid_sz", "ask_px", "ask_sz")


@dataclass(frozen=True)
class Violation:
    """A check that fails: its first failing row, how many rows fail, and what is there.

    Attributes
    ----------
    check : str
        The check's name.
    row : int
        First failing row, 0-based in the arrays checked.
    count : int
        Rows failing the check in all.
    detail : str
        The offending values at ``row``.
    """

    check: str
    row: int
    count: int
    detail: str


LevelMask = tuple[np.ndarray, int]
"""A ``[L, N]`` boolean mask over levels and the level its first line stands for."""


def _side_masks(px: np.ndarray, sz: np.ndarray, sign: int) -> dict[str, LevelMask]:
    """Failing cells of each level check on one side; ``sign`` is -1 for bids, +1 for asks."""
    missing = np.isnan(px)
    present = ~missing
    with np.errstate(invalid="ignore"):
        step = (px[1:] - px[:-1]) * sign
    return {
        "level_finite": (np.isinf(px) | ~np.isfinite(sz), 0),
        "level_price_positive": (present & ~(px > 0), 0),
        "missing_level": (missing & (sz != 0), 0),
        "level_size_positive": (present & ~(sz > 0), 0),
        "levels_packed": (missing[:-1] & present[1:], 1),
        "levels_ordered": (present[:-1] & present[1:] & ~(step > 0), 1),
    }


def _side_is_clean(px: Any, sz: Any, sign: int) -> Any:
    """Whether one side passes every level check, as a 0-d array where ``px`` lives.

    Fewer passes than :func:`_side_masks`: a cell is right when it is missing (price NaN, size
    0) or there (both finite and above 0); comparisons with NaN are false, so a missing level
    never fails the order test, and the packing test catches a level there after a missing one.
    """
    xp = array_namespace(px)
    with np.errstate(invalid="ignore"):
        there = (px > 0) & (px < np.inf) & (sz > 0) & (sz < np.inf)
        cells = (there | (xp.isnan(px) & (sz == 0))).all()
        if px.shape[0] < 2:
            return cells
        ordered = ~((px[1:] - px[:-1]) * sign <= 0).any()
    return cells & ordered & ~(~there[:-1] & there[1:]).any()


def levels_are_clean(bid_px: Any, bid_sz: Any, ask_px: Any, ask_sz: Any) -> bool:
    """Whether both sides pass every level check, computed where the arrays live.

    On the GPU only the answer comes back (one scalar); the failing rows, when there are any,
    come from :func:`level_failures` on the host.
    """
    clean = _side_is_clean(bid_px, bid_sz, -1) & _side_is_clean(ask_px, ask_sz, 1)
    return bool(to_device(clean, "cpu", "book level checks"))


def level_failures(
    bid_px: np.ndarray, bid_sz: np.ndarray, ask_px: np.ndarray, ask_sz: np.ndarray
) -> dict[str, np.ndarray]:
    """Return, for each level check that fails somewhere, the ``[N]`` mask of failing rows.

    Parameters
    ----------
    bid_px, bid_sz, ask_px, ask_sz : float64 [K, N]
        Level-major prices (quote currency) and sizes (base units).
    """
    if levels_are_clean(bid_px, bid_sz, ask_px, ask_sz):
        return {}
    failing: dict[str, np.ndarray] = {}
    for px, sz, sign in ((bid_px, bid_sz, -1), (ask_px, ask_sz, 1)):
        for name, (mask, _) in _side_masks(px, sz, sign).items():
            rows: np.ndarray = np.asarray(mask.any(axis=0), bool)
            if rows.any():
                failing[name] = (failing[name] | rows) if name in failing else rows
    return {name: failing[name] for name in LEVEL_CHECKS if name in failing}


def describe_level(
    check: str, levels: dict[str, np.ndarray], row: int, column: Callable[[str, int], str]
) -> str:
    """Say which level of ``row`` fails ``check`` and what it holds.

    Parameters
    ----------
    check : str
        A level check's name.
    levels : dict of str to float64 [K, N]
        ``bid_px``, ``bid_sz``, ``ask_px``, ``ask_sz``.
    row : int
        The failing row.
    column : callable
        ``column(side_array_name, level)`` gives the name shown for a cell (``bid_px_2``).
    """
    for side, sign in zip(SIDE_NAMES, (-1, 1), strict=True):
        px = levels[f"{side}_px"][:, row : row + 1]
        sz = levels[f"{side}_sz"][:, row : row + 1]
        mask, offset = _side_masks(px, sz, sign)[check]
        hits = np.flatnonzero(mask[:, 0])
        if hits.size == 0:
            continue
        k = int(hits[0]) + offset
        here = (
            f"{column(f'{side}_px', k)} = {float(px[k, 0])!r}, "
            f"{column(f'{side}_sz', k)} = {float(sz[k, 0])!r}"
        )
        if offset:
            before = f"{column(f'{side}_px', k - 1)} = {float(px[k - 1, 0])!r}"
            return f"{before}, {here}"
        return here
    return "no failing level"


def _store_column(name: str, level: int) -> str:
    return f"{name}_{level}"


def _first_rows(mask: np.ndarray, start: int) -> tuple[int, int]:
    hits = np.flatnonzero(mask)
    return start + int(hits[0]), int(hits.size)


def book_violations(book: Any) -> list[Violation]:
    """Check a host book (``ts`` [T], levels [K, T]) and return every check that fails.

    Crossed rows are not violations (see :meth:`l2gpu.data.Book.crossed_rows`).
    """
    if book.bid_px.shape[0] < 1:
        return [Violation("book_depth", 0, 0, f"the book has {book.bid_px.shape[0]} levels")]
    first: dict[str, tuple[int, str]] = {}
    counts: dict[str, int] = {}
    rows = int(book.ts.shape[0])
    for start in range(0, rows, BLOCK_ROWS):
        stop = min(rows, start + BLOCK_ROWS)
        ts = book.ts[max(start - 1, 0) : stop]
        back = ts[1:] < ts[:-1]
        if back.any():
            row, count = _first_rows(back, max(start - 1, 0) + 1)
            counts["ts_order"] = counts.get("ts_order", 0) + count
            first.setdefault(
                "ts_order", (row, f"ts goes back from {book.ts[row - 1]} to {book.ts[row]} ns")
            )
        block = {n: getattr(book, n)[:, start:stop] for n in LEVEL_ARRAYS}
        for name, mask in level_failures(**block).items():
            row, count = _first_rows(mask, start)
            counts[name] = counts.get(name, 0) + count
            if name not in first:
                first[name] = (row, describe_level(name, block, row - start, _store_column))
    order = [c.name for c in BOOK_CHECKS]
    return [
        Violation(name, first[name][0], counts[name], first[name][1])
        for name in sorted(first, key=order.index)
    ]


def duplicated_ids(ids: np.ndarray) -> np.ndarray:
    """Return the ``[N]`` mask of ids already seen earlier in ``ids`` (the first copy is kept)."""
    if ids.size < 2:
        return np.zeros(ids.size, bool)
    if ids.dtype.kind in "iu" and bool(np.all(ids[1:] > ids[:-1])):
        return np.zeros(ids.size, bool)
    return np.asarray(pd.Series(ids).duplicated(keep="first").to_numpy(), bool)


def trade_value_failures(px: np.ndarray, sz: np.ndarray, side: np.ndarray) -> dict[str, np.ndarray]:
    """Return the ``[N]`` masks of trades whose price, size or side is bad (failing checks only)."""
    masks = {
        "trade_price_positive": ~(np.isfinite(px) & (px > 0)),
        "trade_size_positive": ~(np.isfinite(sz) & (sz > 0)),
        "trade_side": (side != 1) & (side != -1),
    }
    return {name: mask for name, mask in masks.items() if mask.any()}


def trade_failures(
    ts: np.ndarray, px: np.ndarray, sz: np.ndarray, side: np.ndarray, trade_id: np.ndarray
) -> dict[str, np.ndarray]:
    """Return, for each trades check that fails, the ``[N]`` mask of failing trades.

    ``trade_time_order`` marks a trade whose ``ts`` is below the latest ``ts`` before it;
    ``trade_id_unique`` marks every copy of an id after the first.
    """
    masks = {
        "trade_time_order": ts < np.maximum.accumulate(np.concatenate((ts[:1], ts)))[:-1],
        "trade_id_unique": duplicated_ids(trade_id),
    }
    failing = {name: mask for name, mask in masks.items() if mask.any()}
    return failing | trade_value_failures(px, sz, side)


def describe_trade(check: str, trades: Any, row: int) -> str:
    """Say what the trade at ``row`` holds that fails ``check``."""
    if check == "trade_time_order":
        latest = int(np.max(trades.ts[:row]))
        return f"ts {int(trades.ts[row])} ns is before the latest earlier trade's ts {latest} ns"
    if check == "trade_id_unique":
        value = trades.trade_id[row]
        shown = value.item() if isinstance(value, np.generic) else value
        return f"trade_id {shown!r} appears earlier"
    name = {"trade_price_positive": "px", "trade_size_positive": "sz", "trade_side": "side"}[check]
    return f"{name} = {getattr(trades, name)[row].item()!r}"


def trades_violations(trades: Any) -> list[Violation]:
    """Check host trades (``ts``, ``px``, ``sz``, ``side``, ``trade_id``, each [N])."""
    failures = trade_failures(trades.ts, trades.px, trades.sz, trades.side, trades.trade_id)
    out = []
    for name, mask in failures.items():
        row, count = _first_rows(mask, 0)
        out.append(Violation(name, row, count, describe_trade(name, trades, row)))
    return out
