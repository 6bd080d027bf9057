"""Property-based corruptions of real Parquet stores: each read ends in a named error or is clean.

The book and trades stores of the first BTCUSDT lines are rewritten with a cell out of range, a
row out of time order, two levels swapped, a null, a column dropped or retyped, or a trade id
repeated; ``read_book`` and ``read_trades`` must then raise :class:`BookStoreError` naming the
file, the check (and the row where there is one), unless the edit left the table as it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import ingest
from tests.data.corruption import store_error
from tests.samples import BTCUSDT, read_lines, write_gz

FAST = settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
MANY = settings(FAST, max_examples=400)
DEPTH = 5
OUT_OF_RANGE = [np.nan, np.inf, -np.inf, 0.0, -1.0, -61800.0]


def _clean_tables() -> tuple[pa.Table, pa.Table]:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        source = write_gz(tmp / "c.gz", read_lines(BTCUSDT, 2500))
        ingest(
            source,
            format="binance",
            out=tmp / "b.parquet",
            depth=DEPTH,
            trades_out=tmp / "t.parquet",
        )
        return pq.read_table(tmp / "b.parquet"), pq.read_table(tmp / "t.parquet")


BOOK, TRADES = _clean_tables()
LEVELS = [c for c in BOOK.column_names if c[:3] in ("bid", "ask")]


def _set(table: pa.Table, name: str, row: int, value: Any) -> pa.Table:
    values = table.column(name).to_numpy(zero_copy_only=False).copy()
    values[row] = value
    field = table.schema.field(name)
    return table.set_column(table.column_names.index(name), field, pa.array(values, field.type))


@st.composite
def book_edits(draw: Any) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(["cell", "ts_back", "swap_levels", "null", "drop", "retype"]))
    row = draw(st.integers(1, BOOK.num_rows - 1))
    if kind == "cell":
        return kind, draw(st.sampled_from(LEVELS)), row, draw(st.sampled_from(OUT_OF_RANGE))
    if kind == "ts_back":
        return kind, row, draw(st.integers(1, 10**11))
    if kind == "swap_levels":
        return kind, draw(st.sampled_from(["bid", "ask"])), draw(st.integers(0, DEPTH - 2)), row
    if kind == "null":
        return kind, draw(st.sampled_from(BOOK.column_names)), row
    return kind, draw(st.sampled_from(BOOK.column_names))


def edited_book(edit: tuple[Any, ...]) -> pa.Table:
    kind, *args = edit
    if kind == "cell":
        return _set(BOOK, *args)
    if kind == "ts_back":
        row, back = args
        return _set(BOOK, "ts", row, BOOK.column("ts")[row - 1].as_py() - back)
    if kind == "swap_levels":
        side, k, row = args
        table = BOOK
        for part in ("px", "sz"):
            a, b = f"{side}_{part}_{k}", f"{side}_{part}_{k + 1}"
            va, vb = BOOK.column(a)[row].as_py(), BOOK.column(b)[row].as_py()
            table = _set(_set(table, a, row, vb), b, row, va)
        return table
    if kind == "null":
        name, row = args
        values = BOOK.column(name).to_pylist()
        values[row] = None
        field = BOOK.schema.field(name)
        return BOOK.set_column(
            BOOK.column_names.index(name), field.name, pa.array(values, field.type)
        )
    if kind == "drop":
        return BOOK.drop_columns(args)
    name = args[0]
    retyped = BOOK.column(name).cast(
        pa.float32() if name[:3] in ("bid", "ask") else pa.int32(), safe=False
    )
    return BOOK.set_column(BOOK.column_names.index(name), name, retyped)


def _book_case(edit: tuple[Any, ...]) -> None:
    table = edited_book(edit)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.parquet"
        pq.write_table(table, path)
        if table.equals(BOOK):
            read_book(path, engine="cpu")
        else:
            store_error(lambda p: read_book(p, engine="cpu"), path)


@FAST
@given(book_edits())
def test_corrupted_book_stores(edit):
    _book_case(edit)


@pytest.mark.slow
@MANY
@given(book_edits())
def test_corrupted_book_stores_many(edit):
    _book_case(edit)


@st.composite
def trades_edits(draw: Any) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(["px", "sz", "side", "repeat_id", "ts_back", "null", "drop"]))
    row = draw(st.integers(1, TRADES.num_rows - 1))
    if kind in ("px", "sz"):
        return kind, row, draw(st.sampled_from(OUT_OF_RANGE))
    if kind == "side":
        return kind, row, draw(st.sampled_from([0, 2, -2, 127]))
    if kind == "repeat_id":
        return kind, row, draw(st.integers(0, row - 1))
    if kind == "ts_back":
        return kind, row, draw(st.integers(1, 120 * 10**9))
    if kind == "null":
        return kind, draw(st.sampled_from(TRADES.column_names)), row
    return kind, draw(st.sampled_from(TRADES.column_names))


def edited_trades(edit: tuple[Any, ...]) -> pa.Table:
    kind, *args = edit
    if kind in ("px", "sz", "side"):
        return _set(TRADES, kind, *args)
    if kind == "repeat_id":
        row, earlier = args
        return _set(TRADES, "trade_id", row, TRADES.column("trade_id")[earlier].as_py())
    if kind == "ts_back":
        row, back = args
        latest = max(TRADES.column("ts").to_pylist()[:row])
        return _set(TRADES, "ts", row, latest - back)
    if kind == "null":
        name, row = args
        values = TRADES.column(name).to_pylist()
        values[row] = None
        field = TRADES.schema.field(name)
        return TRADES.set_column(
            TRADES.column_names.index(name), field.name, pa.array(values, field.type)
        )
    return TRADES.drop_columns(args)


def _trades_case(edit: tuple[Any, ...]) -> None:
    table = edited_trades(edit)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.parquet"
        pq.write_table(table, path)
        if table.equals(TRADES):
            read_trades(path)
        else:
            store_error(read_trades, path)


@FAST
@given(trades_edits())
def test_corrupted_trades_stores(edit):
    _trades_case(edit)


@pytest.mark.slow
@MANY
@given(trades_edits())
def test_corrupted_trades_stores_many(edit):
    _trades_case(edit)
