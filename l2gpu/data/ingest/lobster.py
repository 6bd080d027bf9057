"""LOBSTER message + orderbook files (any number of levels) into the book store.

Files are named ``TICKER_YYYY-MM-DD_start_end_{message|orderbook}_LEVELS.csv`` and have no header.

- One book row per message; ``seq`` is the message's row number (0-based), line ``seq + 1`` of
  both files. The two files must have the same number of rows (check ``row_count``).
- ``ts``: the trading date in the file name plus the message's seconds after midnight (parsed
  exactly to the ns), from New York time to UTC ns, using the New York offset at noon of that
  date (DST changes at 02:00, before any trading). ``local_ts`` equals ``ts``.
- Levels come from the orderbook file (``ask_px_k, ask_sz_k, bid_px_k, bid_sz_k`` per level,
  prices in USD x 10,000); the dummy prices +-9999999999 of an empty level become NaN, size 0
  (a dummy with a size is an error: check ``missing_level``).
- Every cell must be a whole number (check ``cell_value``; the time a decimal number of
  seconds), the type 1-7 and the direction +-1 (check ``message_fields``). These are errors: the
  two files must stay row-aligned, so no row is skipped for them.
- Executions (types 4 visible and 5 hidden) go to the trades store. ``direction`` is the side of
  the resting order, so the aggressor is on the other side: ``side = -direction``. ``trade_id``
  is the message row number.
- Consistency (check ``message_consistency``, policy ``on_inconsistent``): for each message of
  types 1-4 after the first, the size at its price on its side must change from the previous row
  to its own row by what the message says (+size for a new order, -size for a cancel, delete or
  execution). Files whose columns are in another order fail it at once.

Rows are streamed in aligned batches from both files, so memory stays bounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from l2gpu.data.ingest.csv_rows import CsvRows
from l2gpu.data.ingest.decimal_columns import (
    parse_fixed_strings,
    parse_integer_strings,
    status_message,
)
from l2gpu.data.ingest.formats import IngestRequest, ingest_format
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.report import SHOWN_IDS, IngestReport
from l2gpu.data.trades import Trades

NAME = re.compile(
    r"^(?P<ticker>[^_]+)_(?P<date>\d{4}-\d{2}-\d{2})_\d+_\d+_"
    r"(?P<kind>message|orderbook)_(?P<levels>\d+)\.csv$"
)
NEW_YORK = ZoneInfo("America/New_York")
PRICE_SCALE = 4
DUMMY_PRICE = 9_999_999_999
TIME_SCALE = 9
MESSAGE_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
MESSAGE_TYPES = (1, 2, 3, 4, 5, 6, 7)
EXECUTIONS = (4, 5)
CHECKED_TYPES = (1, 2, 3, 4)
SIDES = ("ask_px", "ask_sz", "bid_px", "bid_sz")
ALIGNED = "each message has its orderbook row on the same line of the other file"


def lobster_files(paths: Sequence[Path]) -> tuple[Path, Path, str, str, int]:
    """Return (message file, orderbook file, ticker, date, levels) from the file names."""
    found: dict[str, tuple[Path, re.Match[str]]] = {}
    for path in paths:
        match = NAME.match(path.name)
        if match is None:
            raise IngestError(
                path,
                "file name",
                "LOBSTER files are named TICKER_YYYY-MM-DD_"
                "start_end_{message|orderbook}_LEVELS.csv; the date and the "
                "levels are read from the name",
                "file_name",
            )
        found[match["kind"]] = (path, match)
    if set(found) != {"message", "orderbook"} or len(paths) != 2:
        raise ValueError(
            "format 'lobster' needs one message and one orderbook file, got "
            f"{[p.name for p in paths]}"
        )
    (message, m1), (book, m2) = found["message"], found["orderbook"]
    if (m1["ticker"], m1["date"], m1["levels"]) != (m2["ticker"], m2["date"], m2["levels"]):
        raise ValueError(f"{message.name} and {book.name} are not a pair (ticker, date, levels)")
    return message, book, m2["ticker"], m2["date"], int(m2["levels"])


def midnight_utc_ns(date: str) -> int:
    """UTC ns of New York midnight on ``date`` (offset taken at noon of that date)."""
    day = datetime.strptime(date, "%Y-%m-%d")
    offset = datetime.combine(day.date(), time(12), NEW_YORK).utcoffset() or timedelta(0)
    epoch = datetime(1970, 1, 1)
    return ((day - epoch) - offset) // timedelta(microseconds=1) * 1000


def book_columns(levels: int) -> list[str]:
    """Column names of an orderbook file with ``levels`` levels, in file order."""
    return [f"{col}_{k}" for k in range(levels) for col in SIDES]


def _aligned(message: CsvRows, book: CsvRows) -> Iterator[tuple[pa.Table, pa.Table, np.ndarray]]:
    """Yield equal-length slices of the two files and their (shared) input lines, in order."""
    msgs, books = message.batches(), book.batches()
    msg_rest: pa.Table | None = None
    book_rest: pa.Table | None = None
    lines_rest = np.zeros(0, np.int64)
    msg_done = book_done = False
    while True:
        while (msg_rest is None or msg_rest.num_rows <= _rows(book_rest)) and not msg_done:
            item = next(msgs, None)
            msg_done = item is None
            if item is not None:
                msg_rest = _append(msg_rest, item[0])
                lines_rest = np.concatenate((lines_rest, item[1]))
        while _rows(book_rest) < _rows(msg_rest) and not book_done:
            item = next(books, None)
            book_done = item is None
            if item is not None:
                book_rest = _append(book_rest, item[0])
        n = min(_rows(msg_rest), _rows(book_rest))
        if n == 0:
            if _rows(msg_rest) or _rows(book_rest):
                longer, shorter = (message, book) if _rows(msg_rest) else (book, message)
                raise IngestError(
                    longer.path,
                    f"line {shorter.rows + 1}",
                    f"{shorter.path.name} ends after {shorter.rows:,} rows, but this file goes "
                    f"on; {ALIGNED}",
                    "row_count",
                )
            return
        assert msg_rest is not None and book_rest is not None
        yield msg_rest.slice(0, n), book_rest.slice(0, n), lines_rest[:n]
        msg_rest, book_rest, lines_rest = msg_rest.slice(n), book_rest.slice(n), lines_rest[n:]


def _rows(table: pa.Table | None) -> int:
    return 0 if table is None else int(table.num_rows)


def _append(table: pa.Table | None, batch: pa.RecordBatch) -> pa.Table:
    more = pa.Table.from_batches([batch])
    return more if table is None else pa.concat_tables([table, more])


def _integers(table: pa.Table, path: Path, lines: np.ndarray) -> dict[str, np.ndarray]:
    """Parse every column of ``table`` as whole numbers; a bad cell names line and column."""
    out = {}
    for name in table.column_names:
        values, status = parse_integer_strings(table.column(name))
        if status.any():
            i = int(np.argmax(status != 0))
            raise IngestError(
                path,
                f"line {lines[i]}, column {name}",
                f"{table.column(name)[i].as_py()!r} {status_message(int(status[i]))}: every "
                "cell is a whole number",
                "cell_value",
            )
        out[name] = values
    return out


def _levels(
    numbers: dict[str, np.ndarray], levels: int, book: Path, lines: np.ndarray
) -> dict[str, np.ndarray]:
    """Return the orderbook as ``[levels, N]`` prices (NaN when empty) and sizes, in units."""
    rows = lines.size
    out = {name: np.empty((levels, rows)) for name in ("bid_px", "bid_sz", "ask_px", "ask_sz")}
    for k in range(levels):
        for side in ("bid", "ask"):
            px, sz = numbers[f"{side}_px_{k}"], numbers[f"{side}_sz_{k}"]
            empty = np.abs(px) == DUMMY_PRICE
            bad = np.flatnonzero(empty & (sz != 0))
            if bad.size:
                i = int(bad[0])
                raise IngestError(
                    book,
                    f"line {lines[i]}",
                    f"{side} level {k + 1} has the dummy price {px[i]} of an empty level but size "
                    f"{sz[i]}; an empty level has size 0",
                    "missing_level",
                )
            out[f"{side}_px"][k] = np.where(empty, np.nan, px / float(10**PRICE_SCALE))
            out[f"{side}_sz"][k] = np.where(empty, 0.0, sz.astype(np.float64))
    return out


def _resize(levels: dict[str, np.ndarray], depth: int) -> dict[str, np.ndarray]:
    """Keep the first ``depth`` levels, padding with empty ones (NaN price, size 0)."""
    out = {}
    for name, values in levels.items():
        kept = values[:depth]
        pad = np.full(
            (depth - kept.shape[0], values.shape[1]), np.nan if name.endswith("px") else 0.0
        )
        out[name] = np.concatenate((kept, pad)) if pad.size else kept
    return out


def _size_at(px: np.ndarray, sz: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Size at ``price[t]`` among the integer levels ``px[:, t]`` (0 when absent)."""
    return np.where(px == price[None, :], sz, 0).sum(axis=0)


