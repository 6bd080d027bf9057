"""Binance futures recordings: ``<local_ns> <json>`` lines, gzip or plain text.

Records: one REST depth snapshot (``lastUpdateId``, ``bids``, ``asks``), ``depthUpdate`` diffs
(``U``, ``u``, ``pu``; ``b``/``a`` hold absolute sizes, 0 deletes), ``trade`` and ``bookTicker``.

Synchronisation (Binance's rule for USD-M futures): diffs are buffered until a snapshot arrives;
diffs with ``u < lastUpdateId`` are dropped; the first one applied has
``U <= lastUpdateId <= u``; after it every diff's ``pu`` equals the previous applied diff's ``u``.

One book row per applied diff: ``seq = u``, ``ts`` = the diff's transaction time ``T`` (ms, the
matching engine's time, which Binance also stamps on trades) in ns, ``local_ts`` = the line's
receive time in ns. The snapshot itself makes no row: it is the state the first diff applies to.
Trades: ``ts`` = ``T``, ``side`` = -1 when ``m`` (the buyer was the maker, so the seller hit).
"""

from __future__ import annotations

import collections
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from l2gpu.data.ingest.binance_records import (
    MS,
    BadLineError,
    DepthRecord,
    TickerRecord,
    TradeRecord,
    as_strings,
    parse_line,
)
from l2gpu.data.ingest.blocks import TruncatedInputError, iter_line_blocks
from l2gpu.data.ingest.decimal_columns import (
    PRICE_SCALE,
    parse_prices,
    parse_size_strings,
    status_message,
    tick_size_of,
    units_to_price,
)
from l2gpu.data.ingest.parsers.binance_lines import (
    KIND_DEPTH,
    KIND_TICKER,
    LINE_OK,
    index_lines,
    parse_depth_lines,
)
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.reconstruct import EventBatch, LevelBook
from l2gpu.data.ingest.report import IngestReport
from l2gpu.data.ingest.sink import BookSink
from l2gpu.data.trades import Trades

BATCH_UPDATES = 1 << 18
"""Level updates collected before the book kernel runs (bounds memory on day-long files)."""
BATCH_TRADES = 1 << 16
WAITING_BUFFER_EVENTS = 100_000
Progress = Callable[[int], None]


class BinanceSync:
    """The update-id state machine; decides which records are applied, dropped or a gap."""

    def __init__(self, path: Path, policies: Policies, report: IngestReport) -> None:
        self.path = path
        self.policies = policies
        self.report = report
        self.snapshot_id: int | None = None
        self.previous_u: int | None = None
        self.waiting: collections.deque[DepthRecord] = collections.deque(
            maxlen=WAITING_BUFFER_EVENTS
        )
        self.snapshots_seen = 0
        self.dropped_before_sync = 0

    def _gap(self, record: DepthRecord, why: str) -> None:
        self.report.gaps += 1
        if self.policies.on_gap == "error":
            raise IngestError(
                self.path,
                f"line {record.line}",
                f"sequence gap: {why}; on_gap='resync' drops the book until the next snapshot",
            )
        self.snapshot_id = None
        self.previous_u = None
        self.report.rows_lost += 1

    def accept(self, record: DepthRecord) -> Iterator[tuple[DepthRecord, bool]]:
        """Yield ``(record, clear)`` for each record to apply now, in order."""
        if record.is_snapshot:
            self.snapshots_seen += 1
            if self.snapshot_id is not None:
                return
            self.snapshot_id = record.last_id
            yield record, True
            buffered = list(self.waiting)
            self.waiting.clear()
            for diff in buffered:
                yield from self._diff(diff)
            return
        yield from self._diff(record)

    def _drop(self) -> None:
        """Count a diff that will never be applied: lost after a gap, else routine pre-sync."""
        if self.report.gaps:
            self.report.rows_lost += 1
        else:
            self.dropped_before_sync += 1

    def finish(self) -> None:
        """Count the diffs still waiting for a snapshot at the end of the input."""
        for _ in self.waiting:
            self._drop()
        self.waiting.clear()

    def _diff(self, record: DepthRecord) -> Iterator[tuple[DepthRecord, bool]]:
        if self.snapshot_id is None:
            if len(self.waiting) == self.waiting.maxlen:
                self._drop()
            self.waiting.append(record)
            return
        if self.previous_u is None:
            if record.last_id < self.snapshot_id:
                self._drop()
                return
            if not record.first_id <= self.snapshot_id <= record.last_id:
                self._gap(
                    record,
                    f"the first diff after the snapshot (lastUpdateId "
                    f"{self.snapshot_id}) has U={record.first_id}, u={record.last_id}",
                )
                return
        elif record.prev_id != self.previous_u:
            self._gap(
                record,
                f"diff U={record.first_id} u={record.last_id} has "
                f"pu={record.prev_id}, but the previous applied diff ended at "
                f"u={self.previous_u}",
            )
            return
        self.previous_u = record.last_id
        yield record, False


