"""The kernels of :mod:`l2gpu.kernels.windows` against ``numpy.searchsorted`` and ``cumsum``."""

import numpy as np
import pytest

from l2gpu.kernels.windows import (
    CHUNK_ROWS,
    DENSE_STRIDE,
    prefix_sum_cpu,
    search_sorted_right,
    window_sum_cpu,
)


@pytest.mark.parametrize("seed", range(6))
def test_search_sorted_right_equals_numpy(seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        a = np.sort(rng.integers(0, 60, rng.integers(0, 12 * DENSE_STRIDE)))
        v = rng.integers(-5, 70, rng.integers(1, 400))
        if seed % 2:
            v = np.sort(v)  # sliding windows: pointers that run forward by strides
        shift = int(rng.integers(0, 5))
        out = np.empty(v.shape[0], dtype=np.int64)
        search_sorted_right(a, v, shift, out)
        assert np.array_equal(out, np.searchsorted(a, v - shift, side="right"))


@pytest.mark.parametrize("rows", [2 * CHUNK_ROWS + 5, CHUNK_ROWS + 1, 3, 2])
def test_search_sorted_right_across_chunks(rows):
    # Dense (as many elements as rows): each chunk runs as two halves in step; chunks of an
    # odd length, of one row and of two.
    rng = np.random.default_rng(9)
    a = np.sort(rng.integers(0, 10**6, 3 * CHUNK_ROWS))
    v = np.sort(rng.integers(0, 10**6, rows))
    out = np.empty(v.shape[0], dtype=np.int64)
    search_sorted_right(a, v, 1000, out)
    assert np.array_equal(out, np.searchsorted(a, v - 1000, side="right"))


@pytest.mark.parametrize("nans", [0, 1, 7])
def test_prefix_sum_equals_numpy_cumsum_and_notes_the_nan_rows(nans):
    rng = np.random.default_rng(nans)
    for size in (0, 1, 2, 1000):
        values = rng.standard_normal(size) * 1e3
        values[:1] = -0.0  # cumsum starts from the first value itself, keeping its sign
        if size:
            values[rng.integers(0, size, nans)] = np.nan
        total = np.empty(size + 1)
        nan_rows = np.empty(size, dtype=np.int64)
        for square in (False, True):
            found = prefix_sum_cpu(values, square, total, nan_rows)
            summed = values * values if square else values
            missing = np.isnan(summed)
            expect = np.concatenate(([0.0], np.cumsum(np.where(missing, 0.0, summed))))
            assert np.array_equal(total, expect)
            assert np.array_equal(np.signbit(total), np.signbit(expect))
            assert np.array_equal(nan_rows[:found], np.flatnonzero(missing))


@pytest.mark.parametrize("nan_rows", [[], [0], [5, 6, 70_000], list(range(3, 131_000, 997))])
def test_window_sum_equals_the_count_formula(nan_rows):
    rng = np.random.default_rng(len(nan_rows))
    rows = 2 * CHUNK_ROWS + 11
    values = rng.standard_normal(rows)
    values[np.array(nan_rows, dtype=np.int64)] = np.nan
    starts = np.maximum.accumulate(np.maximum(np.arange(rows) - rng.integers(0, 3000, rows), 0))
    total = np.concatenate(([0.0], np.cumsum(np.where(np.isnan(values), 0.0, values))))
    count = np.concatenate(([0], np.cumsum(np.isnan(values))))
    ends = np.arange(1, rows + 1)
    expect = np.where(count[ends] - count[starts] > 0, np.nan, total[ends] - total[starts])
    out = np.empty(rows)
    window_sum_cpu(total, np.array(nan_rows, dtype=np.int64), starts, out)
    assert np.array_equal(out, expect, equal_nan=True)


@pytest.mark.parametrize("seed", range(4))
def test_dense_search_equals_numpy(seed):
    """As many elements as rows (a window over the rows' own timestamps): the dense step."""
    rng = np.random.default_rng(seed)
    for rows in (1, 2, 3, 9, 100, CHUNK_ROWS + 7):
        ts = np.cumsum(rng.integers(0, 3 + seed, rows))  # ties where a gap is 0
        for shift in (0, 1, 2, 7, 1000):
            out = np.empty(rows, dtype=np.int64)
            search_sorted_right(ts, ts, shift, out)
            assert np.array_equal(out, np.searchsorted(ts, ts - shift, side="right"))
        v = rng.integers(-5, int(ts[-1]) + 5, rows)  # queries going back and forth
        search_sorted_right(ts, v, 0, out)
        assert np.array_equal(out, np.searchsorted(ts, v, side="right"))
