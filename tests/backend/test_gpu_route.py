"""The GPU route on the strict simulated device: it stays on the device and equals the CPU.

Each test runs with ``engine="gpu"`` under ``NUMBA_ENABLE_CUDASIM=1`` (``make test`` runs them),
on tiny inputs, and reads the transfer ledger. The sweep's own device tests are in
``tests/backtest/test_sweep.py``; walk-forward's in ``tests/backtest/test_walkforward.py``.
"""

import sys
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from l2gpu import labels
from l2gpu.backend import to_device, transfers
from l2gpu.backend.strict import StrictArray
from l2gpu.backtest import sweep
from l2gpu.backtest.threshold import THRESHOLD
from l2gpu.backtest.walkforward import walk_forward
from l2gpu.data import BookStoreError, BookStoreNotFoundError, device_read, read_book
from l2gpu.data.ingest import ingest
from l2gpu.data.trades import read_trades
from l2gpu.features import DEFAULT_FEATURES, book_shape, compute
from l2gpu.metrics import overfitting
from l2gpu.search.grid import signal_scales, strategy_grid
from tests.books import random_book, random_trades
from tests.samples import BTCUSDT

pytestmark = pytest.mark.cuda_kernel

FEATURES = [n.replace("_5", "_4") for n in DEFAULT_FEATURES] + ["impact_buy_3", "impact_sell_3"]
LABELS = ["fwd_ret_2s", "fwd_class_100ms_cost", "fwd_class_5_2", "volnorm_ret_2s_10"]
LABELS += ["tbarrier_5_2spread", "tbarrier_50ms_1.5vol"]
TRADE_ARRAYS = {"trades ts", "trades px", "trades sz", "trades side"}


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(3)
    book = random_book(rng, rows=40, depth=4)
    return book, random_trades(rng, book, 50)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("btc")
    ingest(BTCUSDT, format="binance", out=tmp / "b.parquet", depth=5, trades_out=tmp / "t.parquet")
    return tmp / "b.parquet", read_trades(tmp / "t.parquet")


def test_features_of_a_device_book_equal_the_cpu_and_only_trades_move(tiny):
    book, trades = tiny
    cpu = compute(book, FEATURES, engine="cpu", trades=trades)
    device = book.to("gpu")
    with transfers.recording() as moves:
        gpu = compute(device, FEATURES, engine="gpu", trades=trades)
    for name in FEATURES:
        np.testing.assert_allclose(
            to_device(gpu[name], "cpu"), cpu[name], rtol=1e-10, atol=0, equal_nan=True, err_msg=name
        )
    # The trades arrays go up once; the volume profile (a CPU kernel) takes its window bounds
    # down and its three results up; nothing of the book or of any other feature moves.
    assert set(moves.labels("h2d")) == TRADE_ARRAYS | {"vp_poc profile"}
    assert moves.count("h2d") == len(TRADE_ARRAYS) + 3
    assert moves.labels("d2h") == ["vp_poc window bounds"] * 2
    assert moves.count(explicit=False) == 0


def test_labels_of_a_device_book_equal_the_cpu_and_move_nothing(tiny):
    book, _ = tiny
    cpu = labels.compute(book, LABELS, engine="cpu")
    device = book.to("gpu")
    with transfers.recording() as moves:
        gpu = labels.compute(device, LABELS, engine="gpu")
    assert moves.count() == 0, moves.summary()
    assert set(gpu) == set(cpu)
    for name in cpu:
        np.testing.assert_array_equal(to_device(gpu[name], "cpu"), cpu[name], err_msg=name)


def test_a_host_book_on_the_gpu_goes_up_once_and_results_come_back(tiny):
    book, _ = tiny
    with transfers.recording() as moves:
        out = compute(book, ["imbalance_4", "ofi_2s", "rv_50ms"], engine="gpu")
    assert all(isinstance(v, np.ndarray) for v in out.values())
    assert sorted(moves.labels("h2d")) == sorted(f"Book.{n}" for n in book.arrays())
    assert moves.nbytes("h2d") == sum(a.nbytes for a in book.arrays().values())
    assert moves.count("d2h") == 3


