"""Read a Parquet book store straight into GPU memory with cuDF, where cuDF is importable.

:func:`l2gpu.data.read_book` calls this for ``engine="gpu"`` when cuDF imports; otherwise it
reads with pyarrow on the host and uploads each array once. The checks are the book store's own
(:mod:`l2gpu.data.store`), run where the data is:

- column names, types and depth on the file's schema (no data read);
- null values from cuDF's column null counts;
- the book invariants (``docs/validation.md``): time order on ``ts``, read on the host with
  pyarrow (8 bytes a row; the book keeps it as its host timestamps,
  :meth:`l2gpu.data.Book.host_ts`), and the level checks on the device, one scalar back; only
  when one fails is the book downloaded, to name the row and the values;
- crossed rows counted on the device; only the first row ids are downloaded for the warning.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from l2gpu.backend.arrays import array_namespace, to_device
from l2gpu.data.book import Book, BookMeta
from l2gpu.data.schema import META_PREFIX, SIDES, TIME_COLUMNS, level_column
from l2gpu.data.validation import levels_are_clean

log = logging.getLogger(__name__)


def cudf_available() -> bool:
    """Whether cuDF can be imported (it is part of the ``[gpu]`` extra)."""
    return importlib.util.find_spec("cudf") is not None


def read_book_on_device(path: Path, shown_rows: int) -> Book:
    """Read and check the book store at ``path`` into device memory (see the module doc)."""
    import cudf

    from l2gpu.data import store

    if not path.exists():
        raise store.BookStoreNotFoundError(path, "no such file or directory")
    schema = pq.read_schema(path)
    raw = schema.metadata or {}
    meta = {
        k.decode()[len(META_PREFIX) :]: v.decode()
        for k, v in raw.items()
        if k.startswith(META_PREFIX.encode())
    }
    empty = schema.empty_table()
    depth = store._depth(path, empty, meta)
    store._check_depth(path, empty, depth)
    store._check_columns(path, empty, depth)
    host_ts = pq.read_table(path, columns=["ts"]).column("ts").to_numpy()
    frame = cudf.read_parquet(path)
    for name in frame.columns:
        nulls = int(frame[name].null_count)
        if nulls:
            raise store.BookStoreError(path, f"column {name!r} has {nulls} null values")
    columns: dict[str, Any] = {name: frame[name].values for name in TIME_COLUMNS}
    xp = array_namespace(columns["ts"])
    for side in SIDES:
        columns[side] = xp.stack([frame[level_column(side, k)].values for k in range(depth)])
    fields = {key: meta[key] for key in vars(BookMeta()) if key in meta}
    book = Book(**columns, meta=BookMeta(**fields))._with_host_ts(host_ts)
    in_order = not (host_ts[1:] < host_ts[:-1]).any()
    if not (in_order and levels_are_clean(book.bid_px, book.bid_sz, book.ask_px, book.ask_sz)):
        store.validate_book(path, book.to("cpu", "book, to name a failed check"))
    crossed = book.crossed_rows()
    if crossed.shape[0]:
        first = to_device(crossed[:shown_rows], "cpu", "crossed row ids")
        log.warning(
            "%s: %d crossed rows (best bid >= best ask), first at rows %s",
            path,
            crossed.shape[0],
            first.tolist(),
        )
    return book