class FastDepthLines:
    """The depth lines of one block, parsed by the compiled fast path."""

    def __init__(
        self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray
    ) -> None:
        n = rows.size
        room = int((ends[rows] - starts[rows]).sum()) // 9 + 1 if n else 1
        self.local_ns, self.ts_ms, self.first, self.last, self.prev = (
            np.empty(n, np.int64) for _ in range(5)
        )
        self.update_start = np.empty(n + 1, np.int64)
        self.status = np.empty(n, np.int8)
        self.side = np.empty(room, np.int8)
        self.units = np.empty(room, np.int64)
        self.size = np.empty(room, np.float64)
        parse_depth_lines(
            buf,
            starts,
            ends,
            rows,
            PRICE_SCALE,
            self.local_ns,
            self.ts_ms,
            self.first,
            self.last,
            self.prev,
            self.update_start,
            self.status,
            self.side,
            self.units,
            self.size,
        )
        self.row_of_line = dict(zip(rows.tolist(), range(n), strict=True))

    def record(self, line_index: int, line_no: int) -> DepthRecord | None:
        """Return the record of block line ``line_index``, or None when the fast path fell back."""
        r = self.row_of_line[line_index]
        if self.status[r] != LINE_OK:
            return None
        lo, hi = int(self.update_start[r]), int(self.update_start[r + 1])
        return DepthRecord(
            line_no,
            int(self.local_ns[r]),
            int(self.ts_ms[r]) * MS,
            False,
            int(self.first[r]),
            int(self.last[r]),
            int(self.prev[r]),
            self.side[lo:hi],
            self.units[lo:hi],
            self.size[lo:hi],
        )