def test_read_book_uploads_each_array_once_and_keeps_the_host_timestamps(sample):
    path, _ = sample
    host = read_book(path, engine="cpu")
    with transfers.recording() as moves:
        device = read_book(path, engine="gpu")
        window = device.between(int(host.ts[100]), int(host.ts[200]))
        first, last = device.span_ns()
        sliced = device[50:60].host_ts()
    assert device.device == "gpu" and window.device == "gpu" and len(window) == 100
    assert (first, last) == (int(host.ts[0]), int(host.ts[-1]))
    np.testing.assert_array_equal(sliced, host.ts[50:60])
    assert sorted(moves.labels()) == sorted(f"Book.{n}" for n in host.arrays())
    assert moves.nbytes("h2d") == sum(a.nbytes for a in host.arrays().values())
    np.testing.assert_array_equal(to_device(device.bid_px, "cpu"), host.bid_px)


def test_signal_scales_on_the_device_equal_the_cpu_one_scalar_each(tiny):
    book, trades = tiny
    signals = compute(book, ["imbalance_4", "ofi_2s"], engine="cpu", trades=trades)
    signals["undefined"] = np.full(len(book), np.nan)
    device = {k: to_device(v, "gpu") for k, v in signals.items()}
    with transfers.recording() as moves:
        scales = signal_scales(device, 0.9)
    assert scales == signal_scales(signals, 0.9) and scales["undefined"] == 1.0
    explicit = moves.select("d2h", explicit=True)
    assert [t.label for t in explicit] == ["scale of imbalance_4", "scale of ofi_2s"]
    assert all(t.nbytes == 8 for t in explicit)
    assert moves.count(explicit=False) == 3, "CuPy syncs each finite selection's size"
    assert moves.count("h2d") == 0


def test_a_planted_host_conversion_in_a_feature_fails_on_the_device(tiny, monkeypatch):
    book, _ = tiny
    honest = book_shape.ratio

    def leaky(xp, num, den):
        return honest(xp, np.asarray(num), den)  # the kind of slip the strict device exists for

    monkeypatch.setattr(book_shape, "ratio", leaky)
    compute(book, ["imbalance_4"], engine="cpu")  # on the CPU the slip is invisible
    with pytest.raises(TypeError, match=r"np.asarray\(\).*would copy a device array"):
        compute(book.to("gpu"), ["imbalance_4"], engine="gpu")


SMALL_STRATEGY: dict[str, list] = {
    "entry": [0.4, 0.7],
    "exit": [0.0],
    "max_hold": ["1s"],
    "stop_loss_bps": [0.0],
    "take_profit_bps": [0.0],
    "size": [0.01],
    "latency": [0, "50ms"],
    "cooldown": [0],
    "direction": ["both"],
    "taker_fee_bps": [5.0],
}


def run_pipeline(path, trades, engine):
    """The application job's stages through the public API, as the job will call them."""
    book = read_book(path, engine=engine)[:300]
    signals = compute(book, ["imbalance_5", "ofi_2s"], engine=engine, trades=trades)
    targets = labels.compute(book, ["fwd_ret_2s", "tbarrier_1s_2spread"], engine=engine)
    params = strategy_grid(THRESHOLD, SMALL_STRATEGY, signal_scales(signals, 0.99))
    result = sweep(
        book, signals, params=params, engine=engine, sharpe_bucket="250ms", bucket_returns=True
    )
    top = result.table.sort_values("pnl", kind="stable").index[-3:]
    recorded = sweep(
        book,
        signals,
        params=params.iloc[top],
        engine=engine,
        record=range(3),
        sharpe_bucket="250ms",
    )
    judged = overfitting(result.bucket_pnl, int(top[-1]), engine=engine)
    walk = walk_forward(
        book, signals, params, train="4s", test="2s", engine=engine, sharpe_bucket="250ms"
    )
    return targets, result, recorded, judged, walk


