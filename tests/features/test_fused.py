"""The fused CPU passes of ``compute()`` against each family's own formula, bit for bit.

A context with nothing planned (``FeatureContext(book, np, "cpu", trades)``) runs every
family's array formula alone; ``compute()`` plans all its names, so the book features come from
one pass (:mod:`l2gpu.features.book_pass`). Both must give the same floats.
"""

import numpy as np
import pytest

from l2gpu.data import synthetic, synthetic_trades
from l2gpu.features import DEFAULT_FEATURES, compute
from l2gpu.features.book_pass import KINDS, request_key, run_book_pass
from l2gpu.features.registry import FeatureContext, parse_name
from l2gpu.kernels.volume_profile import volume_profile_rows
from tests.books import random_book, random_trades
from tests.features.test_features import VARIANTS

NAMES = [
    *DEFAULT_FEATURES,
    *VARIANTS,
    "wmid_3",
    "depth_bid_1",
    "depth_ask_4",
    "slope_2",
    "imbalance_3_decay0.7",
    "impact_sell_25",
    "mlofi_4_10",
]


def unfused(book, trades, name):
    """``name`` computed by its family alone, with nothing planned: the array formulas."""
    spec = parse_name(name)
    ctx = FeatureContext(book, np, "cpu", trades)
    return spec.entry.compute(ctx, *spec.args, **spec.options)


def assert_fused_is_unfused(book, trades, names):
    fused = compute(book, names, engine="cpu", trades=trades)
    for name in names:
        want = unfused(book, trades, name)
        assert np.array_equal(fused[name], want, equal_nan=True), name


@pytest.mark.parametrize("seed", range(3))
def test_fused_pass_equals_the_formulas_on_random_books(seed):
    rng = np.random.default_rng(seed)
    book = random_book(rng, rows=700, depth=5)
    assert_fused_is_unfused(book, random_trades(rng, book, 900), NAMES)


def test_fused_pass_equals_the_formulas_across_blocks_and_chunks():
    book = synthetic(70_000, depth=10, seed=2)
    assert_fused_is_unfused(book, synthetic_trades(book, per_row=0.3, seed=2), NAMES)


def test_every_planned_book_feature_comes_from_the_pass():
    book = synthetic(2_000, depth=10, seed=1)
    planned = tuple(parse_name(n) for n in NAMES)
    ctx = FeatureContext.for_book(book, "cpu", None, planned=planned)
    keys = set(run_book_pass(ctx))
    assert {request_key(s) for s in planned if s.family in KINDS} | {("mid",)} == keys


def test_a_name_deeper_than_the_book_still_raises():
    book = synthetic(100, depth=5, seed=1)
    with pytest.raises(ValueError, match="6 levels asked for, the book has 5"):
        compute(book, ["mid", "mlofi_6_10"], engine="cpu")


@pytest.mark.parametrize("seed", range(4))
def test_volume_profile_taking_up_the_recorded_growth_equals_growing_every_row(seed):
    rng = np.random.default_rng(seed)
    n, rows = 3_000, 2_000
    bins = np.cumsum(rng.integers(-2, 3, n)) + 50
    bins -= bins.min()
    units = rng.integers(1, 5, n) * rng.integers(1, 3, n)
    ends = np.sort(rng.integers(0, n + 1, rows))
    starts = np.maximum(ends - rng.integers(0, 300, rows), 0)
    starts = np.maximum.accumulate(starts)
    span = int(bins.max()) + 1
    got = [np.empty(rows) for _ in range(3)]
    want = [np.empty(rows) for _ in range(3)]
    volume_profile_rows(bins, units, starts, ends, 0.5, 3, span, 4, True, *got)
    volume_profile_rows(bins, units, starts, ends, 0.5, 3, span, 4, False, *want)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b, equal_nan=True)
