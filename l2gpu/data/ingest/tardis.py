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

import csv
import re
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from l2gpu.data.ingest.csv_rows import CsvRows, open_input
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
from l2gpu.data.trades import Trades

US_SCALE = 3
"""Decimals of a microsecond timestamp kept: 3, so the parsed value is in ns."""
INCREMENTAL_DEFAULT_DEPTH = 20
NOT_A_DECIMAL = "is not a non-negative decimal number"
COMMON_COLUMNS = ("exchange", "symbol", "timestamp", "local_timestamp")
INCREMENTAL_COLUMNS = (*COMMON_COLUMNS, "is_snapshot", "side", "price", "amount")
TRADES_COLUMNS = (*COMMON_COLUMNS, "id", "side", "price", "amount")
Problem = tuple[np.ndarray, str, str, str]
"""Rows with a problem: their mask, the column shown, what is wrong with it, the check's name."""


def _header(path: Path) -> list[str]:
    """Return the column names of the first line."""
    raw, text = open_input(path)
    with raw, text:
        try:
            head = text.readline().decode("utf-8", "replace")
        except (EOFError, OSError, zlib.error) as exc:
            raise IngestError(path, "line 1", f"unreadable ({exc})", "readable_input") from None
    rows = list(csv.reader([head])) if head.strip() else []
    return [name.strip() for name in rows[0]] if rows else []


class _Rows:
    """Bad rows and rows of another symbol, handled by policy; the first symbol seen.

    The first row's exchange and symbol become the store's metadata (the symbol only when the
    caller named none).
    """

    def __init__(self, path: Path, request: IngestRequest) -> None:
        self.path = path
        self.policies = request.policies
        self.report = request.report
        self.sink = request.sink
        self.name_symbol = request.symbol is None
        self.symbol: str | None = None

    def _learn(self, table: pa.Table) -> None:
        self.symbol = table.column("symbol")[0].as_py()
        meta = {"exchange": table.column("exchange")[0].as_py()}
        self.sink.refine_meta(**meta, **({"symbol": self.symbol} if self.name_symbol else {}))

    def keep(self, table: pa.Table, lines: np.ndarray, problems: list[Problem]) -> np.ndarray:
        """Return the rows to keep: raise for a problem or count it, per ``on_bad_line``."""
        keep = np.ones(table.num_rows, bool)
        for bad, column, what, check in problems:
            for i in np.flatnonzero(bad & keep).tolist():
                where = f"line {lines[i]}"
                problem = f"{column} {table.column(column)[i].as_py()!r} {what}"
                if self.policies.on_bad_line == "error":
                    raise IngestError(
                        self.path,
                        where,
                        f"{problem}; on_bad_line='skip' skips such rows and counts them",
                        check,
                    )
                self.report.note_skipped(where, f"{problem} (check '{check}')")
                keep[i] = False
        if self.symbol is None and keep.any():
            self._learn(table.slice(int(np.argmax(keep)), 1))
        symbols = table.column("symbol")
        other = ~np.asarray(pc.equal(symbols, self.symbol).to_numpy(zero_copy_only=False), bool)
        other &= keep
        if other.any():
            i = int(np.argmax(other))
            if self.policies.on_other_symbol == "error":
                raise IngestError(
                    self.path,
                    f"line {lines[i]}",
                    f"a row of symbol {symbols[i].as_py()!r}, but the file's first row is of "
                    f"{self.symbol!r}; on_other_symbol='skip' skips such rows and counts them",
                    "one_symbol",
                )
            self.report.other_symbol_lines += int(other.sum())
            keep &= ~other
        return keep


def _times(
    table: pa.Table, parsed: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
) -> tuple[dict[str, np.ndarray], list[Problem]]:
    """Both timestamp columns as exact int64 ns, and the rows where one does not parse.

    ``parsed`` holds columns parsed already (values and status), by name.
    """
    out, problems = {}, []
    for name in ("timestamp", "local_timestamp"):
        known = (parsed or {}).get(name)
        ns, status = known if known else parse_fixed_strings(table.column(name), US_SCALE)
        out[name] = ns
        problems.append(
            (
                status != 0,
                name,
                "is not microseconds exact to the ns (a decimal with at most 3 decimals)",
                "exact_timestamp",
            )
        )
    return out, problems


def _is(column: pa.ChunkedArray, *values: str) -> np.ndarray:
    """Mask of the cells equal to one of ``values``."""
    return np.asarray(pc.is_in(column, pa.array(values)).to_numpy(zero_copy_only=False), bool)


def _blank(column: pa.ChunkedArray) -> np.ndarray:
    """Mask of the empty cells."""
    return np.asarray(pc.equal(column, "").to_numpy(zero_copy_only=False), bool)


