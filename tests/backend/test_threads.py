"""A ufunc over row chunks on threads gives the floats of one call over the whole array."""

import multiprocessing
import os

import numba
import numpy as np
import pytest

from l2gpu.backend.threads import MIN_CHUNK_ROWS, side_by_side, ufunc_in_place


def thread_counts() -> range:
    return range(1, min(3, numba.config.NUMBA_NUM_THREADS) + 1)  # type: ignore[attr-defined]


def values_with_nan_and_negatives() -> np.ndarray:
    rng = np.random.default_rng(3)
    values = rng.uniform(-0.5, 4.0, 3 * MIN_CHUNK_ROWS + 17)
    values[::997] = np.nan
    return values


@pytest.mark.parametrize("ufunc", [np.log, np.sqrt])
def test_chunked_ufunc_equals_one_call(ufunc):
    values = values_with_nan_and_negatives()
    before = numba.get_num_threads()
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            want = ufunc(values)
            for threads in thread_counts():
                numba.set_num_threads(threads)
                got = values.copy()
                assert ufunc_in_place(ufunc, got) is got
                np.testing.assert_array_equal(got, want)
    finally:
        numba.set_num_threads(before)


def test_the_callers_errstate_holds_in_every_chunk():
    before = numba.get_num_threads()
    try:
        for threads in thread_counts():
            numba.set_num_threads(threads)
            with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
                ufunc_in_place(np.log, values_with_nan_and_negatives())
    finally:
        numba.set_num_threads(before)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_its_calls():
    side_by_side([lambda: 1, lambda: 2])  # the parent's pool now has its threads
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply_async(_side_by_side_in_child).get(timeout=60) == [1, 2]


def _side_by_side_in_child() -> list[int]:
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    return side_by_side([lambda: 1, lambda: 2])