def test_the_job_pipeline_on_the_strict_device_moves_the_book_once(sample):
    path, trades = sample
    cpu = run_pipeline(path, trades, "cpu")
    with transfers.recording() as moves:
        gpu = run_pipeline(path, trades, "gpu")
    uploads = Counter(moves.labels("h2d"))
    book_arrays = {f"Book.{name}" for name in ("ts", "local_ts", "seq")}
    book_arrays |= {f"Book.{side}" for side in ("bid_px", "bid_sz", "ask_px", "ask_sz")}
    assert all(uploads[name] == 1 for name in book_arrays), "the book goes up once, whole"
    assert set(uploads) - book_arrays <= {
        "sweep params",
        "record params",
        "pbo block sizes",
        "pbo splits",
    }, "after the book only parameters go up"
    explicit = [t.label for t in moves.select(explicit=True)]
    assert not [label for label in explicit if label.startswith(("signal ", "sweep chunk"))]
    assert moves.nbytes("d2h") < moves.nbytes("h2d") / 10, moves.summary()
    cpu_targets, cpu_result, cpu_recorded, cpu_judged, cpu_walk = cpu
    gpu_targets, gpu_result, gpu_recorded, gpu_judged, gpu_walk = gpu
    for name, values in cpu_targets.items():
        np.testing.assert_array_equal(to_device(gpu_targets[name], "cpu"), values, err_msg=name)
    np.testing.assert_array_equal(gpu_result.table.n_trades, cpu_result.table.n_trades)
    np.testing.assert_allclose(gpu_result.table.pnl, cpu_result.table.pnl, rtol=1e-10)
    for k in range(3):
        np.testing.assert_allclose(
            gpu_recorded.trades(k).net_pnl, cpu_recorded.trades(k).net_pnl, rtol=1e-10
        )
    assert vars(gpu_judged) == vars(cpu_judged)
    np.testing.assert_allclose(gpu_walk.folds.oos_pnl, cpu_walk.folds.oos_pnl, rtol=1e-10)


class FakeCudf:
    """cuDF's read path as the book store uses it, decoding "on the device" (no upload)."""

    class Column:
        def __init__(self, values):
            self.values = StrictArray(values)  # decoded in device memory: nothing crosses
            self.null_count = 0

    def read_parquet(self, path):
        table = pq.read_table(path)
        frame = {name: self.Column(table.column(name).to_numpy()) for name in table.column_names}
        return type("Frame", (), {"columns": list(frame), "__getitem__": lambda _, k: frame[k]})()


def test_read_book_with_cudf_reads_into_device_memory_and_checks_the_file(sample, monkeypatch):
    path, _ = sample
    monkeypatch.setitem(sys.modules, "cudf", FakeCudf())
    monkeypatch.setattr(device_read, "cudf_available", lambda: True)
    host = read_book(path, engine="cpu")
    with transfers.recording() as moves:
        device = read_book(path, engine="gpu")
        first, _ = device.span_ns()
    assert device.device == "gpu" and first == int(host.ts[0])
    assert moves.count("h2d") == 0, "the data never passes through an upload"
    assert {t.label for t in moves.select("d2h", explicit=True)} <= {
        "crossed row ids",
        "book level checks",
    }
    assert moves.count(explicit=False) == 1, "counting the crossed rows syncs one size"
    for name, values in host.arrays().items():
        np.testing.assert_array_equal(to_device(getattr(device, name), "cpu"), values)
    with pytest.raises(BookStoreNotFoundError, match="no such file"):
        read_book(path.parent / "missing.parquet", engine="gpu")


def test_read_book_with_cudf_refuses_a_broken_store_naming_the_check(sample, tmp_path, monkeypatch):
    path, _ = sample
    table = pq.read_table(path)
    sizes = table.column("bid_sz_1").to_numpy().copy()
    sizes[17] = -sizes[17]
    index = table.column_names.index("bid_sz_1")
    pq.write_table(
        table.set_column(index, "bid_sz_1", pa.array(sizes)), tmp_path / "broken.parquet"
    )
    monkeypatch.setitem(sys.modules, "cudf", FakeCudf())
    monkeypatch.setattr(device_read, "cudf_available", lambda: True)
    with pytest.raises(BookStoreError, match="row 17") as refused:
        read_book(tmp_path / "broken.parquet", engine="gpu")
    assert refused.value.check == "level_size_positive"
