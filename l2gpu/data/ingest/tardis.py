"""Tardis downloadable CSV files (optionally ``.gz``) into the book and trades stores.

The kind is read from the header:

- ``incremental_book_L2`` (``is_snapshot, side, price, amount``): absolute sizes, 0 deletes. One
  book row per message, a message being a run of rows with the same ``local_timestamp``; a run of
  snapshot rows that follows non-snapshot rows is a new snapshot and clears the book first (a
  message that switches between the two is split there). ``ts`` is the exchange ``timestamp`` of
  the message's last row, ``seq`` the message number (0-based).
- ``book_snapshot_N`` (``asks[i].price``, ...): states as given, ``K = N`` by default; an empty
  level (a blank cell) becomes NaN, size 0.
- ``trades`` (``id, side, price, amount``): ``side`` is the aggressor (buy +1, sell -1; anything
  else, such as ``unknown``, 0). A trades file fills the trades store only.

Timestamps are microseconds and are stored as ns. Prices are parsed exactly from the text.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from l2gpu.data.ingest.decimal_columns import (
    parse_prices,
    parse_size_strings,
    units_to_price,
)
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.reconstruct import EventBatch, LevelBook
from l2gpu.data.ingest.report import IngestReport
from l2gpu.data.ingest.sink import BookSink
from l2gpu.data.trades import Trades

US = 1000
BLOCK_BYTES = 1 << 24
INCREMENTAL_DEFAULT_DEPTH = 20


def _open(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """Return (raw handle for byte progress, text source)."""
    raw = path.open("rb")
    return raw, (gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw)  # type: ignore[return-value]


def _header(path: Path) -> tuple[list[str], dict[str, str]]:
    """Return the column names and the first data row by name (empty if there is none)."""
    raw, text = _open(path)
    with raw, text:
        try:
            head = [text.readline().decode("utf-8", "replace") for _ in range(2)]
        except (EOFError, OSError) as exc:
            raise IngestError(path, "line 1", f"unreadable ({exc})") from None
    rows = list(csv.reader(line for line in head if line))
    header = rows[0] if rows else []
    first = rows[1] if len(rows) > 1 else []
    return header, dict(zip(header, first, strict=False)) if len(first) == len(header) else {}


def _batches(
    path: Path, types: dict[str, pa.DataType], progress: Callable[[int], None]
) -> Iterator[pa.RecordBatch]:
    raw, text = _open(path)
    with raw, text:
        try:
            reader = pacsv.open_csv(
                text,
                read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
                convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
            )
            for batch in reader:
                yield batch
                progress(raw.tell())
        except (pa.ArrowInvalid, EOFError, OSError) as exc:
            raise IngestError(path, "CSV", str(exc)) from None


class _BadRows:
    """Applies ``on_bad_line`` to rows that do not parse; returns the rows to keep."""

    def __init__(self, path: Path, policies: Policies, report: IngestReport) -> None:
        self.path = path
        self.policies = policies
        self.report = report

    def keep(self, problems: list[tuple[np.ndarray, str]], first_row: int, rows: int) -> np.ndarray:
        keep = np.ones(rows, bool)
        for bad, what in problems:
            for i in np.flatnonzero(bad):
                where = f"line {first_row + int(i) + 2}"  # 1-based, after the header
                if self.policies.on_bad_line == "error":
                    raise IngestError(
                        self.path,
                        where,
                        f"{what}; on_bad_line='skip' skips such rows and counts them",
                    )
                if keep[i]:
                    self.report.note_skipped(where, what)
                keep[i] = False
        return keep


def _read_incremental(
    path: Path,
    sink: BookSink,
    policies: Policies,
    report: IngestReport,
    depth: int,
    progress: Callable[[int], None],
) -> None:
    types = {
        "timestamp": pa.int64(),
        "local_timestamp": pa.int64(),
        "is_snapshot": pa.bool_(),
        "side": pa.string(),
        "price": pa.string(),
        "amount": pa.string(),
    }
    book = LevelBook(depth)
    bad_rows = _BadRows(path, policies, report)
    carry: pa.Table | None = None
    rows_before = 0
    state = {"message": 0, "was_snapshot": False}
    for batch in _batches(path, types, progress):
        table = pa.Table.from_batches([batch])
        report.lines_in += table.num_rows
        table = pa.concat_tables([carry, table]) if carry is not None else table
        # Hold back the last message: it may continue in the next batch.
        local = table.column("local_timestamp").to_numpy()
        last_start = int(np.flatnonzero(np.r_[True, local[1:] != local[:-1]])[-1])
        carry = table.slice(last_start)
        _apply_incremental(
            table.slice(0, last_start), book, sink, bad_rows, report, state, rows_before
        )
        rows_before += last_start
    if carry is not None and carry.num_rows:
        _apply_incremental(carry, book, sink, bad_rows, report, state, rows_before)


def _apply_incremental(
    table: pa.Table,
    book: LevelBook,
    sink: BookSink,
    bad_rows: _BadRows,
    report: IngestReport,
    state: dict[str, int | bool],
    first_row: int,
) -> None:
    if table.num_rows == 0:
        return
    units, price_status = parse_prices(table.column("price"))
    size, size_status = parse_size_strings(table.column("amount"))
    side_text = table.column("side")
    is_bid = pc.equal(side_text, "bid").to_numpy(zero_copy_only=False)
    is_ask = pc.equal(side_text, "ask").to_numpy(zero_copy_only=False)
    snapshot = table.column("is_snapshot").fill_null(False).to_numpy(zero_copy_only=False)
    keep = bad_rows.keep(
        [
            (price_status != 0, "price is not a non-negative decimal number"),
            (size_status != 0, "amount is not a non-negative decimal number"),
            (~(is_bid | is_ask), "side is neither 'bid' nor 'ask'"),
            (
                table.column("local_timestamp").is_null().to_numpy(zero_copy_only=False),
                "local_timestamp is missing",
            ),
        ],
        first_row,
        table.num_rows,
    )
    local = table.column("local_timestamp").to_numpy(zero_copy_only=False)[keep]
    ts = table.column("timestamp").fill_null(0).to_numpy(zero_copy_only=False)[keep]
    snapshot, is_ask = snapshot[keep], is_ask[keep]
    if local.size == 0:
        return
    previous_snapshot = np.r_[bool(state["was_snapshot"]), snapshot[:-1]]
    clears = snapshot & ~previous_snapshot
    starts = np.flatnonzero(np.r_[True, (local[1:] != local[:-1]) | clears[1:]])
    batch = EventBatch(
        event_starts=np.r_[starts, local.size].astype(np.int64),
        event_clear=clears[starts],
        side=is_ask.astype(np.int8),
        units=units[keep],
        size=size[keep],
    )
    top = book.apply(batch)
    ends = np.r_[starts[1:], local.size] - 1
    message = int(state["message"])
    seq = np.arange(message, message + starts.size, dtype=np.int64)
    sink.write_rows(
        ts[ends] * US, local[starts] * US, seq, top.bid_px, top.bid_sz, top.ask_px, top.ask_sz
    )
    state["message"] = message + starts.size
    state["was_snapshot"] = bool(snapshot[-1])
    report.updates_applied += batch.n_updates


def _snapshot_levels(header: list[str]) -> int:
    levels = 0
    while f"asks[{levels}].price" in header:
        levels += 1
    return levels


def _read_snapshots(
    path: Path,
    sink: BookSink,
    policies: Policies,
    report: IngestReport,
    levels: int,
    depth: int,
    progress: Callable[[int], None],
) -> None:
    value_columns = [
        f"{side}[{k}].{field}"
        for k in range(levels)
        for side in ("asks", "bids")
        for field in ("price", "amount")
    ]
    types = {
        "timestamp": pa.int64(),
        "local_timestamp": pa.int64(),
        **{c: pa.string() for c in value_columns},
    }
    bad_rows = _BadRows(path, policies, report)
    rows = 0
    for batch in _batches(path, types, progress):
        n = batch.num_rows
        out = {
            name: np.full((depth, n), np.nan if name.endswith("px") else 0.0)
            for name in ("bid_px", "bid_sz", "ask_px", "ask_sz")
        }
        problems = []
        for k in range(min(levels, depth)):
            for side, name in (("bids", "bid"), ("asks", "ask")):
                px_text = batch.column(f"{side}[{k}].price")
                sz_text = batch.column(f"{side}[{k}].amount")
                blank = pc.or_(pc.is_null(px_text), pc.equal(px_text, "")).to_numpy(
                    zero_copy_only=False
                )
                units, px_status = parse_prices(px_text)
                size, sz_status = parse_size_strings(sz_text)
                problems.append(
                    (
                        (px_status != 0) & ~blank,
                        f"{side}[{k}].price is not a non-negative decimal number",
                    )
                )
                problems.append(
                    (
                        (sz_status != 0) & ~blank,
                        f"{side}[{k}].amount is not a non-negative decimal number",
                    )
                )
                out[f"{name}_px"][k] = np.where(blank, np.nan, units_to_price(units))
                out[f"{name}_sz"][k] = np.where(blank, 0.0, size)
        keep = bad_rows.keep(problems, rows, n)
        ts = batch.column("timestamp").to_numpy(zero_copy_only=False)[keep] * US
        local = batch.column("local_timestamp").to_numpy(zero_copy_only=False)[keep] * US
        seq = np.arange(rows, rows + n, dtype=np.int64)[keep]
        sink.write_rows(
            ts, local, seq, *(out[k][:, keep] for k in ("bid_px", "bid_sz", "ask_px", "ask_sz"))
        )
        rows += n
        report.lines_in += n
        report.updates_applied += int(keep.sum()) * 4 * min(levels, depth)


def _read_trades(
    path: Path,
    sink: BookSink,
    policies: Policies,
    report: IngestReport,
    progress: Callable[[int], None],
) -> None:
    types = {
        "timestamp": pa.int64(),
        "local_timestamp": pa.int64(),
        "id": pa.string(),
        "side": pa.string(),
        "price": pa.string(),
        "amount": pa.string(),
    }
    bad_rows = _BadRows(path, policies, report)
    rows = 0
    for batch in _batches(path, types, progress):
        units, px_status = parse_prices(batch.column("price"))
        size, sz_status = parse_size_strings(batch.column("amount"))
        keep = bad_rows.keep(
            [
                (px_status != 0, "price is not a non-negative decimal number"),
                (sz_status != 0, "amount is not a non-negative decimal number"),
            ],
            rows,
            batch.num_rows,
        )
        side_text = batch.column("side")
        side = pc.equal(side_text, "buy").to_numpy(zero_copy_only=False).astype(np.int8) - pc.equal(
            side_text, "sell"
        ).to_numpy(zero_copy_only=False).astype(np.int8)
        ids = batch.column("id").to_numpy(zero_copy_only=False)
        sink.write_trades(
            Trades(
                ts=batch.column("timestamp").to_numpy(zero_copy_only=False)[keep] * US,
                local_ts=batch.column("local_timestamp").to_numpy(zero_copy_only=False)[keep] * US,
                px=units_to_price(units)[keep],
                sz=size[keep],
                side=side[keep],
                trade_id=ids[keep].astype(object),
            )
        )
        rows += batch.num_rows
        report.lines_in += batch.num_rows


def read_tardis(
    paths: list[Path],
    sink: BookSink,
    policies: Policies,
    report: IngestReport,
    depth: int | None,
    progress: Callable[[int], None],
) -> None:
    """Read one Tardis CSV into ``sink``; the kind of file is told by its header."""
    if len(paths) != 1:
        raise ValueError("format 'tardis' reads one CSV file at a time")
    path = paths[0]
    header, first = _header(path)
    if first:
        sink.refine_meta(exchange=first.get("exchange", ""), symbol=first.get("symbol", ""))
    if "is_snapshot" in header:
        sink.depth = depth or INCREMENTAL_DEFAULT_DEPTH
        _read_incremental(path, sink, policies, report, sink.depth, progress)
    elif (levels := _snapshot_levels(header)) > 0:
        sink.depth = depth or levels
        _read_snapshots(path, sink, policies, report, levels, sink.depth, progress)
    elif {"id", "side", "price", "amount"} <= set(header):
        sink.trades_only()
        _read_trades(path, sink, policies, report, progress)
    else:
        raise IngestError(
            path,
            "line 1",
            f"header {header} is not a Tardis incremental_book_L2, book_snapshot_N or trades file",
        )
