"""The candidate lists and their search against a plain scan of the rows."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2gpu.kernels.block_maxima import block_maxima
from l2gpu.kernels.candidates import BLOCK, SCAN, candidate_lists
from l2gpu.kernels.sweep_cpu import _first_listed_cpu


def naive_first(x, sign, start, stop, e):
    """First row in ``start .. stop-1`` with ``sign * x >= e``, ``stop`` if none."""
    for i in range(start, stop):
        if sign * x[i] >= e:
            return i
    return stop


def test_the_lists_hold_every_row_at_or_above_the_base_and_their_index_points_into_them():
    rng = np.random.default_rng(3)
    series = rng.normal(size=(3, 1000))
    series[rng.random(series.shape) < 0.1] = np.nan
    base = np.array([[0.5, 1.0], [np.inf, -0.2], [np.nan, 2.0]])
    lists = candidate_lists(series, block_maxima(series)[0], base)
    for s in range(3):
        for k, sign in enumerate((1.0, -1.0)):
            want = np.flatnonzero(sign * series[s] >= base[s, k])
            first, end = lists.start[s, k, 0], lists.start[s, k, -1]
            np.testing.assert_array_equal(lists.rows[first:end], want)
            np.testing.assert_array_equal(lists.values[first:end], sign * series[s, want])
            for b in range(lists.start.shape[2] - 1):
                at = lists.start[s, k, b]
                assert at == first + np.searchsorted(want, b * BLOCK)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 3000),
    seed=st.integers(0, 2**31),
    base=st.floats(-1.0, 2.5),
    nan_share=st.sampled_from([0.0, 0.3]),
)
def test_the_listed_search_finds_what_a_scan_of_the_rows_finds(rows, seed, base, nan_share):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    x[rng.random(rows) < nan_share] = np.nan
    tree, offsets = block_maxima(x[None, :])
    lists = candidate_lists(x[None, :], tree, np.array([[base, base]]))
    listed = (lists.rows, lists.values, lists.start[0], lists.base[0])
    # levels below the base (the descent), at it, a little above (the list), far above (the
    # list for SCAN candidates, then the descent), NaN (never reached)
    levels = [base - 0.5, base, base + 0.1, base + 1.5, 4.0, float("nan")]
    for _ in range(40):
        start = int(rng.integers(0, rows))
        stop = int(rng.integers(start, rows + 1))
        for e in levels:
            for k, sign in enumerate((1.0, -1.0)):
                want = naive_first(x, sign, start, stop, e)
                assert _first_listed_cpu(x, k, tree[0], listed, offsets, start, stop, e) == want


@pytest.mark.parametrize("gap", [SCAN - 1, SCAN, SCAN + 1, 5 * SCAN])
def test_a_search_past_many_lower_candidates_hands_over_to_the_descent_exactly(gap):
    x = np.zeros(20 * BLOCK)
    x[1::3][:gap] = 1.0  # ``gap`` candidates at the base, then one row above the level
    hit = 3 * gap + 7
    x[hit] = 2.0
    tree, offsets = block_maxima(x[None, :])
    lists = candidate_lists(x[None, :], tree, np.array([[1.0, np.inf]]))
    listed = (lists.rows, lists.values, lists.start[0], lists.base[0])
    assert _first_listed_cpu(x, 0, tree[0], listed, offsets, 0, x.shape[0], 1.5) == hit
    assert _first_listed_cpu(x, 0, tree[0], listed, offsets, 0, hit, 1.5) == hit
    assert _first_listed_cpu(x, 0, tree[0], listed, offsets, hit + 1, x.shape[0], 1.5) == x.shape[0]
