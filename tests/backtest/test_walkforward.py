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


@pytest.mark.cuda_kernel
def test_walk_forward_of_a_device_book_equals_the_cpu_and_moves_only_params_and_results(case):
    from l2gpu.backend import to_device, transfers

    book, signals, params = case
    head = book[:1500]
    head_signals = {name: values[:1500] for name, values in signals.items()}
    kwargs: dict = dict(train="30s", test="15s", label_horizon="2s", embargo="1s")
    cpu = walk_forward(head, head_signals, params, engine="cpu", **kwargs)
    device = head.to("gpu")
    device_signals = {name: to_device(values, "gpu") for name, values in head_signals.items()}
    with transfers.recording() as moves:
        gpu = walk_forward(device, device_signals, params, engine="gpu", **kwargs)
    folds = len(cpu.folds)
    assert folds >= 2 and len(gpu.folds) == folds
    assert sorted(set(moves.labels())) == [
        "sweep fstate",
        "sweep istate",
        "sweep params",
        "walk-forward fold pnl",
    ], "the book and the signals never cross; only parameters and results do"
    assert moves.labels("h2d") == ["sweep params"] * 2 * folds
    np.testing.assert_array_equal(gpu.folds.config, cpu.folds.config)
    np.testing.assert_array_equal(gpu.folds.oos_trades, cpu.folds.oos_trades)
    np.testing.assert_allclose(gpu.folds.oos_pnl, cpu.folds.oos_pnl, rtol=1e-10)
    np.testing.assert_allclose(
        gpu.oos_pnl.to_numpy(), cpu.oos_pnl.to_numpy(), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_array_equal(gpu.oos_pnl.index, cpu.oos_pnl.index)


def test_the_default_label_horizon_and_embargo_are_zero(case):
    book, signals, params = case
    result = walk_forward(book, signals, params, train="60s", test="30s")
    assert len(result.folds) >= 5
    first = result.folds.iloc[0]
    # the gap is the strategy's own horizon only: the 2 s hold plus the 50 ms latency
    assert first.test_start - first.train_end == 2 * S + 50_000_000
