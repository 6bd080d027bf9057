import logging

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from l2gpu.data import (
    Book,
    BookMeta,
    BookStoreError,
    BookStoreNotFoundError,
    BookWriter,
    book_metadata,
    read_book,
)
from l2gpu.data.schema import META_KEYS
from tests.books import random_book


def assert_bitwise_equal(a: Book, b: Book) -> None:
    assert a.meta == b.meta
    for name, arr in a.arrays().items():
        other = b.arrays()[name]
        assert arr.dtype == other.dtype and arr.shape == other.shape, name
        assert arr.flags.c_contiguous and other.flags.c_contiguous, name
        assert np.array_equal(arr.view(np.int64), other.view(np.int64)), name


@pytest.fixture
def book(rng):
    """A valid random book: missing levels at the tail only, every level there with size > 0."""
    b = random_book(rng, rows=500, depth=4)
    arrays = b.arrays()
    for side in ("bid", "ask"):
        sz = arrays[f"{side}_sz"].copy()
        sz[np.isfinite(arrays[f"{side}_px"]) & (sz == 0)] = 0.5
        arrays[f"{side}_sz"] = sz
    b = Book(**arrays)
    meta = BookMeta(
        source="binance",
        exchange="binance-futures",
        symbol="BTCUSDT",
        tick_size="0.1",
        input_sha256="ab" * 32,
        version="9.9.9",
    )
    return Book(**b.arrays(), meta=meta)


def test_round_trip_is_bitwise_identical_metadata_included(book, tmp_path):
    assert np.isnan(book.bid_px).any(), "the fixture must carry missing levels"
    path = book.write(tmp_path / "book.parquet")
    back = read_book(path, engine="cpu")
    assert_bitwise_equal(book, back)
    meta = book_metadata(path)
    assert set(meta) == set(META_KEYS)
    assert meta["depth"] == "4" and meta["symbol"] == "BTCUSDT" and meta["version"] == "9.9.9"


def test_streamed_writes_equal_one_write(book, tmp_path):
    with BookWriter(tmp_path / "chunks.parquet", book.depth, book.meta) as writer:
        for lo in range(0, len(book), 97):
            writer.write(book[lo : lo + 97])
    assert_bitwise_equal(book, read_book(tmp_path / "chunks.parquet", engine="cpu"))


def test_streamed_writes_refuse_time_going_back(book, tmp_path):
    with BookWriter(tmp_path / "x.parquet", book.depth, book.meta) as writer:
        writer.write(book[100:200])
        with pytest.raises(ValueError, match="ts goes back"):
            writer.write(book[0:100])


def _rewrite(path, transform):
    table = pq.read_table(path)
    pq.write_table(transform(table), path)


def test_missing_path_names_the_file(tmp_path):
    missing = tmp_path / "nope.parquet"
    with pytest.raises(BookStoreNotFoundError, match=r"nope\.parquet: no such file"):
        read_book(missing)
    with pytest.raises(FileNotFoundError):
        read_book(missing)


def test_missing_column_is_named(book, tmp_path):
    path = book.write(tmp_path / "b.parquet")
    _rewrite(path, lambda t: t.drop_columns(["ask_sz_2"]))
    with pytest.raises(BookStoreError, match=r"b.parquet: missing column 'ask_sz_2'"):
        read_book(path)


def test_wrong_dtype_is_named(book, tmp_path):
    path = book.write(tmp_path / "b.parquet")

    def ts_as_float(t: pa.Table) -> pa.Table:
        i = t.column_names.index("ts")
        return t.set_column(i, "ts", t.column("ts").cast(pa.float64(), safe=False))

    _rewrite(path, ts_as_float)
    with pytest.raises(BookStoreError, match="column 'ts' has type double, expected int64"):
        read_book(path)


def test_decreasing_ts_names_the_row(book, tmp_path):
    ts = book.ts.copy()
    ts[300] = ts[299] - 5
    bad = Book(**{**book.arrays(), "ts": ts}, meta=book.meta)
    path = tmp_path / "b.parquet"
    pq.write_table(pq.read_table(book.write(path)).set_column(0, "ts", pa.array(bad.ts)), path)
    with pytest.raises(
        BookStoreError, match=r"b\.parquet, row 300: ts goes back from \d+ to \d+ ns .*'ts_order'"
    ):
        read_book(path)


def test_null_values_are_named(book, tmp_path):
    path = book.write(tmp_path / "b.parquet")

    def null_at_7(t: pa.Table) -> pa.Table:
        values = t.column("bid_sz_0").to_pylist()
        values[7] = None
        return t.set_column(t.column_names.index("bid_sz_0"), "bid_sz_0", pa.array(values))

    _rewrite(path, null_at_7)
    with pytest.raises(
        BookStoreError, match=r"row 7: column 'bid_sz_0' has 1 null values.*'store_schema'"
    ):
        read_book(path)


def test_not_parquet_is_reported(tmp_path):
    path = tmp_path / "b.parquet"
    path.write_text("ts,bid\n1,2\n")
    with pytest.raises(BookStoreError, match="not a readable Parquet file"):
        read_book(path)


def test_crossed_rows_are_counted_and_reported(book, tmp_path, caplog):
    both_sides = np.flatnonzero(np.isfinite(book.bid_px[0]) & np.isfinite(book.ask_px[0]))
    crossed = both_sides[[3, 4, 40]].tolist()
    bid_px = book.bid_px.copy()
    bid_px[0, crossed] = book.ask_px[0, crossed] + 1.0
    bad = Book(**{**book.arrays(), "bid_px": bid_px}, meta=book.meta)
    path = bad.write(tmp_path / "b.parquet")
    with caplog.at_level(logging.WARNING, logger="l2gpu.data.store"):
        back = read_book(path, engine="cpu")
    assert back.crossed_rows().tolist() == crossed
    assert "3 crossed rows" in caplog.text and str(crossed) in caplog.text