class BinanceReader:
    """Read one recording into a :class:`BookSink`."""

    def __init__(
        self,
        path: Path,
        sink: BookSink,
        policies: Policies,
        report: IngestReport,
        depth: int,
        bbo_rows: list[TickerRecord] | None,
    ) -> None:
        self.path = path
        self.sink = sink
        self.policies = policies
        self.report = report
        self.book = LevelBook(depth)
        self.sync = BinanceSync(path, policies, report)
        self.tickers = bbo_rows
        self._depth: list[DepthRecord] = []
        self._pending_updates = 0
        self._trades: list[TradeRecord] = []

    def _bad(self, line_no: int, problem: str) -> None:
        if self.policies.on_bad_line == "error":
            raise IngestError(
                self.path,
                f"line {line_no}",
                f"{problem}; on_bad_line='skip' skips such lines and counts them",
            )
        self.report.note_skipped(f"line {line_no}", problem)

    def run(self, progress: Progress) -> None:
        """Read every line, then flush what is pending."""
        lines = 0
        try:
            for block, raw_bytes in iter_line_blocks(self.path):
                lines += self._block(block, lines)
                progress(raw_bytes)
        except (TruncatedInputError, zlib.error) as exc:
            self._bad(lines + 1, f"gzip stream is damaged or truncated ({exc}); reading stops")
        self.report.lines_in += lines
        self._flush()
        self.sync.finish()
        if self.sync.snapshots_seen == 0:
            raise IngestError(
                self.path,
                "whole input",
                "no depth snapshot (a line with 'lastUpdateId'): the book cannot be synchronised",
            )
        self.report.checks["diffs dropped before sync (u < lastUpdateId)"] = (
            f"{self.sync.dropped_before_sync:,}"
        )

    def _block(self, buf: np.ndarray, lines_before: int) -> int:
        """Take every line of ``buf``; return how many there were."""
        starts, ends, kinds = index_lines(buf)
        fast = FastDepthLines(buf, starts, ends, np.flatnonzero(kinds == KIND_DEPTH))
        wanted = kinds != KIND_TICKER if self.tickers is None else np.ones(kinds.size, bool)
        for i in np.flatnonzero(wanted).tolist():
            line_no = lines_before + i + 1
            record: DepthRecord | TradeRecord | TickerRecord | None = None
            if kinds[i] == KIND_DEPTH:
                record = fast.record(i, line_no)
            if record is None:
                try:
                    record = parse_line(
                        line_no, buf[starts[i] : ends[i]].tobytes(), self.tickers is not None
                    )
                except BadLineError as exc:
                    self._bad(line_no, str(exc))
                    continue
            self._take(record)
        return int(starts.size)

    def _take(self, record: DepthRecord | TradeRecord | TickerRecord | None) -> None:
        if isinstance(record, DepthRecord):
            self._depth.append(record)
            self._pending_updates += record.n_updates
            if self._pending_updates >= BATCH_UPDATES:
                self._flush()
        elif isinstance(record, TradeRecord):
            self._trades.append(record)
            if len(self._trades) >= BATCH_TRADES:
                self._flush_trades()
        elif isinstance(record, TickerRecord) and self.tickers is not None:
            self.tickers.append(record)

    def _flush(self) -> None:
        records, self._depth, self._pending_updates = self._depth, [], 0
        if records:
            self._apply(records)
        self._flush_trades()

    def _apply(self, records: list[DepthRecord]) -> None:
        """Run the sync rule over ``records``, apply what it accepts, write one row per diff."""
        applied: list[tuple[DepthRecord, bool]] = []
        for record in records:
            if record.problem:
                self._bad(record.line, record.problem)
                continue
            applied.extend(self.sync.accept(record))
        if not applied:
            return
        if not self.sink.meta.tick_size:
            snapshot = next((r for r, clear in applied if clear), None)
            if snapshot is not None:
                self.sink.refine_meta(tick_size=tick_size_of(snapshot.units))
        counts = np.array([r.n_updates for r, _ in applied])
        batch = EventBatch(
            event_starts=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            event_clear=np.array([clear for _, clear in applied]),
            side=np.concatenate([r.side for r, _ in applied]),
            units=np.concatenate([r.units for r, _ in applied]),
            size=np.concatenate([r.size for r, _ in applied]),
        )
        top = self.book.apply(batch)
        rows = np.array([not r.is_snapshot for r, _ in applied])
        diffs = [r for r, _ in applied if not r.is_snapshot]
        self.report.updates_applied += int(counts[rows].sum())
        self.sink.write_rows(
            np.array([r.ts_ns for r in diffs], np.int64),
            np.array([r.local_ns for r in diffs], np.int64),
            np.array([r.last_id for r in diffs], np.int64),
            top.bid_px[:, rows],
            top.bid_sz[:, rows],
            top.ask_px[:, rows],
            top.ask_sz[:, rows],
        )

    def _flush_trades(self) -> None:
        trades, self._trades = self._trades, []
        if not trades:
            return
        units, price_status = parse_prices(as_strings([t.price for t in trades]))
        size, size_status = parse_size_strings(as_strings([t.qty for t in trades]))
        bad = np.flatnonzero((price_status != 0) | (size_status != 0))
        keep = np.ones(len(trades), bool)
        for i in bad:
            code = price_status[i] or size_status[i]
            self._bad(
                trades[i].line,
                f"trade price {trades[i].price!r} or size "
                f"{trades[i].qty!r} {status_message(int(code))}",
            )
            keep[i] = False
        self.sink.write_trades(
            Trades(
                ts=np.array([t.ts_ns for t in trades], np.int64)[keep],
                local_ts=np.array([t.local_ns for t in trades], np.int64)[keep],
                px=units_to_price(units)[keep],
                sz=size[keep],
                side=np.array([-1 if t.buyer_is_maker else 1 for t in trades], np.int8)[keep],
                trade_id=np.array([t.trade_id for t in trades], np.int64)[keep],
            )
        )


def write_bbo(path: Path, tickers: list[TickerRecord]) -> None:
    """Write the bookTicker stream as a best-bid/ask store, for audits of the rebuilt book.

    Columns: ``ts``, ``local_ts``, ``seq`` (the ticker's ``u``), and price and size of both sides.
    """
    columns: dict[str, Any] = {
        "ts": np.array([r.ts_ns for r in tickers], np.int64),
        "local_ts": np.array([r.local_ns for r in tickers], np.int64),
        "seq": np.array([r.update_id for r in tickers], np.int64),
    }
    for k, name in enumerate(("bid_px", "bid_sz", "ask_px", "ask_sz")):
        strings = as_strings([r.values[k] for r in tickers])
        if name.endswith("_px"):
            columns[name] = units_to_price(parse_prices(strings)[0])
        else:
            columns[name] = parse_size_strings(strings)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
