"""The two-pointer search of :mod:`l2gpu.kernels.windows` against ``numpy.searchsorted``."""

import numpy as np
import pytest

from l2gpu.kernels.windows import CHUNK_ROWS, STRIDE, search_sorted_right


@pytest.mark.parametrize("seed", range(6))
def test_search_sorted_right_equals_numpy(seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        a = np.sort(rng.integers(0, 60, rng.integers(0, 6 * STRIDE)))
        v = rng.integers(-5, 70, rng.integers(1, 400))
        if seed % 2:
            v = np.sort(v)  # sliding windows: pointers that run forward by strides
        shift = int(rng.integers(0, 5))
        out = np.empty(v.shape[0], dtype=np.int64)
        search_sorted_right(a, v, shift, out)
        assert np.array_equal(out, np.searchsorted(a, v - shift, side="right"))


def test_search_sorted_right_across_chunks():
    rng = np.random.default_rng(9)
    a = np.sort(rng.integers(0, 10**6, 3 * CHUNK_ROWS))
    v = np.sort(rng.integers(0, 10**6, 2 * CHUNK_ROWS + 5))
    out = np.empty(v.shape[0], dtype=np.int64)
    search_sorted_right(a, v, 1000, out)
    assert np.array_equal(out, np.searchsorted(a, v - 1000, side="right"))
