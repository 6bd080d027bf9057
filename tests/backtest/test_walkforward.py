import numpy as np
import pytest

from l2gpu.backtest.params import expand_grid
from l2gpu.backtest.walkforward import make_folds, walk_forward
from l2gpu.data import read_book
from l2gpu.data.ingest import ingest
from l2gpu.features import FAMILIES, compute, registry
from l2gpu.labels import LeakageError
from tests.samples import BTCUSDT

S = 1_000_000_000


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wf")
    ingest(BTCUSDT, format="binance", out=tmp / "b.parquet", depth=5)
    book = read_book(tmp / "b.parquet", engine="cpu")
    signals = compute(book, ["imbalance_5", "ofi_2s"], engine="cpu")
    params = expand_grid(
        {
            "signal": ["imbalance_5"],
            "entry": [0.3, 0.6],
            "max_hold": ["2s"],
            "latency": ["50ms"],
            "size": [0.01],
            "taker_fee_bps": [0.0],
        }
    )
    return book, signals, params


@pytest.mark.parametrize("mode", ["rolling", "expanding"])
def test_no_training_label_reaches_into_its_test_window(case, mode):
    book, signals, params = case
    result = walk_forward(
        book, signals, params, train="60s", test="30s", mode=mode, label_horizon="2s", embargo="1s"
    )
    folds = result.folds
    assert len(folds) >= 5
    ts = book.ts
    for fold in folds.itertuples():
        train = np.flatnonzero((ts >= fold.train_start) & (ts < fold.train_end))
        test = np.flatnonzero((ts >= fold.test_start) & (ts < fold.test_end))
        assert train.size and test.size
        # the label horizon (2 s) and the strategy's (2 s hold + 50 ms latency) end before
        # the test window, with the 1 s embargo on top
        assert fold.test_start - fold.train_end >= (2 * S + 50_000_000) + 1 * S
        # every training row's label window (2 s) plus the embargo (1 s) ends before the test
        assert (ts[train] + 2 * S + 1 * S <= fold.test_start).all()
        if mode == "expanding":
            assert fold.train_start == ts[0]
    assert result.oos_total == pytest.approx(folds.oos_pnl.sum(), rel=1e-9, abs=1e-12)


def test_folds_tile_the_test_span_without_overlap():
    folds = make_folds(0, 100 * S, "20s", "10s", gap_ns=3 * S)
    assert [f.test_start for f in folds] == [23 * S + 10 * S * i for i in range(len(folds))]
    assert all(f.test_end <= 100 * S and f.train_end == f.test_start - 3 * S for f in folds)
    with pytest.raises(ValueError, match="too short"):
        make_folds(0, 10 * S, "20s", "10s", gap_ns=0)


def test_a_planted_lookahead_feature_is_refused(case):
    book, _, params = case

    @registry.family("peek", params=("window",), causal=False)
    def peek(ctx, window):
        """Planted look-ahead: the mid one window ahead."""
        ends = window.ends(ctx.book.ts, ctx.xp).clip(0, len(ctx.book) - 1)
        return ctx.book.bid_px[0][ends]

    try:
        peeking = {"peek_100": compute(book, ["peek_100"], engine="cpu")["peek_100"]}
        with pytest.raises(LeakageError, match="'peek_100' is not causal"):
            walk_forward(book, peeking, params.assign(signal="peek_100"), train="60s", test="30s")
    finally:
        FAMILIES.remove("peek")
