"""The fused CPU passes of ``compute()`` against each family's own formula, bit for bit.

A context with nothing planned (``FeatureContext(book, np, "cpu", trades)``) runs every
family's array formula alone; ``compute()`` plans all its names, so the book features come from
one pass (:mod:`l2gpu.features.book_pass`). Both must give the same floats. The window
kernels (:mod:`l2gpu.kernels.trade_windows`, :mod:`l2gpu.kernels.lagged`) run whatever is
planned, so they are checked against their array formulas written out here.
"""

import numpy as np
import pytest

from l2gpu.core.spans import Window
from l2gpu.data import synthetic, synthetic_trades
from l2gpu.features import DEFAULT_FEATURES, compute, trade_flow
from l2gpu.features.book_pass import KINDS, request_key, run_book_pass
from l2gpu.features.book_shape import ratio
from l2gpu.features.registry import FeatureContext, parse_name
from l2gpu.features.rolling import cpu_index_dtype, prefix_sum, window_starts, window_sum
from l2gpu.features.trade_flow import _trade_prefix, _window_total
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
    assert {request_key(s) for s in planned if s.family in KINDS} == keys


@pytest.mark.parametrize(
    ("names", "keys"),
    [
        (["spread"], {("spread",)}),
        (["spread_bps", "impact_buy_0.5"], {("spread_bps",), ("impact_buy", 0.5)}),
        (["ret_100"], {("mid",)}),
        (["vwap_dev_30s", "depth_bid_2"], {("mid",), ("depth_bid", 2)}),
        (["cvd", "trade_imb_5s"], set()),
    ],
)
def test_the_pass_computes_only_what_the_planned_names_read(names, keys):
    book = synthetic(2_000, depth=10, seed=1)
    trades = synthetic_trades(book, per_row=0.3, seed=1)
    ctx = FeatureContext.for_book(book, "cpu", trades, planned=tuple(map(parse_name, names)))
    assert set(run_book_pass(ctx)) == keys
    assert_fused_is_unfused(book, trades, names)


def test_a_name_deeper_than_the_book_still_raises():
    book = synthetic(100, depth=5, seed=1)
    with pytest.raises(ValueError, match="6 levels asked for, the book has 5"):
        compute(book, ["mid", "mlofi_6_10"], engine="cpu")


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("longest", "most_units", "step"), [(300, 4, 2), (40, 2, 1), (120, 3, 6)])
def test_volume_profile_taking_up_the_recorded_growth_equals_growing_every_row(
    seed, longest, most_units, step
):
    # Short windows and few distinct volumes make ties, empty windows, a moving lowest and
    # highest bin and flipped decisions common; rows after a gap add more trades at once than
    # a row may touch and still take up its growth.
    rng = np.random.default_rng(seed)
    n, rows = 3_000, 2_000
    bins = np.cumsum(rng.integers(-step, step + 1, n)) + 50
    bins -= bins.min()
    units = rng.integers(1, most_units + 1, n) * rng.integers(1, 3, n)
    # Trades 0-4 ns apart with some long gaps; a window of about ``longest`` trades.
    gaps = rng.integers(0, 5, n) + 400 * (rng.random(n) < 0.01)
    trade_ts = np.cumsum(gaps).astype(np.int64)
    ts = np.sort(rng.integers(0, int(trade_ts[-1]) + 2, rows)).astype(np.int64)
    ends = np.searchsorted(trade_ts, ts, side="right")
    span = int(bins.max()) + 1
    for window in ((trade_ts, ts, 2 * longest, 0), (trade_ts, ts, 0, longest)):
        got = [np.empty(rows) for _ in range(3)]
        want = [np.empty(rows) for _ in range(3)]
        volume_profile_rows(bins, units, window, ends, 0.5, 0, span, 4, True, *got)
        volume_profile_rows(bins, units, window, ends, 0.5, 0, span, 4, False, *want)
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a, b, equal_nan=True)