class ConsistencyCheck:
    """Messages whose size change at their price matches the orderbook rows around them."""

    def __init__(self, message: Path, policies: Policies, report: IngestReport) -> None:
        self.message = message
        self.policies = policies
        self.report = report
        self.checked = 0
        self.agree = 0
        self._previous: dict[str, np.ndarray] | None = None

    def add(self, msg: dict[str, np.ndarray], book: dict[str, np.ndarray], first_row: int) -> None:
        """Check one batch (integer columns of both files), using the last row of the one before.

        A disagreeing message raises, unless ``on_inconsistent="keep"`` (then it is counted).
        """
        levels = {
            name: np.stack([book[f"{name}_{k}"] for k in range(len(book) // 4)])
            for name in ("bid_px", "bid_sz", "ask_px", "ask_sz")
        }
        rows = levels["bid_px"].shape[1]
        previous = self._previous or {k: np.zeros_like(v[:, :1]) for k, v in levels.items()}
        before = {k: np.concatenate((previous[k], v[:, :-1]), 1) for k, v in levels.items()}
        self._previous = {k: v[:, -1:] for k, v in levels.items()}
        kind, price, size = msg["type"], msg["price"], msg["size"]
        is_bid = msg["direction"] == 1
        change = np.where(
            is_bid,
            _size_at(levels["bid_px"], levels["bid_sz"], price)
            - _size_at(before["bid_px"], before["bid_sz"], price),
            _size_at(levels["ask_px"], levels["ask_sz"], price)
            - _size_at(before["ask_px"], before["ask_sz"], price),
        )
        expected = np.where(kind == 1, size, -size)
        row_ids = first_row + np.arange(rows)
        checked = np.isin(kind, CHECKED_TYPES) & (row_ids > 0)
        bad = checked & (change != expected)
        self.checked += int(checked.sum())
        self.agree += int((checked & ~bad).sum())
        if not bad.any():
            return
        i = int(np.argmax(bad))
        if self.policies.on_inconsistent == "error":
            side = "bid" if is_bid[i] else "ask"
            raise IngestError(
                self.message,
                f"line {row_ids[i] + 1}",
                f"message type {kind[i]} of size {size[i]} at {side} price {price[i]}: the "
                f"orderbook's size there changes by {change[i]} from the row before, not by "
                f"{expected[i]} (columns out of order, or files that are not a pair?); "
                "on_inconsistent='keep' writes such rows and counts them",
                "message_consistency",
            )
        self.report.inconsistent_rows += int(bad.sum())
        room = SHOWN_IDS - len(self.report.inconsistent_row_ids)
        self.report.inconsistent_row_ids.extend(int(r) for r in row_ids[bad][: max(room, 0)])

    def outcome(self) -> str:
        """Return the check as one line for the report."""
        text = f"{self.agree:,} of {self.checked:,} (types 1-4 after the first message)"
        if self.report.inconsistent_row_ids:
            text += f"; disagreeing rows {self.report.inconsistent_row_ids}"
        return text


def _message_fields(msg: dict[str, np.ndarray], message: Path, lines: np.ndarray) -> None:
    for name, ok, rule in (
        ("type", np.isin(msg["type"], MESSAGE_TYPES), "1 to 7"),
        ("direction", np.isin(msg["direction"], (-1, 1)), "1 (buy) or -1 (sell)"),
    ):
        if not ok.all():
            i = int(np.argmin(ok))
            raise IngestError(
                message,
                f"line {lines[i]}, column {name}",
                f"{name} {msg[name][i]} is not {rule}",
                "message_fields",
            )


@ingest_format("lobster", "LOBSTER message + orderbook CSV pair (any level count)")
def read_lobster(request: IngestRequest) -> None:
    """Stream a LOBSTER pair into the request's sink (see the module docstring)."""
    request.refuse_bbo("lobster")
    message, book, ticker, date, levels = lobster_files(request.paths)
    sink, report = request.sink, request.report
    sink.depth = request.depth or levels
    sink.refine_meta(exchange="NASDAQ", symbol=request.symbol or ticker, tick_size="0.01")
    hint = f"{ALIGNED}, so no row is skipped"
    msg_rows = CsvRows(message, MESSAGE_COLUMNS, False, False, report, hint)
    book_rows = CsvRows(book, book_columns(levels), False, False, report, hint)
    check = ConsistencyCheck(message, request.policies, report)
    midnight = midnight_utc_ns(date)
    rows = 0
    for msg_table, book_table, lines in _aligned(msg_rows, book_rows):
        seconds_ns, status = parse_fixed_strings(msg_table.column("time"), TIME_SCALE)
        if status.any():
            i = int(np.argmax(status != 0))
            raise IngestError(
                message,
                f"line {lines[i]}, column time",
                f"{msg_table.column('time')[i].as_py()!r} {status_message(int(status[i]))}: "
                "the time is a decimal number of seconds after midnight",
                "exact_timestamp",
            )
        msg = _integers(msg_table.drop_columns(["time"]), message, lines)
        _message_fields(msg, message, lines)
        numbers = _integers(book_table, book, lines)
        ts = midnight + seconds_ns
        seq = np.arange(rows, rows + lines.size, dtype=np.int64)
        kept = _resize(_levels(numbers, levels, book, lines), sink.depth)
        sink.write_rows(
            ts,
            ts,
            seq,
            kept["bid_px"],
            kept["bid_sz"],
            kept["ask_px"],
            kept["ask_sz"],
            lines=lines,
            source=book,
            time_source=message,
        )
        check.add(msg, numbers, rows)
        executed = np.isin(msg["type"], EXECUTIONS)
        sink.write_trades(
            Trades(
                ts=ts[executed],
                local_ts=ts[executed],
                px=msg["price"][executed] / float(10**PRICE_SCALE),
                sz=msg["size"][executed].astype(np.float64),
                side=(-msg["direction"][executed]).astype(np.int8),
                trade_id=seq[executed],
            ),
            lines=lines[executed],
            source=message,
        )
        rows += lines.size
        request.progress(msg_rows.bytes_read + book_rows.bytes_read)
    report.lines_in = rows
    report.updates_applied = rows * 4 * levels
    report.checks["message consistency"] = check.outcome()
