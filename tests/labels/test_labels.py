import math
import re

import numpy as np
import pytest

from l2gpu.core.spans import Window
from l2gpu.data import read_book
from l2gpu.data.ingest import ingest
from l2gpu.features import FAMILIES, registry
from l2gpu.labels import (
    LeakageError,
    PurgedSplits,
    check_inputs,
    label_end_ts,
)
from l2gpu.labels import compute as compute_labels
from tests.books import random_book
from tests.reference_features import (
    feature_reference,
    forward_return_reference,
    horizon_end,
    triple_barrier_reference,
)
from tests.samples import BTCUSDT

FEE_BPS = 4.0


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("btc")
    ingest(BTCUSDT, format="binance", out=tmp / "b.parquet", depth=5)
    return {
        "random": random_book(np.random.default_rng(11), rows=500, depth=4),
        "btcusdt": read_book(tmp / "b.parquet", engine="cpu")[:1500],
    }


def class_reference(returns, threshold):
    out = np.full(returns.shape, math.nan)
    for t, (r, c) in enumerate(zip(returns, threshold, strict=True)):
        if not (math.isnan(r) or math.isnan(c)):
            out[t] = 1.0 if r > c else (-1.0 if r < -c else 0.0)
    return out


NAME = re.compile(
    r"^(?P<kind>fwd_ret|fwd_class|volnorm_ret|tbarrier)_(?P<h>[^_]+)"
    r"(?:_(?P<arg>cost|[0-9.]+(?:spread|vol)?|[0-9.]+(?:ns|us|ms|s|m|h)?))?$"
)


def label_reference(book, name):
    """The label from its own reading of the name (not the package's parser)."""
    match = NAME.match(name)
    assert match, name
    kind, h, arg = match["kind"], match["h"], match["arg"]
    mid = feature_reference(book, "mid")
    if kind == "fwd_ret":
        return {name: forward_return_reference(book, h)}
    if kind == "fwd_class":
        returns = forward_return_reference(book, h)
        if arg == "cost":
            threshold = feature_reference(book, "spread") / mid + 2 * FEE_BPS * 1e-4
        else:
            threshold = np.full(len(book), float(arg) * 1e-4)
        return {name: class_reference(returns, threshold)}
    if kind == "volnorm_ret":
        rv = feature_reference(book, f"rv_{arg}")
        fwd = forward_return_reference(book, h)
        return {
            name: np.array([a / b if b != 0 else math.nan for a, b in zip(fwd, rv, strict=True)])
        }
    multiple = float(arg.removesuffix("spread").removesuffix("vol"))
    if arg.endswith("spread"):
        width = multiple * feature_reference(book, "spread")
        upper, lower = mid + width, mid - width
    else:
        sigma = feature_reference(book, f"rv_{h}")
        upper = mid * np.exp(multiple * sigma)
        lower = mid * np.exp(-multiple * sigma)
    label, touch = triple_barrier_reference(book, h, upper, lower)
    return {name: label, f"{name}_touch": touch}


LABELS = [
    "fwd_ret_100",
    "fwd_ret_2s",
    "fwd_ret_1",
    "fwd_class_2s_1",
    "fwd_class_50_0.5",
    "fwd_class_2s_cost",
    "volnorm_ret_2s_10s",
    "volnorm_ret_20_50",
    "tbarrier_5s_2spread",
    "tbarrier_40_1.5spread",
    "tbarrier_5s_1vol",
]


@pytest.mark.parametrize("which", ["random", "btcusdt"])
@pytest.mark.parametrize("name", LABELS)
def test_label_matches_its_reference(books, which, name):
    book = books[which]
    got = compute_labels(book, [name], engine="cpu", taker_fee_bps=FEE_BPS)
    want = label_reference(book, name)
    assert set(got) == set(want)
    for key in want:
        np.testing.assert_allclose(
            got[key], want[key], rtol=1e-12, atol=0, equal_nan=True, err_msg=key
        )
    assert np.isnan(got[name][-1]), "the last row's horizon runs past the data"


def test_unknown_label_lists_the_known_ones(books):
    with pytest.raises(ValueError, match=r"unknown label 'fwd_ret2s'; known: .*fwd_ret_<horizon>"):
        compute_labels(books["random"], ["fwd_ret2s"])


