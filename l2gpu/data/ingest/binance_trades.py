"""Trades of a Binance recorder file on their way to the store, in input order.

Trade lines laid out as Binance sends them are read a block at a time by the compiled parser
(:func:`~l2gpu.data.ingest.parsers.binance_trades.parse_trade_lines`) into a
:class:`TradeChunk`; any other trade line comes as a
:class:`~l2gpu.data.ingest.binance_records.TradeRecord` from the JSON path. :class:`TradeQueue`
keeps both in line order and hands them out in batches of at most ``batch`` trades, exactly where
a queue of one record per line would cut them, so the store gets the same writes either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from l2gpu.data.ingest.binance_records import MAX_EVENT_MS, MS, TradeRecord, as_strings
from l2gpu.data.ingest.decimal_columns import (
    PRICE_SCALE,
    parse_prices,
    parse_size_strings,
    status_message,
    units_to_price,
)
from l2gpu.data.ingest.parsers.binance_lines import LINE_OK
from l2gpu.data.ingest.parsers.binance_trades import parse_trade_lines
from l2gpu.data.trades import Trades

BadLine = Callable[[int, str, str], None]


@dataclass
class TradeChunk:
    """Trades read by the fast path: block line index, input line, times (ns), ids, values."""

    index: np.ndarray
    line: np.ndarray
    local_ns: np.ndarray
    ts_ns: np.ndarray
    trade_id: np.ndarray
    units: np.ndarray
    size: np.ndarray
    side: np.ndarray

    def part(self, lo: int, hi: int) -> TradeChunk:
        """Trades ``lo .. hi - 1`` of the chunk."""
        return TradeChunk(*(getattr(self, f)[lo:hi] for f in self.__dataclass_fields__))


def fast_trades(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray, lines_before: int
) -> tuple[TradeChunk, np.ndarray]:
    """Parse the trade lines ``rows`` of a block; return those that fit and the rest's rows."""
    n = rows.size
    local_ns, ts_ms, trade_id, units = (np.empty(n, np.int64) for _ in range(4))
    size, maker, status = np.empty(n), np.empty(n, np.bool_), np.empty(n, np.int8)
    parse_trade_lines(
        buf, starts, ends, rows, PRICE_SCALE, local_ns, ts_ms, trade_id, units, size, maker, status
    )
    ok = (status == LINE_OK) & (np.abs(ts_ms) <= MAX_EVENT_MS)  # the exact reader names the rest
    chunk = TradeChunk(
        rows[ok],
        rows[ok] + lines_before + 1,
        local_ns[ok],
        ts_ms[ok] * MS,
        trade_id[ok],
        units[ok],
        size[ok],
        np.where(maker[ok], -1, 1).astype(np.int8),
    )
    return chunk, rows[~ok]


def _records_to_chunk(records: list[TradeRecord], bad: BadLine) -> TradeChunk:
    """Parse the records' price and size strings; a value that does not parse is a bad line."""
    units, price_status = parse_prices(as_strings([t.price for t in records]))
    size, size_status = parse_size_strings(as_strings([t.qty for t in records]))
    keep = np.ones(len(records), bool)
    for i in np.flatnonzero((price_status != 0) | (size_status != 0)):
        which, value, code = (
            ("price", records[i].price, price_status[i])
            if price_status[i]
            else ("size", records[i].qty, size_status[i])
        )
        bad(records[i].line, f"trade {which} {value!r} {status_message(int(code))}", "cell_value")
        keep[i] = False
    lines = np.array([t.line for t in records], np.int64)
    return TradeChunk(
        lines[keep],
        lines[keep],
        np.array([t.local_ns for t in records], np.int64)[keep],
        np.array([t.ts_ns for t in records], np.int64)[keep],
        np.array([t.trade_id for t in records], np.int64)[keep],
        units[keep],
        size[keep],
        np.array([-1 if t.buyer_is_maker else 1 for t in records], np.int8)[keep],
    )


class TradeQueue:
    """Trades in line order: records one at a time, a block's chunk as its lines are reached."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.items: list[TradeRecord | tuple[TradeChunk, int, int]] = []
        self.pending = 0
        self._chunk: TradeChunk | None = None
        self._next = 0

    def start_block(self, chunk: TradeChunk) -> None:
        """Hold the next block's fast-path trades; they join as :meth:`reach` passes them."""
        self._chunk, self._next = chunk, 0

    def add(self, record: TradeRecord) -> bool:
        """Queue one record; return whether a full batch is waiting."""
        self.items.append(record)
        self.pending += 1
        return self.pending >= self.batch

    def reach(self, index: int, flush: Callable[[], None]) -> None:
        """Queue the block's fast trades before line ``index``, calling ``flush`` per full batch."""
        chunk = self._chunk
        if chunk is None or self._next >= chunk.index.shape[0] or chunk.index[self._next] >= index:
            return
        stop = int(np.searchsorted(chunk.index, index))
        while self._next < stop:
            take = min(stop - self._next, self.batch - self.pending)
            last = self.items[-1] if self.items else None
            if isinstance(last, tuple) and last[0] is chunk and last[2] == self._next:
                self.items[-1] = (chunk, last[1], self._next + take)
            else:
                self.items.append((chunk, self._next, self._next + take))
            self._next += take
            self.pending += take
            if self.pending >= self.batch:
                flush()

    def take(self, bad: BadLine) -> tuple[Trades, np.ndarray] | None:
        """Empty the queue into one ``Trades`` and its input lines; None when it was empty."""
        items, self.items, self.pending = self.items, [], 0
        if not items:
            return None
        parts: list[TradeChunk] = []
        run: list[TradeRecord] = []
        for item in items:
            if isinstance(item, TradeRecord):
                run.append(item)
                continue
            if run:
                parts.append(_records_to_chunk(run, bad))
                run = []
            parts.append(item[0].part(item[1], item[2]))
        if run:
            parts.append(_records_to_chunk(run, bad))

        def joined(field: str) -> np.ndarray:
            return np.concatenate([getattr(p, field) for p in parts])

        trades = Trades(
            ts=joined("ts_ns"),
            local_ts=joined("local_ns"),
            px=units_to_price(joined("units")),
            sz=joined("size"),
            side=joined("side"),
            trade_id=joined("trade_id"),
        )
        return trades, joined("line")
