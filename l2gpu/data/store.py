"""Read and write the Parquet book store (``docs/validation.md``), validating what comes in.

Every problem with a file raises :class:`BookStoreError` naming the file, the row where there is
one, the check that fails and the offending values: a path that does not exist, a file that is not
Parquet, a missing column, a wrong dtype, a null value (check ``store_schema``), and every book
invariant of :mod:`l2gpu.data.validation` (``book_depth``, ``ts_order``, ``level_finite``,
``level_price_positive``, ``missing_level``, ``level_size_positive``, ``levels_packed``,
``levels_ordered``). Crossed rows (best bid at or above best ask) are legal data but suspicious:
they are counted and logged as a warning with their first row ids, never silently dropped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from l2gpu.backend.engine import resolve_engine
from l2gpu.data import device_read
from l2gpu.data.book import Book, BookMeta
from l2gpu.data.schema import (
    META_KEYS,
    META_PREFIX,
    SIDES,
    TIME_COLUMNS,
    book_schema,
    level_column,
    level_columns,
)
from l2gpu.data.validation import book_violations

log = logging.getLogger(__name__)

WRITE_OPTIONS: dict[str, Any] = {"compression": "zstd", "use_dictionary": False}
"""How the book and trade stores are written: zstd pages (Arrow's default level, 1), plain encoded.

Dictionary encoding is off: on the Binance samples it made ingest's Parquet writing about 1.5x
slower and the files larger (BTCUSDT at depth 20: book 728 KiB and trades 246 KiB with it, 680
and 172 KiB without), since zstd already finds the repeated prices and sizes.
"""
SHOWN_ROW_IDS = 10


class BookStoreError(ValueError):
    """A store file is missing, unreadable, or breaks the schema or an invariant of its store.

    The message names the file, the row (0-based, as the store counts them) where there is one,
    the problem with its offending values, and the check's name.
    """

    def __init__(
        self, path: str | Path, problem: str, *, row: int | None = None, check: str | None = None
    ) -> None:
        where = f"{path}" if row is None else f"{path}, row {row}"
        super().__init__(f"{where}: {problem}" + (f" (check '{check}')" if check else ""))
        self.path = Path(path)
        self.problem = problem
        self.row = row
        self.check = check


class BookStoreNotFoundError(BookStoreError, FileNotFoundError):
    """The book store path does not exist."""


def _metadata(meta: BookMeta, depth: int) -> dict[bytes, bytes]:
    values = dict(vars(meta), depth=str(depth))
    return {f"{META_PREFIX}{key}".encode(): str(values[key]).encode() for key in META_KEYS}


def _table(book: Book, schema: pa.Schema) -> pa.Table:
    host = book.to("cpu")
    columns: list[np.ndarray] = [getattr(host, name) for name in TIME_COLUMNS]
    columns += [getattr(host, side)[k] for k in range(book.depth) for side in SIDES]
    return pa.Table.from_arrays([pa.array(col) for col in columns], schema=schema)


class BookWriter:
    """Append books of one depth to a Parquet book store, chunk by chunk, in bounded memory.

    Use as a context manager; ``ts`` must not decrease across chunks.
    """

    def __init__(self, path: str | Path, depth: int, meta: BookMeta) -> None:
        self.path = Path(path)
        self.depth = depth
        self.rows = 0
        self._last_ts: int | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._schema = book_schema(depth).with_metadata(_metadata(meta, depth))
        self._writer = pq.ParquetWriter(self.path, self._schema, **WRITE_OPTIONS)

    def write(self, book: Book) -> None:
        """Append ``book``'s rows."""
        if book.depth != self.depth:
            raise ValueError(
                f"{self.path}: chunk has depth {book.depth}, the store has {self.depth}"
            )
        if len(book) == 0:
            return
        first_ts = int(book.ts[0])
        if self._last_ts is not None and first_ts < self._last_ts:
            raise ValueError(
                f"{self.path}: ts goes back from {self._last_ts} to {first_ts} at row {self.rows}"
            )
        self._writer.write_table(_table(book, self._schema))
        self.rows += len(book)
        self._last_ts = int(book.ts[-1])

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()

    def __enter__(self) -> BookWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_book(book: Book, path: str | Path) -> Path:
    """Write ``book`` to ``path`` as one Parquet file with its ``l2gpu.*`` metadata.

    Returns
    -------
    Path
        The path written.
    """
    with BookWriter(path, book.depth, book.meta) as writer:
        writer.write(book)
    return Path(path)


def _open(path: Path) -> pa.Table:
    if not path.exists():
        raise BookStoreNotFoundError(path, "no such file or directory")
    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise BookStoreError(
            path, f"not a readable Parquet file ({exc})", check="readable_store"
        ) from None


def _depth(path: Path, table: pa.Table, meta: dict[str, str]) -> int:
    if "depth" in meta:
        try:
            return int(meta["depth"])
        except ValueError:
            raise BookStoreError(
                path, f"metadata l2gpu.depth={meta['depth']!r} is not an integer"
            ) from None
    depth = 0
    while level_column("bid_px", depth) in table.column_names:
        depth += 1
    return depth


def _check_depth(path: Path, table: pa.Table, depth: int) -> None:
    if depth < 1:
        raise BookStoreError(
            path,
            f"the store holds {depth} levels per side (no bid_px_0 column, or l2gpu.depth={depth});"
            " a book store needs at least one",
            check="book_depth",
        )
    extra = [n for n in (level_column(s, depth) for s in SIDES) if n in table.column_names]
    if extra:
        raise BookStoreError(
            path,
            f"metadata l2gpu.depth={depth} but the store also has column {extra[0]!r}",
            check="store_schema",
        )


def _check_columns(path: Path, table: pa.Table, depth: int) -> None:
    expected = {name: pa.int64() for name in TIME_COLUMNS}
    expected.update({name: pa.float64() for name in level_columns(depth)})
    for name, dtype in expected.items():
        if name not in table.column_names:
            raise BookStoreError(
                path,
                f"missing column {name!r} (a depth-{depth} book store needs "
                "ts, local_ts, seq and bid_px_k, bid_sz_k, ask_px_k, ask_sz_k "
                f"for k = 0..{depth - 1})",
                check="store_schema",
            )
        column = table.column(name)
        if column.type != dtype:
            raise BookStoreError(
                path,
                f"column {name!r} has type {column.type}, expected {dtype}",
                check="store_schema",
            )
        if column.null_count:
            first = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise BookStoreError(
                path,
                f"column {name!r} has {column.null_count} null values, first at row {first}",
                row=first,
                check="store_schema",
            )


def validate_book(path: str | Path, book: Book) -> None:
    """Raise :class:`BookStoreError` for the first invariant ``book`` (on the host) breaks.

    The error names the first failing check in the order of
    :data:`l2gpu.data.validation.BOOK_CHECKS`, its first row, the offending values and how many
    rows fail it; other failing checks are listed after.
    """
    violations = book_violations(book)
    if not violations:
        return
    first, others = violations[0], violations[1:]
    also = f"; also failing: {', '.join(v.check for v in others)}" if others else ""
    raise BookStoreError(
        path,
        f"{first.detail} ({first.count:,} rows fail this check{also})",
        row=first.row,
        check=first.check,
    )


def read_book(path: str | Path, engine: str | None = None) -> Book:
    """Read a Parquet book store and validate it.

    Parameters
    ----------
    path : str or Path
        A Parquet file (or a Hive-partitioned folder of them) in the book-store schema
        (``docs/formats.md``).
    engine : {"auto", "cpu", "gpu"} or None
        Where the arrays go; ``None`` means ``"auto"``. On the GPU, cuDF (where importable)
        reads the file straight into device memory; otherwise pyarrow reads it on the host and
        each array is uploaded once (see ``docs/engines.md``).

    Returns
    -------
    Book

    Raises
    ------
    BookStoreError
        Naming the file, the row, the check and the offending values: missing path, unreadable
        file, missing column, wrong dtype, null values (``store_schema``), or a broken book
        invariant (see :mod:`l2gpu.data.validation` and ``docs/validation.md``).
    """
    path = Path(path)
    where = resolve_engine(engine)
    if where == "gpu" and device_read.cudf_available():
        return device_read.read_book_on_device(path, SHOWN_ROW_IDS)
    table = _open(path)
    raw_meta = table.schema.metadata or {}
    meta = {
        k.decode()[len(META_PREFIX) :]: v.decode()
        for k, v in raw_meta.items()
        if k.startswith(META_PREFIX.encode())
    }
    depth = _depth(path, table, meta)
    _check_depth(path, table, depth)
    _check_columns(path, table, depth)
    columns = {name: table.column(name).to_numpy() for name in TIME_COLUMNS}
    for side in SIDES:
        levels = np.empty((depth, table.num_rows), dtype=np.float64)
        for k in range(depth):
            levels[k] = table.column(level_column(side, k)).to_numpy()
        columns[side] = levels
    fields = {key: meta[key] for key in vars(BookMeta()) if key in meta}
    book = Book(**columns, meta=BookMeta(**fields))
    validate_book(path, book)
    crossed = book.crossed_rows()
    if crossed.size:
        log.warning(
            "%s: %d crossed rows (best bid >= best ask), first at rows %s",
            path,
            crossed.size,
            crossed[:SHOWN_ROW_IDS].tolist(),
        )
    return book.to(where)


def book_metadata(path: str | Path) -> dict[str, Any]:
    """Return the ``l2gpu.*`` metadata of a book store without reading its data."""
    path = Path(path)
    if not path.exists():
        raise BookStoreNotFoundError(path, "no such file or directory")
    raw = pq.read_schema(path).metadata or {}
    return {
        k.decode()[len(META_PREFIX) :]: v.decode()
        for k, v in raw.items()
        if k.startswith(META_PREFIX.encode())
    }
