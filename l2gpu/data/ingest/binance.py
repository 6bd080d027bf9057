"""Binance futures recordings: ``<local_ns> <json>`` lines, gzip or plain text.

Records: one REST depth snapshot (``lastUpdateId``, ``bids``, ``asks``), ``depthUpdate`` diffs
(``U``, ``u``, ``pu``; ``b``/``a`` hold absolute sizes, 0 deletes), ``trade`` and ``bookTicker``.

Synchronisation follows Binance's update-id rule (:mod:`~l2gpu.data.ingest.binance_sync`); a
later snapshot is compared with the rebuilt book, not applied. Every line must be of the file's
instrument (its stream name and ``"s"`` field, taken from the first line that has them; check
``one_symbol``, policy ``on_other_symbol``). A price level at price 0 is a bad line.

One book row per applied diff: ``seq = u``, ``ts`` = the diff's transaction time ``T`` (ms, the
matching engine's time, which Binance also stamps on trades) in ns, ``local_ts`` = the line's
receive time in ns. The snapshot itself makes no row: it is the state the first diff applies to.
Trades: ``ts`` = ``T``, ``side`` = -1 when ``m`` (the buyer was the maker, so the seller hit).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from l2gpu.data.ingest.binance_depth import (
    Accepted,
    Depth,
    DepthQueue,
    DepthRun,
    accept_run,
    event_columns,
)
from l2gpu.data.ingest.binance_fast import FastDepthLines
from l2gpu.data.ingest.binance_records import (
    BadLineError,
    DepthRecord,
    OtherSymbolError,
    TickerRecord,
    TradeRecord,
    as_strings,
    parse_line,
    symbols_of,
)
from l2gpu.data.ingest.binance_sync import Action, BinanceSync, snapshot_disagreement
from l2gpu.data.ingest.binance_trades import TradeQueue, fast_trades
from l2gpu.data.ingest.blocks import DamagedInputError, TruncatedInputError, iter_line_blocks
from l2gpu.data.ingest.decimal_columns import (
    parse_prices,
    parse_size_strings,
    tick_size_of,
    units_to_price,
)
from l2gpu.data.ingest.formats import IngestRequest, ingest_format
from l2gpu.data.ingest.parsers.binance_lines import (
    KIND_DEPTH,
    KIND_OTHER,
    KIND_TICKER,
    KIND_TRADE,
    LINE_OK,
    SYMBOL_OK,
    SYMBOL_OTHER,
    SYMBOL_UNCHECKED,
    index_lines,
    other_symbol_lines,
)
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.reconstruct import LevelBook
from l2gpu.data.ingest.report import IngestReport
from l2gpu.data.ingest.sink import BookSink

BATCH_UPDATES = 1 << 18
"""Level updates collected before the book kernel runs (bounds memory on day-long files)."""
BATCH_TRADES = 1 << 16
Progress = Callable[[int], None]


class BinanceReader:
    """Read one recording into a :class:`BookSink`.

    Parameters
    ----------
    path : Path
        The recording.
    sink : BookSink
        Where rows and trades go.
    policies : Policies
        Repairs allowed.
    report : IngestReport
        Counts are added here.
    depth : int
        Levels per side of the rows.
    bbo_rows : list or None
        Where ``bookTicker`` records go when a best-bid/ask store is asked for.
    name_symbol : bool
        Whether the metadata takes the symbol the data names.
    """

    def __init__(
        self,
        path: Path,
        sink: BookSink,
        policies: Policies,
        report: IngestReport,
        depth: int,
        bbo_rows: list[TickerRecord] | None,
        name_symbol: bool = False,
    ) -> None:
        self.path = path
        self.sink = sink
        self.policies = policies
        self.report = report
        self.book = LevelBook(depth)
        self.sync = BinanceSync(path, policies, report)
        self.tickers = bbo_rows
        self.symbols: tuple[str, str] | None = None
        self._name_symbol = name_symbol
        self._depth = DepthQueue(BATCH_UPDATES)
        self._trades = TradeQueue(BATCH_TRADES)

    def _bad(self, line_no: int, problem: str, check: str = "line_syntax") -> None:
        if self.policies.on_bad_line == "error":
            raise IngestError(
                self.path,
                f"line {line_no}",
                f"{problem}; on_bad_line='skip' skips such lines and counts them",
                check,
            )
        self.report.note_skipped(f"line {line_no}", f"{problem} (check '{check}')")

    def _other_symbol(self, line_no: int, problem: str) -> None:
        if self.policies.on_other_symbol == "error":
            raise IngestError(
                self.path,
                f"line {line_no}",
                f"a line of another instrument: {problem}; on_other_symbol='skip' skips such "
                "lines and counts them",
                "one_symbol",
            )
        self.report.other_symbol_lines += 1

    def run(self, progress: Progress) -> None:
        """Read every line, then flush what is pending."""
        lines = 0
        try:
            for block, raw_bytes in iter_line_blocks(self.path):
                lines += self._block(block, lines)
                progress(raw_bytes)
        except (TruncatedInputError, DamagedInputError) as exc:
            self._bad(
                lines + 1,
                f"gzip stream is damaged or truncated ({exc}); reading stops",
                "readable_input",
            )
        self.report.lines_in += lines
        self._flush()
        self.sync.finish()
        if self.sync.snapshots_seen == 0:
            raise IngestError(
                self.path,
                "whole input",
                "no depth snapshot (a line with 'lastUpdateId'): the book cannot be synchronised",
                "snapshot_present",
            )
        self.report.checks["diffs dropped before sync (u < lastUpdateId)"] = (
            f"{self.sync.dropped_before_sync:,}"
        )
        if self.report.later_snapshots:
            self.report.checks["later snapshots against the rebuilt book"] = self.sync.outcome()

    def _learn_symbols(self, buf: np.ndarray, starts: np.ndarray, kinds: np.ndarray) -> None:
        """Take the file's instrument from its first stream line (stream name and ``"s"``)."""
        for i in np.flatnonzero(kinds != KIND_OTHER).tolist():
            line = buf[starts[i] : starts[i + 1] if i + 1 < starts.size else buf.size].tobytes()
            try:
                msg = orjson.loads(line[line.find(b" ") + 1 :])
            except ValueError:
                continue
            stream, data = symbols_of(msg) if isinstance(msg, dict) else ("", "")
            if stream:
                self.symbols = (stream, data or stream.upper())
                if self._name_symbol:
                    self.sink.refine_meta(symbol=self.symbols[1])
                return

    def _block(self, buf: np.ndarray, lines_before: int) -> int:
        """Take every line of ``buf``; return how many there were."""
        starts, ends, kinds = index_lines(buf)
        if self.symbols is None:
            self._learn_symbols(buf, starts, kinds)
        symbol = np.full(starts.size, SYMBOL_UNCHECKED, np.int8)
        if self.symbols is not None:
            stream, data = (np.frombuffer(t.encode(), np.uint8) for t in self.symbols)
            other_symbol_lines(buf, starts, ends, stream, data, symbol)
        other = symbol == SYMBOL_OTHER
        fast = FastDepthLines(buf, starts, ends, np.flatnonzero((kinds == KIND_DEPTH) & ~other))
        self._depth.start_block(fast, lines_before + 1)
        wanted = kinds != KIND_TICKER if self.tickers is None else np.ones(kinds.size, bool)
        wanted[fast.rows[fast.status == LINE_OK]] = False
        trade_rows = np.flatnonzero((kinds == KIND_TRADE) & (symbol == SYMBOL_OK))
        chunk, slow = fast_trades(buf, starts, ends, trade_rows, lines_before)
        wanted[trade_rows] = False
        wanted[slow] = True
        self._trades.start_block(chunk if self.sink.wants_trades else chunk.part(0, 0))
        for i in np.flatnonzero(wanted | other).tolist():
            line_no = lines_before + i + 1
            self._reach(i)
            if other[i]:
                self._other_symbol(line_no, self._symbol_problem(buf[starts[i] : ends[i]]))
                continue
            try:
                record = parse_line(
                    line_no,
                    buf[starts[i] : ends[i]].tobytes(),
                    self.tickers is not None,
                    self.symbols if symbol[i] == SYMBOL_UNCHECKED else None,
                )
            except OtherSymbolError as exc:
                self._other_symbol(line_no, str(exc))
                continue
            except BadLineError as exc:
                self._bad(line_no, str(exc))
                continue
            self._take(record)
        self._reach(int(starts.size))
        return int(starts.size)

    def _reach(self, index: int) -> None:
        """Queue the block's fast-read depth lines and trades before line ``index``, in order."""
        self._depth.reach(index, self._flush_at)
        self._trades.reach(index, self._flush_trades)

    def _flush_at(self, index: int) -> None:
        """Flush where the depth queue filled, at block line ``index``: trades before it first."""
        self._trades.reach(index, self._flush_trades)
        self._flush()

    def _symbol_problem(self, line: np.ndarray) -> str:
        """Say which instrument a line marked by the compiled check names."""
        assert self.symbols is not None
        text = line.tobytes()
        try:
            found = symbols_of(orjson.loads(text[text.find(b" ") + 1 :]))
        except (ValueError, AttributeError):
            return f"its stream or symbol is not {self.symbols[0]!r} / {self.symbols[1]!r}"
        have = found[0] if found[0] and found[0] != self.symbols[0] else found[1]
        return f"it names {have!r}, the file's first line {self.symbols[1]!r}"

    def _take(self, record: DepthRecord | TradeRecord | TickerRecord | None) -> None:
        if isinstance(record, DepthRecord):
            if self._depth.add(record):
                self._flush()
        elif isinstance(record, TradeRecord):
            if self.sink.wants_trades and self._trades.add(record):
                self._flush_trades()
        elif isinstance(record, TickerRecord) and self.tickers is not None:
            self.tickers.append(record)

    def _flush(self) -> None:
        records = self._depth.take()
        if records:
            self._apply(records)
        self._flush_trades()

    def _apply(self, records: list[Depth]) -> None:
        """Run the sync rule over ``records``, apply what it accepts, write one row per diff."""
        accepted: list[Accepted] = []
        for record in records:
            if isinstance(record, DepthRun):
                accepted.extend(accept_run(self.sync, record))
                continue
            if record.problem:
                self._bad(record.line, record.problem, "cell_value")
                continue
            for taken, action in self.sync.accept(record):
                if action is not Action.CHECK:
                    accepted.append((taken, action is Action.START))
                    continue
                self._write(accepted)
                accepted = []
                why = snapshot_disagreement(taken, self.book.held_levels())
                self.sync.later["differ" if why else "agree"] += 1
                if why:
                    self.sync.gap(
                        taken,
                        f"the depth snapshot (lastUpdateId {taken.last_id}) differs from the "
                        f"book rebuilt to the same update: {why}",
                        lost=0,
                    )
                    accepted.extend((r, a is Action.START) for r, a in self.sync.start(taken))
        self._write(accepted)

    def _write(self, applied: list[Accepted]) -> None:
        """Apply records and runs (``True`` marks a snapshot) and write one row per diff."""
        if not applied:
            return
        if not self.sink.meta.tick_size:
            snapshot = next((a[0] for a in applied if isinstance(a, tuple) and a[1]), None)
            if snapshot is not None:
                self.sink.refine_meta(tick_size=tick_size_of(snapshot.units))
        events = event_columns(applied)
        top = self.book.apply(events.batch)
        rows = events.rows
        counts = np.diff(events.batch.event_starts)
        self.report.updates_applied += int(counts[rows].sum())
        self.sink.write_rows(
            events.ts,
            events.local_ts,
            events.seq,
            top.bid_px[:, rows],
            top.bid_sz[:, rows],
            top.ask_px[:, rows],
            top.ask_sz[:, rows],
            lines=events.line,
        )

    def _flush_trades(self) -> None:
        taken = self._trades.take(self._bad)
        if taken is not None:
            self.sink.write_trades(taken[0], lines=taken[1])


@ingest_format(
    "binance",
    "Binance USD-M recorder lines '<local_ns> <json>' (.gz or plain): a REST depth snapshot, "
    "depth diffs, trades, bookTicker",
)
def read_binance(request: IngestRequest) -> None:
    """Read one Binance recorder file (see the module docstring); ``bbo_out`` takes bookTicker."""
    path = request.single_input("binance")
    tickers: list[TickerRecord] | None = [] if request.bbo_out else None
    request.sink.refine_meta(exchange="binance-futures")
    reader = BinanceReader(
        path,
        request.sink,
        request.policies,
        request.report,
        request.sink.depth,
        tickers,
        name_symbol=request.symbol is None,
    )
    reader.run(request.progress)
    if request.bbo_out is not None and tickers is not None:
        write_bbo(request.bbo_out, tickers)


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
