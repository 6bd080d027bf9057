import numpy as np
import pytest

from l2gpu.data import Book
from tests.books import random_book


def test_shape_and_device(rng):
    book = random_book(rng, rows=100, depth=3)
    assert len(book) == 100 and book.depth == 3 and book.device == "cpu"
    assert book.to("cpu") is book
    assert all(a.flags.c_contiguous for a in book.arrays().values())


def test_row_slice_is_contiguous_and_matches(rng):
    book = random_book(rng, rows=100, depth=3)
    part = book[10:20]
    assert len(part) == 10
    assert part.bid_px.flags.c_contiguous
    np.testing.assert_array_equal(part.bid_px, book.bid_px[:, 10:20])
    np.testing.assert_array_equal(part.seq, np.arange(10, 20))
    with pytest.raises(TypeError, match="step 1"):
        book[::2]


def test_time_slice_is_half_open(rng):
    book = random_book(rng, rows=200, depth=2)
    start, end = int(book.ts[50]), int(book.ts[150])
    part = book.between(start, end)
    expected = (book.ts >= start) & (book.ts < end)
    np.testing.assert_array_equal(part.ts, book.ts[expected])
    assert len(book.between(end, start)) == 0
    assert len(book.between(None, None)) == len(book)


def test_bad_shapes_and_dtypes_are_refused():
    ts = np.arange(4, dtype=np.int64)
    lv = np.zeros((2, 4))
    with pytest.raises(ValueError, match="bid_sz must be float64 of shape \\[2, 4\\]"):
        Book(ts, ts, ts, lv, np.zeros((2, 3)), lv, lv)
    with pytest.raises(ValueError, match="local_ts must be int64"):
        Book(ts, ts.astype(float), ts, lv, lv, lv, lv)


def test_concat_joins_end_to_end(rng):
    book = random_book(rng, rows=90, depth=2)
    joined = Book.concat([book[:30], book[30:60], book[60:]])
    for name, arr in book.arrays().items():
        np.testing.assert_array_equal(joined.arrays()[name], arr)
