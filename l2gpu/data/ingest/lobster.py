"""LOBSTER message + orderbook files (any number of levels) into the book store.

Files are named ``TICKER_YYYY-MM-DD_start_end_{message|orderbook}_LEVELS.csv`` and have no header.

- One book row per message; ``seq`` is the message's row number (0-based).
- ``ts``: the trading date in the file name plus the message's seconds after midnight (parsed
  exactly to the ns), from New York time to UTC ns, using the New York offset at noon of that
  date (DST changes at 02:00, before any trading). ``local_ts`` equals ``ts``.
- Levels come from the orderbook file (``ask_px_k, ask_sz_k, bid_px_k, bid_sz_k`` per level,
  prices in USD x 10,000); the dummy prices +-9999999999 of an empty level become NaN, size 0.
- Executions (types 4 visible and 5 hidden) go to the trades store. ``direction`` is the side of
  the resting order, so the aggressor is on the other side: ``side = -direction``. ``trade_id``
  is the message row number.
- Consistency: for each message of types 1-4 after the first, the size at its price on its side
  must change from the previous row to its own row by what the message says (+size for a new
  order, -size for a cancel, delete or execution). The report gives the count that agree.

Rows are streamed in aligned batches from both files, so memory stays bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from l2gpu.data.ingest.decimal_columns import parse_prices
from l2gpu.data.ingest.policies import IngestError
from l2gpu.data.ingest.report import SHOWN_IDS, IngestReport
from l2gpu.data.ingest.sink import BookSink
from l2gpu.data.trades import Trades

NAME = re.compile(
    r"^(?P<ticker>[^_]+)_(?P<date>\d{4}-\d{2}-\d{2})_\d+_\d+_"
    r"(?P<kind>message|orderbook)_(?P<levels>\d+)\.csv$"
)
NEW_YORK = ZoneInfo("America/New_York")
PRICE_SCALE = 4
DUMMY_PRICE = 9_999_999_999
TIME_SCALE = 9
BLOCK_BYTES = 1 << 24
MESSAGE_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
EXECUTIONS = (4, 5)
CHECKED_TYPES = (1, 2, 3, 4)


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


def _batches(
    path: Path, handle: BinaryIO, names: Sequence[str], types: dict[str, pa.DataType]
) -> Iterator[pa.RecordBatch]:
    try:
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(column_names=list(names), block_size=BLOCK_BYTES),
            convert_options=pacsv.ConvertOptions(column_types=types),
        )
        yield from reader
    except pa.ArrowInvalid as exc:
        raise IngestError(path, "CSV", str(exc)) from None


def _aligned(
    message: Path, book: Path, levels: int, handles: tuple[BinaryIO, BinaryIO]
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """Yield equal-length slices of the two files (read through ``handles``), in order."""
    book_names = [
        f"{col}_{k}" for k in range(levels) for col in ("ask_px", "ask_sz", "bid_px", "bid_sz")
    ]
    msg_types = {"time": pa.string(), **{c: pa.int64() for c in MESSAGE_COLUMNS[1:]}}
    msg_iter = _batches(message, handles[0], MESSAGE_COLUMNS, msg_types)
    book_iter = _batches(book, handles[1], book_names, {c: pa.int64() for c in book_names})
    msg_rest = pa.table({c: pa.array([], t) for c, t in msg_types.items()})
    book_rest = pa.table({c: pa.array([], pa.int64()) for c in book_names})
    msg_done = book_done = False
    while True:
        while msg_rest.num_rows <= book_rest.num_rows and not msg_done:
            batch = next(msg_iter, None)
            msg_done = batch is None
            if batch is not None:
                msg_rest = pa.concat_tables([msg_rest, pa.Table.from_batches([batch])])
        while book_rest.num_rows < msg_rest.num_rows and not book_done:
            batch = next(book_iter, None)
            book_done = batch is None
            if batch is not None:
                book_rest = pa.concat_tables([book_rest, pa.Table.from_batches([batch])])
        n = min(msg_rest.num_rows, book_rest.num_rows)
        if n == 0:
            if msg_rest.num_rows or book_rest.num_rows:
                longer = message if msg_rest.num_rows else book
                raise IngestError(
                    longer,
                    "end of file",
                    "the message and orderbook files have different row counts",
                )
            return
        yield msg_rest.slice(0, n), book_rest.slice(0, n)
        msg_rest, book_rest = msg_rest.slice(n), book_rest.slice(n)


def _levels(table: pa.Table, levels: int, book: Path, first_row: int) -> dict[str, np.ndarray]:
    """Return the orderbook columns as ``[levels, N]`` prices (NaN when empty) and sizes."""
    rows = table.num_rows
    out = {name: np.empty((levels, rows)) for name in ("bid_px", "bid_sz", "ask_px", "ask_sz")}
    for k in range(levels):
        for side in ("bid", "ask"):
            px = table.column(f"{side}_px_{k}").to_numpy()
            sz = table.column(f"{side}_sz_{k}").to_numpy()
            empty = np.abs(px) == DUMMY_PRICE
            bad = np.flatnonzero((~empty & (px <= 0)) | (sz < 0) | (empty & (sz != 0)))
            if bad.size:
                row = first_row + int(bad[0])
                raise IngestError(
                    book,
                    f"row {row + 1}",
                    f"{side} level {k + 1} has price "
                    f"{px[bad[0]]} and size {sz[bad[0]]}: prices must be "
                    "positive (or the dummy +-9999999999 with size 0) and sizes "
                    "non-negative",
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
    """Size at ``price[t]`` among the levels ``px[:, t]`` (0 when absent)."""
    return np.where(px == price[None, :], sz, 0.0).sum(axis=0)


class ConsistencyCheck:
    """Counts messages whose size change at their price matches the message."""

    def __init__(self) -> None:
        self.checked = 0
        self.agree = 0
        self.disagree_rows: list[int] = []
        self._previous: dict[str, np.ndarray] | None = None

    def add(self, msg: pa.Table, levels: dict[str, np.ndarray], first_row: int) -> None:
        """Check the messages of one batch, using the last row of the batch before."""
        kind = msg.column("type").to_numpy()
        price = msg.column("price").to_numpy() / float(10**PRICE_SCALE)
        size = msg.column("size").to_numpy().astype(np.float64)
        is_bid = msg.column("direction").to_numpy() == 1
        after = levels
        if self._previous is None:
            before = {
                k: np.concatenate((np.full((v.shape[0], 1), np.nan), v[:, :-1]), axis=1)
                for k, v in levels.items()
            }
        else:
            before = {
                k: np.concatenate((self._previous[k], v[:, :-1]), axis=1) for k, v in levels.items()
            }
        self._previous = {k: v[:, -1:] for k, v in levels.items()}
        change = np.where(
            is_bid,
            _size_at(after["bid_px"], after["bid_sz"], price),
            _size_at(after["ask_px"], after["ask_sz"], price),
        ) - np.where(
            is_bid,
            _size_at(before["bid_px"], before["bid_sz"], price),
            _size_at(before["ask_px"], before["ask_sz"], price),
        )
        expected = np.where(kind == 1, size, -size)
        rows = first_row + np.arange(msg.num_rows)
        mask = np.isin(kind, CHECKED_TYPES) & (rows > 0)
        ok = mask & (change == expected)
        self.checked += int(mask.sum())
        self.agree += int(ok.sum())
        bad = rows[mask & ~ok]
        room = SHOWN_IDS - len(self.disagree_rows)
        self.disagree_rows.extend(int(r) for r in bad[: max(room, 0)])

    def outcome(self) -> str:
        """Return the check as one line for the report."""
        text = f"{self.agree:,} of {self.checked:,} (types 1-4 after the first message)"
        if self.disagree_rows:
            text += f"; disagreeing rows {self.disagree_rows}"
        return text


def read_lobster(
    paths: Sequence[Path],
    sink: BookSink,
    report: IngestReport,
    depth: int | None,
    progress: Callable[[int], None],
) -> int:
    """Stream a LOBSTER pair into ``sink``; return the depth written."""
    message, book, ticker, date, levels = lobster_files(paths)
    depth = depth or levels
    midnight = midnight_utc_ns(date)
    sink.depth = depth
    sink.refine_meta(exchange="NASDAQ", symbol=ticker, tick_size="0.01")
    check = ConsistencyCheck()
    rows = 0
    with message.open("rb") as msg_handle, book.open("rb") as book_handle:
        for msg, table in _aligned(message, book, levels, (msg_handle, book_handle)):
            rows = _write_batch(
                msg, table, rows, midnight, levels, depth, (message, book), sink, check
            )
            progress(msg_handle.tell() + book_handle.tell())
    report.lines_in = rows
    report.updates_applied = rows * 4 * levels
    report.checks["message consistency"] = check.outcome()
    return depth


def _write_batch(
    msg: pa.Table,
    table: pa.Table,
    rows: int,
    midnight: int,
    levels: int,
    depth: int,
    files: tuple[Path, Path],
    sink: BookSink,
    check: ConsistencyCheck,
) -> int:
    """Turn one aligned batch into book rows and trades; return the rows read so far."""
    message, book = files
    seconds_ns, status = parse_prices(msg.column("time"), TIME_SCALE)
    if status.any():
        row = rows + int(np.argmax(status != 0))
        raise IngestError(
            message,
            f"row {row + 1}",
            f"time {msg.column('time')[row - rows]} is not a decimal number of seconds",
        )
    ts = midnight + seconds_ns
    full = _levels(table, levels, book, rows)
    check.add(msg, full, rows)
    level_arrays = _resize(full, depth)
    seq = np.arange(rows, rows + msg.num_rows, dtype=np.int64)
    sink.write_rows(
        ts,
        ts,
        seq,
        level_arrays["bid_px"],
        level_arrays["bid_sz"],
        level_arrays["ask_px"],
        level_arrays["ask_sz"],
    )
    kind = msg.column("type").to_numpy()
    executed = np.isin(kind, EXECUTIONS)
    sink.write_trades(
        Trades(
            ts=ts[executed],
            local_ts=ts[executed],
            px=msg.column("price").to_numpy()[executed] / float(10**PRICE_SCALE),
            sz=msg.column("size").to_numpy()[executed].astype(np.float64),
            side=(-msg.column("direction").to_numpy()[executed]).astype(np.int8),
            trade_id=seq[executed],
        )
    )
    return rows + msg.num_rows
