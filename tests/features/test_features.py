import numpy as np
import pytest

from l2gpu.data import Book, read_book
from l2gpu.data.ingest import ingest
from l2gpu.data.trades import read_trades
from l2gpu.features import DEFAULT_FEATURES, compute, is_causal, registry
from l2gpu.features.execution import fill_vwap
from l2gpu.features.registry import FeatureContext
from tests.books import random_book, random_trades
from tests.reference_features import feature_reference
from tests.samples import BTCUSDT

DEFAULT_SET = list(DEFAULT_FEATURES)
VARIANTS = [
    "wmid_1",
    "imbalance_1",
    "slope_1",
    "ofi_1",
    "ofi_250ms",
    "mlofi_3_50",
    "ret_2s",
    "rv_50",
    "intensity_20",
    "impact_buy_25",
    "trade_imb_30",
    "vwap_dev_10",
    "vp_poc_2s_bin1.5",
    "vp_vah_20",
    "vp_val_5s",
]


def assert_matches(got, want, name):
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=name)


@pytest.fixture(scope="module")
def random_case():
    rng = np.random.default_rng(7)
    book = random_book(rng, rows=400, depth=5)
    return book, random_trades(rng, book, 600)


@pytest.mark.parametrize("name", DEFAULT_SET + VARIANTS)
def test_feature_matches_its_reference_on_random_books(random_case, name):
    book, trades = random_case
    got = compute(book, [name], engine="cpu", trades=trades)[name]
    assert_matches(got, feature_reference(book, name, trades), name)


@pytest.fixture(scope="module")
def real_case(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("btc")
    ingest(BTCUSDT, format="binance", out=tmp / "b.parquet", depth=5, trades_out=tmp / "t.parquet")
    return read_book(tmp / "b.parquet", engine="cpu")[:1200], read_trades(tmp / "t.parquet")


@pytest.mark.parametrize("name", DEFAULT_SET)
def test_feature_matches_its_reference_on_the_real_btcusdt_sample(real_case, name):
    book, trades = real_case
    got = compute(book, [name], engine="cpu", trades=trades)[name]
    want = feature_reference(book, name, trades)
    assert np.isfinite(want).any()
    assert_matches(got, want, name)


def test_depth_walk_vectors_of_the_design():
    nan = np.nan
    book = Book(
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        bid_px=np.array([[1.000], [0.990], [nan]]),
        bid_sz=np.array([[1.0], [2.0], [0.0]]),
        ask_px=np.array([[2.000], [2.010], [nan]]),
        ask_sz=np.array([[1.0], [2.0], [0.0]]),
    )
    ctx = FeatureContext(book, np, "cpu", None)
    buy, short_buy = fill_vwap(ctx, book.ask_px, book.ask_sz, 1.5)
    sell, short_sell = fill_vwap(ctx, book.bid_px, book.bid_sz, 1.5)
    assert abs(buy[0] - 2.0033333333333333) < 1e-12 and not short_buy[0]
    assert abs(sell[0] - 0.9966666666666667) < 1e-12 and not short_sell[0]
    deep, exhausted = fill_vwap(ctx, book.ask_px, book.ask_sz, 5.0)
    assert exhausted[0] and abs(deep[0] - (2.0 + 2.0 * 2.010 + 2.0 * 2.010) / 5.0) < 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_causal_features_do_not_change_when_the_future_is_cut(seed):
    rng = np.random.default_rng(seed)
    book = random_book(rng, rows=300, depth=5)
    trades = random_trades(rng, book, 400)
    names = [n for n in DEFAULT_SET + VARIANTS if is_causal(n)]
    assert names == DEFAULT_SET + VARIANTS
    whole = compute(book, names, engine="cpu", trades=trades)
    for cut in rng.integers(1, len(book), 5):
        part = compute(book[: cut + 1], names, engine="cpu", trades=trades)
        for name in names:
            np.testing.assert_array_equal(part[name], whole[name][: cut + 1], err_msg=name)


def test_many_windows_of_one_family_share_one_prefix_sum(random_case, monkeypatch):
    book, _ = random_case
    calls = []
    original = registry.prefix_sum

    def counting(values, xp, square=False):
        calls.append(1)
        return original(values, xp, square)

    monkeypatch.setattr(registry, "prefix_sum", counting)
    names = [f"ofi_{w}" for w in range(1, 21)]
    compute(book, names, engine="cpu")
    assert len(calls) == 1


def test_unknown_names_and_bad_parameters_list_the_families(random_case):
    book, _ = random_case
    with pytest.raises(ValueError, match=r"unknown feature 'ofx_2s'; known: .*ofi_"):
        compute(book, ["ofx_2s"])
    with pytest.raises(ValueError, match=r"'2q' is not a window"):
        compute(book, ["ofi_2q"])
    with pytest.raises(ValueError, match=r"needs parameters: imbalance_<levels>_\[decay<x>\]"):
        compute(book, ["imbalance"])
    with pytest.raises(ValueError, match="unexpected parameter 'x3'"):
        compute(book, ["imbalance_5_x3"])
    with pytest.raises(ValueError, match="6 levels asked for, the book has 5"):
        compute(book, ["wmid_6"], engine="cpu")
    with pytest.raises(ValueError, match="needs trades"):
        compute(book, ["cvd"], engine="cpu")


def test_float32_results_are_within_single_precision(random_case):
    book, trades = random_case
    f64 = compute(book, DEFAULT_SET, engine="cpu", trades=trades)
    f32 = compute(book, DEFAULT_SET, engine="cpu", trades=trades, dtype="float32")
    for name in DEFAULT_SET:
        assert f32[name].dtype == np.float32
        np.testing.assert_allclose(
            f32[name], f64[name], rtol=2**-23, atol=1e-30, equal_nan=True, err_msg=name
        )


@pytest.mark.cuda_kernel
def test_gpu_engine_matches_cpu_on_a_tiny_book():
    rng = np.random.default_rng(3)
    book = random_book(rng, rows=33, depth=4)
    trades = random_trades(rng, book, 40)
    names = [n.replace("_5", "_4") for n in DEFAULT_SET] + ["impact_buy_3", "impact_sell_3"]
    cpu = compute(book, names, engine="cpu", trades=trades)
    gpu = compute(book, names, engine="gpu", trades=trades)
    for name in names:
        np.testing.assert_allclose(
            np.asarray(gpu[name]), cpu[name], rtol=1e-10, atol=0, equal_nan=True, err_msg=name
        )