def test_window_kernels_equal_the_array_formulas():
    book = synthetic(70_000, depth=10, seed=4)
    trades = synthetic_trades(book, per_row=0.3, seed=4)
    names = ["ret_100", "ret_2s", "rv_2s", "intensity_1s", "trade_imb_5s", "vwap_dev_30s", "cvd"]
    got = compute(book, names, engine="cpu", trades=trades)
    ctx = FeatureContext(book, np, "cpu", trades)
    m = (book.bid_px[0] + book.ask_px[0]) * 0.5
    with np.errstate(all="ignore"):
        for window in ("100", "2s"):
            before = Window.parse(window).starts(book.ts, np) - 1
            ret = np.where(before >= 0, np.log(m / m[np.maximum(before, 0)]), np.nan)
            assert np.array_equal(got[f"ret_{window}"], ret, equal_nan=True)
        returns = np.concatenate(([np.nan], np.log(m[1:] / m[:-1])))
        squares = window_sum(prefix_sum(returns * returns, np), ctx.starts(Window.parse("2s")), np)
        assert np.array_equal(got["rv_2s"], np.sqrt(squares), equal_nan=True)
        rows = np.arange(len(book)) - ctx.starts(Window.parse("1s")) + 1
        assert np.array_equal(got["intensity_1s"], rows / 1.0)
        totals = {}
        for key, window in (("buy", "5s"), ("sell", "5s"), ("size", "30s"), ("notional", "30s")):
            totals[key] = _window_total(ctx, key, Window.parse(window), "test")
        buy, sell = totals["buy"], totals["sell"]
        assert np.array_equal(
            got["trade_imb_5s"], ratio(np, buy - sell, buy + sell), equal_nan=True
        )
        vwap = ratio(np, totals["notional"], totals["size"])
        assert np.array_equal(got["vwap_dev_30s"], 1e4 * (m / vwap - 1.0), equal_nan=True)
        signed = np.concatenate(([0.0], np.cumsum(trades.side.astype(np.float64) * trades.sz)))
        ends = np.searchsorted(trades.ts, book.ts, side="right")
        assert np.array_equal(got["cvd"], signed[ends] - signed[np.zeros_like(ends)])


def test_trade_prefix_sums_equal_numpy_cumsum():
    book = synthetic(20_000, depth=5, seed=6)
    trades = synthetic_trades(book, per_row=0.5, seed=6)
    ctx = FeatureContext(book, np, "cpu", trades)
    side, size = trades.side.astype(np.float64), trades.sz
    values = {
        "size": size,
        "notional": size * trades.px,
        "buy": np.where(side > 0, size, 0.0),
        "sell": np.where(side < 0, size, 0.0),
        "signed": side * size,
    }
    for key, quantity in values.items():
        want = np.concatenate((np.zeros(1), np.cumsum(quantity)))
        assert np.array_equal(_trade_prefix(ctx, key, "test"), want), key


def test_the_trade_prefix_sums_of_the_planned_names_come_from_one_pass(monkeypatch):
    book = synthetic(5_000, depth=5, seed=4)
    trades = synthetic_trades(book, per_row=0.5, seed=4)
    calls = []
    original = trade_flow.trade_prefixes_cpu

    def counting(wanted, *args):
        calls.append(tuple(wanted))
        return original(wanted, *args)

    monkeypatch.setattr(trade_flow, "trade_prefixes_cpu", counting)
    names = ["trade_imb_5s", "trade_imb_1s", "cvd", "vwap_dev_30s"]
    assert_fused_is_unfused(book, trades, names)
    # One pass for the planned call, then one per quantity for the unfused references.
    assert calls[0] == (True, True, True, True, True)
    assert all(sum(c) == 1 for c in calls[1:])


def test_cpu_positions_are_int32_while_they_fit():
    assert cpu_index_dtype(0) is np.int32
    assert cpu_index_dtype(2**31 - 2) is np.int32  # positions 0 .. 2**31 - 2
    assert cpu_index_dtype(2**31 - 1) is np.int64
    starts = window_starts(Window.parse("2"), np.arange(5, dtype=np.int64), np)
    assert starts.dtype == np.int32 and starts.tolist() == [0, 0, 1, 2, 3]