class _Incremental:
    """``incremental_book_L2`` rows into book rows, message by message, across batches."""

    def __init__(self, sink: BookSink, rows: _Rows, report: IngestReport, depth: int) -> None:
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
        times, problems = _times(table, {"local_timestamp": local_parsed})
        units, price_status = parse_prices(table.column("price"))
        size, size_status = parse_size_strings(table.column("amount"))
        is_bid, is_ask = _is(table.column("side"), "bid"), _is(table.column("side"), "ask")
        flag = pc.utf8_lower(table.column("is_snapshot"))
        snapshot, not_snapshot = _is(flag, "true"), _is(flag, "false")
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


def _read_incremental(request: IngestRequest, rows: _Rows, path: Path) -> None:
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


LEVEL_COLUMN = re.compile(r"^(asks|bids)\[(\d+)\]\.(price|amount)$")


def _snapshot_levels(header: list[str]) -> int:
    """Levels of a ``book_snapshot_N`` header: one more than the deepest level it names."""
    found = [int(m[2]) for m in map(LEVEL_COLUMN.match, header) if m is not None]
    return max(found) + 1 if found else 0


def _snapshot_columns(levels: int) -> list[str]:
    return [
        f"{side}[{k}].{field}"
        for k in range(levels)
        for side in ("asks", "bids")
        for field in ("price", "amount")
    ]


def _read_snapshots(request: IngestRequest, rows: _Rows, path: Path, levels: int) -> None:
    sink, report, depth = request.sink, request.report, request.sink.depth
    csv_rows = CsvRows(
        path,
        (*COMMON_COLUMNS, *_snapshot_columns(levels)),
        True,
        request.policies.on_bad_line == "skip",
        report,
    )
    read = 0
    for batch, lines in csv_rows.batches(request.progress):
        table = pa.Table.from_batches([batch])
        n = table.num_rows
        out = {
            name: np.full((depth, n), np.nan if name.endswith("px") else 0.0)
            for name in ("bid_px", "bid_sz", "ask_px", "ask_sz")
        }
        times, problems = _times(table)
        for k in range(min(levels, depth)):
            for side, name in (("bids", "bid"), ("asks", "ask")):
                px_text = table.column(f"{side}[{k}].price")
                sz_text = table.column(f"{side}[{k}].amount")
                px_blank, sz_blank = _blank(px_text), _blank(sz_text)
                units, px_status = parse_prices(px_text)
                size, sz_status = parse_size_strings(sz_text)
                problems += [
                    (
                        (px_status != 0) & ~px_blank,
                        f"{side}[{k}].price",
                        NOT_A_DECIMAL,
                        "cell_value",
                    ),
                    (
                        (sz_status != 0) & ~sz_blank,
                        f"{side}[{k}].amount",
                        NOT_A_DECIMAL,
                        "cell_value",
                    ),
                    (
                        px_blank != sz_blank,
                        f"{side}[{k}].amount",
                        f"does not go with {side}[{k}].price: an empty level has both cells "
                        "blank, a level there neither",
                        "missing_level",
                    ),
                ]
                out[f"{name}_px"][k] = np.where(px_blank, np.nan, units_to_price(units))
                out[f"{name}_sz"][k] = np.where(px_blank, 0.0, size)
        keep = rows.keep(table, lines, problems)
        seq = np.arange(read, read + n, dtype=np.int64)[keep]
        sink.write_rows(
            times["timestamp"][keep],
            times["local_timestamp"][keep],
            seq,
            out["bid_px"][:, keep],
            out["bid_sz"][:, keep],
            out["ask_px"][:, keep],
            out["ask_sz"][:, keep],
            lines=lines[keep],
        )
        read += n
        report.lines_in += n
        report.updates_applied += int(keep.sum()) * 4 * min(levels, depth)


def _read_trades(request: IngestRequest, rows: _Rows, path: Path) -> None:
    sink, report = request.sink, request.report
    csv_rows = CsvRows(path, TRADES_COLUMNS, True, request.policies.on_bad_line == "skip", report)
    for batch, lines in csv_rows.batches(request.progress):
        table = pa.Table.from_batches([batch])
        times, problems = _times(table)
        units, px_status = parse_prices(table.column("price"))
        size, sz_status = parse_size_strings(table.column("amount"))
        buy, sell = _is(table.column("side"), "buy"), _is(table.column("side"), "sell")
        problems += [
            (px_status != 0, "price", NOT_A_DECIMAL, "cell_value"),
            (sz_status != 0, "amount", NOT_A_DECIMAL, "cell_value"),
            (_blank(table.column("id")), "id", "is empty", "cell_value"),
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
    if (levels := _snapshot_levels(header)) > 0:
        return f"book_snapshot_{levels}", (*COMMON_COLUMNS, *_snapshot_columns(levels))
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
    header = _header(path)
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
    rows = _Rows(path, request)
    if kind == "incremental_book_L2":
        request.sink.depth = request.depth or INCREMENTAL_DEFAULT_DEPTH
        _read_incremental(request, rows, path)
    elif kind == "trades":
        request.sink.trades_only()
        _read_trades(request, rows, path)
    else:
        levels = _snapshot_levels(header)
        request.sink.depth = request.depth or levels
        _read_snapshots(request, rows, path, levels)
