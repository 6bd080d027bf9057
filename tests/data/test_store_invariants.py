"""Stores read back with their invariants: every broken one is an error naming file, row, check."""

import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from l2gpu.data import BookStoreError, read_book, read_trades
from l2gpu.data.ingest import ingest
from tests.samples import BTCUSDT, read_lines, write_gz


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Book and trades stores of the first BTCUSDT lines, as ingest wrote them."""
    tmp = tmp_path_factory.mktemp("stores")
    source = write_gz(tmp / "btcusdt.gz", read_lines(BTCUSDT, 4000))
    ingest(source, format="binance", out=tmp / "b.parquet", depth=5, trades_out=tmp / "t.parquet")
    return pq.read_table(tmp / "b.parquet"), pq.read_table(tmp / "t.parquet")


def _with(table, name, edit):
    values = table.column(name).to_numpy(zero_copy_only=False).copy()
    edit(values)
    return table.set_column(
        table.column_names.index(name), name, pa.array(values, table.schema.field(name).type)
    )


def _raises(path, check, row):
    pattern = rf"{re.escape(str(path))}, row {row}: .*\(check '{check}'\)"
    return pytest.raises(BookStoreError, match=pattern)


@pytest.mark.parametrize(
    ("column", "row", "value", "check"),
    [
        ("bid_px_2", 17, np.nan, "missing_level"),  # NaN price with a positive size
        ("ask_sz_0", 40, -3.0, "level_size_positive"),  # negative size
        ("bid_sz_1", 41, 0.0, "level_size_positive"),  # a level there with size 0
        ("ask_px_3", 5, np.inf, "level_finite"),
        ("bid_sz_4", 6, np.nan, "level_finite"),
        ("bid_px_0", 7, -61000.0, "level_price_positive"),
        ("ask_px_1", 8, 1.0, "levels_ordered"),  # an ask level below the best ask
    ],
)
def test_a_broken_book_cell_is_named(stores, tmp_path, column, row, value, check):
    book, _ = stores
    path = tmp_path / "b.parquet"

    def edit(values):
        values[row] = value

    pq.write_table(_with(book, column, edit), path)
    with _raises(path, check, row) as caught:
        read_book(path, engine="cpu")
    assert (caught.value.row, caught.value.check, caught.value.path) == (row, check, path)


def test_levels_out_of_price_order_and_holes_are_named(stores, tmp_path):
    book, _ = stores
    path = tmp_path / "b.parquet"
    swapped = book.set_column(
        book.column_names.index("bid_px_1"), "bid_px_1", book.column("bid_px_2")
    ).set_column(book.column_names.index("bid_px_2"), "bid_px_2", book.column("bid_px_1"))
    pq.write_table(swapped, path)
    with pytest.raises(BookStoreError, match=r"row 0: bid_px_1 = [\d.]+, bid_px_2 = .*ordered"):
        read_book(path, engine="cpu")

    def hole(values):
        values[9] = np.nan

    holed = _with(_with(book, "ask_px_1", hole), "ask_sz_1", lambda v: v.__setitem__(9, 0.0))
    pq.write_table(holed, path)
    with _raises(path, "levels_packed", 9):
        read_book(path, engine="cpu")


def test_a_store_with_no_levels_is_refused(stores, tmp_path):
    book, _ = stores
    path = tmp_path / "b.parquet"
    bare = book.select(["ts", "local_ts", "seq"]).replace_schema_metadata({})
    pq.write_table(bare, path)
    with pytest.raises(BookStoreError, match=r"holds 0 levels per side.*'book_depth'"):
        read_book(path, engine="cpu")
    meta = dict(book.schema.metadata)
    meta[b"l2gpu.depth"] = b"0"
    pq.write_table(book.replace_schema_metadata(meta), path)
    with pytest.raises(BookStoreError, match="'book_depth'"):
        read_book(path, engine="cpu")
    meta[b"l2gpu.depth"] = b"3"
    pq.write_table(book.replace_schema_metadata(meta), path)
    with pytest.raises(BookStoreError, match=r"l2gpu\.depth=3 but .* 'bid_px_3'.*'store_schema'"):
        read_book(path, engine="cpu")


@pytest.mark.parametrize(
    ("column", "edit", "check", "row"),
    [
        ("trade_id", lambda v: v.__setitem__(30, v[29]), "trade_id_unique", 30),
        ("ts", lambda v: v.__setitem__(50, v[49] - 1_000_000), "trade_time_order", 50),
        ("ts", lambda v: v.__setitem__(60, v[60] - 60 * 10**9), "trade_time_order", 60),
        ("px", lambda v: v.__setitem__(70, 0.0), "trade_price_positive", 70),
        ("px", lambda v: v.__setitem__(71, -5.0), "trade_price_positive", 71),
        ("sz", lambda v: v.__setitem__(72, 0.0), "trade_size_positive", 72),
        ("sz", lambda v: v.__setitem__(73, np.nan), "trade_size_positive", 73),
        ("px", lambda v: v.__setitem__(74, np.nan), "trade_price_positive", 74),
        ("side", lambda v: v.__setitem__(75, 0), "trade_side", 75),
    ],
    ids=["dup-id", "back-1ms", "back-60s", "px-0", "px-neg", "sz-0", "sz-nan", "px-nan", "side-0"],
)
def test_a_broken_trades_store_is_named(stores, tmp_path, column, edit, check, row):
    _, trades = stores
    path = tmp_path / "t.parquet"
    pq.write_table(_with(trades, column, edit), path)
    with _raises(path, check, row):
        read_trades(path)


def test_trades_store_schema_is_checked(stores, tmp_path):
    _, trades = stores
    path = tmp_path / "t.parquet"
    pq.write_table(trades.drop_columns(["side"]), path)
    with pytest.raises(BookStoreError, match=r"missing trades column\(s\) \['side'\]"):
        read_trades(path)
    as_float = trades.set_column(0, "ts", trades.column("ts").cast(pa.float64(), safe=False))
    pq.write_table(as_float, path)
    with pytest.raises(BookStoreError, match="'ts' has type double, expected int64"):
        read_trades(path)
    values = trades.column("px").to_pylist()
    values[12] = None
    pq.write_table(trades.set_column(2, "px", pa.array(values, pa.float64())), path)
    with pytest.raises(BookStoreError, match=r"row 12: column 'px' has 1 null.*'store_schema'"):
        read_trades(path)


def test_clean_stores_read_back_and_an_empty_trades_store_is_legal(stores, tmp_path):
    book, trades = stores
    pq.write_table(book, tmp_path / "b.parquet")
    pq.write_table(trades.slice(0, 0), tmp_path / "t.parquet")
    assert len(read_book(tmp_path / "b.parquet", engine="cpu")) == book.num_rows
    assert len(read_trades(tmp_path / "t.parquet")) == 0
