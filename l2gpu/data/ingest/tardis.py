"""Tardis downloadable CSV files (optionally ``.gz``) into the book and trades stores.

The kind is read from the header, which must hold the kind's columns (check
``required_columns``):

- ``incremental_book_L2`` (``is_snapshot, side, price, amount``): absolute sizes, 0 deletes. One
  book row per message, a message being a run of rows with the same ``local_timestamp``; a run of
  snapshot rows that follows non-snapshot rows is a new snapshot and clears the book first (a
  message that switches between the two is split there). ``ts`` is the exchange ``timestamp`` of
  the message's last row, ``seq`` the message number (0-based).
- ``book_snapshot_N`` (``asks[i].price``, ...): states as given, ``K = N`` by default; an empty
  level (both of its cells blank) becomes NaN, size 0.
- ``trades`` (``id, side, price, amount``): ``side`` is the aggressor (buy +1, sell -1); a trade
  whose side is anything else (``unknown``) cannot be stored and is a bad row. A trades file fills
  the trades store only.

Every file has ``exchange`` and ``symbol`` columns; every row must be of the first row's symbol
(check ``one_symbol``, policy ``on_other_symbol``). Timestamps are microseconds, parsed exactly
from their text into int64 ns (check ``exact_timestamp``; never through float64; an empty one is
a bad row). Prices are parsed exactly from the text. A row with a bad cell is a bad line
(``on_bad_line``), named by its line in the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from l2gpu.data.ingest.csv_rows import CsvRows
from l2gpu.data.ingest.decimal_columns import (
    parse_fixed_strings,
    parse_prices,
    parse_size_strings,
    units_to_price,
)
from l2gpu.data.ingest.formats import IngestRequest, ingest_format
from l2gpu.data.ingest.policies import IngestError
from l2gpu.data.ingest.reconstruct import EventBatch, LevelBook
from l2gpu.data.ingest.report import IngestReport
from l2gpu.data.ingest.sink import BookSink
from l2gpu.data.ingest.tardis_rows import (
    COMMON_COLUMNS,
    INCREMENTAL_COLUMNS,
    INCREMENTAL_DEFAULT_DEPTH,
    NOT_A_DECIMAL,
    TRADES_COLUMNS,
    US_SCALE,
    Rows,
    blank,
    is_value,
    read_header,
    times_ns,
)
from l2gpu.data.ingest.tardis_snapshots import read_snapshots, snapshot_columns, snapshot_levels
from l2gpu.data.trades import Trades


class _Incremental:
    """``incremental_book_L2`` rows into book rows, message by message, across batches."""

    def __init__(self, sink: BookSink, rows: Rows, report: IngestReport, depth: int) -> None:
        self.sink = sink
        self.rows = rows
        self.report = report
        self.book = LevelBook(depth)
        self.message = 0
        self.was_snapshot = False

    def add(
        self, table: pa.Table, lines: np.ndarray, local_parsed: tuple[np.ndarray, np.ndarray]
    ) -> None:
        """Apply the complete messages of ``table`` (the caller holds back the last one).

        ``local_parsed`` is its ``local_timestamp`` column parsed already (ns, status).
        """
        if table.num_rows == 0:
            return
        times, problems = times_ns(table, {"local_timestamp": local_parsed})
        units, price_status = parse_prices(table.column("price"))
        size, size_status = parse_size_strings(table.column("amount"))
        is_bid, is_ask = (
            is_value(table.column("side"), "bid"),
            is_value(table.column("side"), "ask"),
        )
        flag = pc.utf8_lower(table.column("is_snapshot"))
        snapshot, not_snapshot = is_value(flag, "true"), is_value(flag, "false")
        problems += [
            (price_status != 0, "price", NOT_A_DECIMAL, "cell_value"),
            ((price_status == 0) & (units == 0), "price", "is 0", "level_price_positive"),
            (size_status != 0, "amount", NOT_A_DECIMAL, "cell_value"),
            (~(is_bid | is_ask), "side", "is neither 'bid' nor 'ask'", "cell_value"),
            (~(snapshot | not_snapshot), "is_snapshot", "is neither true nor false", "cell_value"),
        ]
        keep = self.rows.keep(table, lines, problems)
        local, ts = times["local_timestamp"][keep], times["timestamp"][keep]
        snapshot, is_ask, lines = snapshot[keep], is_ask[keep], lines[keep]
        if local.size == 0:
            return
        previous_snapshot = np.r_[self.was_snapshot, snapshot[:-1]]
        clears = snapshot & ~previous_snapshot
        starts = np.flatnonzero(np.r_[True, (local[1:] != local[:-1]) | clears[1:]])
        events = EventBatch(
            event_starts=np.r_[starts, local.size].astype(np.int64),
            event_clear=clears[starts],
            side=is_ask.astype(np.int8),
            units=units[keep],
            size=size[keep],
        )
        top = self.book.apply(events)
        ends = np.r_[starts[1:], local.size] - 1
        seq = np.arange(self.message, self.message + starts.size, dtype=np.int64)
        self.sink.write_rows(
            ts[ends],
            local[starts],
            seq,
            top.bid_px,
            top.bid_sz,
            top.ask_px,
            top.ask_sz,
            lines=lines[ends],
        )
        self.message += starts.size
        self.was_snapshot = bool(snapshot[-1])
        self.report.updates_applied += events.n_updates


def _read_incremental(request: IngestRequest, rows: Rows, path: Path) -> None:
    reader = _Incremental(request.sink, rows, request.report, request.sink.depth)
    csv_rows = CsvRows(
        path, INCREMENTAL_COLUMNS, True, request.policies.on_bad_line == "skip", request.report
    )
    carry: pa.Table | None = None
    carry_lines = np.zeros(0, np.int64)
    carry_local = (np.zeros(0, np.int64), np.zeros(0, np.int8))
    for batch, more_lines in csv_rows.batches(request.progress):
        request.report.lines_in += batch.num_rows
        table = pa.Table.from_batches([batch])
        table = pa.concat_tables([carry, table]) if carry is not None else table
        lines = np.concatenate((carry_lines, more_lines))
        more_ns, more_status = parse_fixed_strings(batch.column("local_timestamp"), US_SCALE)
        ns = np.concatenate((carry_local[0], more_ns))
        status = np.concatenate((carry_local[1], more_status))
        # Hold back the last message: it may continue in the next batch.
        last_start = int(np.flatnonzero(np.r_[True, ns[1:] != ns[:-1]])[-1])
        carry, carry_lines = table.slice(last_start), lines[last_start:]
        carry_local = (ns[last_start:], status[last_start:])
        head = (ns[:last_start], status[:last_start])
        reader.add(table.slice(0, last_start), lines[:last_start], head)
    if carry is not None:
        reader.add(carry, carry_lines, carry_local)


def _read_trades(request: IngestRequest, rows: Rows, path: Path) -> None:
    sink, report = request.sink, request.report
    csv_rows = CsvRows(path, TRADES_COLUMNS, True, request.policies.on_bad_line == "skip", report)
    for batch, lines in csv_rows.batches(request.progress):
        table = pa.Table.from_batches([batch])
        times, problems = times_ns(table)
        units, px_status = parse_prices(table.column("price"))
        size, sz_status = parse_size_strings(table.column("amount"))
        buy, sell = is_value(table.column("side"), "buy"), is_value(table.column("side"), "sell")
        problems += [
            (px_status != 0, "price", NOT_A_DECIMAL, "cell_value"),
            (sz_status != 0, "amount", NOT_A_DECIMAL, "cell_value"),
            (blank(table.column("id")), "id", "is empty", "cell_value"),
            (
                ~(buy | sell),
                "side",
                "is neither 'buy' nor 'sell' (the aggressor is not known)",
                "trade_side",
            ),
        ]
        keep = rows.keep(table, lines, problems)
        ids = table.column("id").to_numpy(zero_copy_only=False)
        sink.write_trades(
            Trades(
                ts=times["timestamp"][keep],
                local_ts=times["local_timestamp"][keep],
                px=units_to_price(units)[keep],
                sz=size[keep],
                side=(buy.astype(np.int8) - sell.astype(np.int8))[keep],
                trade_id=ids[keep].astype(object),
            ),
            lines=lines[keep],
        )
        report.lines_in += table.num_rows


def _kind(header: list[str]) -> tuple[str, tuple[str, ...]]:
    """Return the kind of file a header announces and the columns it needs."""
    if "is_snapshot" in header:
        return "incremental_book_L2", INCREMENTAL_COLUMNS
    if (levels := snapshot_levels(header)) > 0:
        return f"book_snapshot_{levels}", (*COMMON_COLUMNS, *snapshot_columns(levels))
    if "id" in header or {"side", "price", "amount"} <= set(header):
        return "trades", TRADES_COLUMNS
    return "", ()


@ingest_format(
    "tardis", "Tardis CSV (.csv or .csv.gz): incremental_book_L2, book_snapshot_N or trades"
)
def read_tardis(request: IngestRequest) -> None:
    """Read one Tardis CSV into the request's sink; the kind of file is told by its header."""
    request.refuse_bbo("tardis")
    path = request.single_input("tardis")
    header = read_header(path)
    kind, needed = _kind(header)
    if not kind:
        raise IngestError(
            path,
            "line 1",
            f"header {header} is not a Tardis incremental_book_L2, book_snapshot_N or trades file",
            "required_columns",
        )
    missing = [c for c in needed if c not in header]
    if missing:
        raise IngestError(
            path,
            "line 1",
            f"a Tardis {kind} file needs the column(s) {missing}; the header is {header}",
            "required_columns",
        )
    rows = Rows(path, request)
    if kind == "incremental_book_L2":
        request.sink.depth = request.depth or INCREMENTAL_DEFAULT_DEPTH
        _read_incremental(request, rows, path)
    elif kind == "trades":
        request.sink.trades_only()
        _read_trades(request, rows, path)
    else:
        levels = snapshot_levels(header)
        request.sink.depth = request.depth or levels
        read_snapshots(request, rows, path, levels)