@pytest.mark.parametrize(("horizon", "embargo"), [("2s", "1s"), ("50", "20"), ("500ms", "0")])
@pytest.mark.parametrize("past_only", [False, True])
def test_no_training_label_reaches_into_its_test_window(books, horizon, embargo, past_only):
    book = books["btcusdt"]
    ts = book.ts
    ends = [horizon_end(ts, t, horizon) for t in range(len(book))]
    splits = PurgedSplits(5, horizon, embargo, past_only).split(ts)
    assert len(splits) == 5
    tested = np.concatenate([test for _, test in splits])
    np.testing.assert_array_equal(tested, np.arange(len(book)))
    for train, test in splits:
        first, last = ts[test[0]], ts[test[-1]]
        assert np.intersect1d(train, test).size == 0
        for t in train:
            end_ts = ts[ends[t]] if ends[t] < len(book) else np.iinfo(np.int64).max
            assert not (ts[t] <= last and end_ts >= first), f"row {t} leaks into the test block"
        after = train[train > test[-1]]
        if embargo != "0" and after.size:
            gap = Window.parse(embargo)
            if gap.rows is not None:
                assert after.min() > test[-1] + gap.rows
            else:
                assert ts[after.min()] > last + gap.ns
        if past_only:
            assert train.size == 0 or train.max() < test[0]
        assert train.size > 0 or test[0] == 0


def test_label_end_ts_runs_to_never_past_the_data(books):
    ts = books["random"].ts
    ends = label_end_ts(ts, Window.parse("10"))
    assert (ends[-10:] == np.iinfo(np.int64).max).all() and (ends[:-10] == ts[10:]).all()


def test_guard_refuses_labels_unknown_names_and_lookahead_features():
    check_inputs(["ofi_2s", "imbalance_5", "my_model_score"], declared_causal=["my_model_score"])
    with pytest.raises(LeakageError, match="'fwd_ret_2s' is a label"):
        check_inputs(["ofi_2s", "fwd_ret_2s"])
    with pytest.raises(LeakageError, match="'tbarrier_5s_2spread_touch' is a label"):
        check_inputs(["tbarrier_5s_2spread_touch"])
    with pytest.raises(LeakageError, match="cannot tell whether 'my_model_score' is causal"):
        check_inputs(["my_model_score"])

    @registry.family("peek", params=("window",), causal=False)
    def peek(ctx, window):
        """Planted look-ahead: the mid one window ahead."""
        return ctx.book.bid_px[0][window.ends(ctx.book.ts, ctx.xp).clip(0, len(ctx.book) - 1)]

    try:
        with pytest.raises(LeakageError, match="feature 'peek_10' is not causal"):
            check_inputs(["ofi_2s", "peek_10"])
    finally:
        FAMILIES.remove("peek")


@pytest.mark.cuda_kernel
def test_triple_barrier_cuda_matches_cpu():
    book = random_book(np.random.default_rng(5), rows=37, depth=3)
    names = ["tbarrier_5_1spread", "tbarrier_20ms_1vol"]
    cpu = compute_labels(book, names, engine="cpu")
    gpu = compute_labels(book, names, engine="gpu")
    for key in cpu:
        np.testing.assert_array_equal(np.asarray(gpu[key]), cpu[key], err_msg=key)


def test_a_toy_label_needs_only_its_function_and_one_registration(books):
    from l2gpu.labels import LABELS, label

    @label("fwd_mid", params=("horizon",))
    def forward_mid(ctx, horizon, taker_fee_bps=0.0):
        """The mid at the horizon's end row (a toy for this test)."""
        m = (ctx.book.bid_px[0] + ctx.book.ask_px[0]) * 0.5
        ends = horizon.ends(ctx.book.ts, ctx.xp)
        inside = ends < m.shape[0]
        return ctx.xp.where(inside, m[ctx.xp.minimum(ends, m.shape[0] - 1)], ctx.xp.nan)

    try:
        book = books["random"]
        got = compute_labels(book, ["fwd_mid_10", "fwd_mid_2s"], engine="cpu")
        mid = feature_reference(book, "mid")
        for h in ("10", "2s"):
            ends = [horizon_end(book.ts, t, h) for t in range(len(book))]
            want = [mid[j] if j < len(book) else math.nan for j in ends]
            np.testing.assert_array_equal(got[f"fwd_mid_{h}"], want)
        with pytest.raises(LeakageError, match="'fwd_mid_10' is a label"):
            check_inputs(["fwd_mid_10"])
    finally:
        LABELS.remove("fwd_mid")
