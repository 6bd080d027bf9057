import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from l2gpu.backend import is_device_array, to_device, transfers
from l2gpu.backtest import METRICS, sweep
from l2gpu.backtest.sweep_inputs import book_arrays
from l2gpu.data import Book, synthetic
from l2gpu.kernels import sweep_layout as layout
from l2gpu.kernels.sweep_args import BookArrays, SweepState
from l2gpu.kernels.sweep_cpu import BLOCK_ROWS
from tests.backtest.configs import random_configs
from tests.books import random_book
from tests.reference_sweep import backtest

INTEGER_METRICS = ("n_trades", "depth_exhausted")


def assert_agrees_with_reference(book, signals, configs, record, **options):
    result = sweep(
        book, signals, params=configs, engine="cpu", record=record, bucket_returns=True, **options
    )
    assert result.bucket_pnl is not None
    for i, cfg in enumerate(configs):
        want, trades = backtest(book, signals[cfg["signal"]], cfg)
        got = result.table.iloc[i]
        np.testing.assert_allclose(
            result.bucket_pnl[:, i],
            want["bucket_changes"],
            rtol=1e-10,
            atol=1e-9,
            err_msg=f"config {i} bucket pnl",
        )
        for metric in METRICS:
            if metric in INTEGER_METRICS:
                assert got[metric] == want[metric], (i, metric, cfg)
            else:
                rtol = 1e-9 if metric == "sharpe" else 1e-10
                np.testing.assert_allclose(
                    got[metric],
                    want[metric],
                    rtol=rtol,
                    atol=1e-12,
                    equal_nan=True,
                    err_msg=f"config {i} {metric} {cfg}",
                )
        if i in record:
            recorded = result.trades(i)
            assert len(recorded) == len(trades)
            if trades:
                np.testing.assert_array_equal(
                    recorded.to_dict("list")["entry_row"], [tr["entry_row"] for tr in trades]
                )
                for column in recorded.columns:
                    np.testing.assert_allclose(
                        recorded[column].to_numpy(),
                        np.array([tr[column] for tr in trades]),
                        rtol=1e-12,
                        err_msg=f"config {i} {column}",
                    )
    return result


def test_kernel_agrees_with_the_python_event_loop_on_random_books():
    rng = np.random.default_rng(17)
    book = random_book(rng, rows=700, depth=4)
    signals = {"a": rng.normal(size=len(book)), "b": np.cumsum(rng.normal(size=len(book))) / 5}
    signals["a"][rng.random(len(book)) < 0.03] = np.nan
    configs = random_configs(rng, 240, signals)
    result = assert_agrees_with_reference(book, signals, configs, record=range(0, 240, 12))
    assert (result.table.n_trades > 0).mean() > 0.8
    assert (result.table.depth_exhausted > 0).any(), "deep orders must exhaust some books"


@pytest.mark.parametrize("skipping", ["never", "always"])
def test_configs_resumed_block_by_block_agree_with_the_python_event_loop(skipping):
    """Rows run in blocks of ``BLOCK_ROWS``: configs pause at a block's end and jump past it."""
    rng = np.random.default_rng(23)
    rows = 3 * BLOCK_ROWS + 77
    book = random_book(rng, rows=rows, depth=3)
    spikes = np.where(rng.random(rows) < 0.004, rng.choice([-3.0, 3.0], rows), 0.1)
    signals = {"walk": np.cumsum(rng.normal(size=rows)) / 8, "spikes": spikes}
    configs = random_configs(rng, 48, signals)
    record = range(0, 48, 3)
    result = assert_agrees_with_reference(book, signals, configs, record, skipping=skipping)
    trades = pd.concat([result.trades(i) for i in record])
    spans = trades.exit_row // BLOCK_ROWS - trades.entry_row // BLOCK_ROWS
    assert (spans > 0).any(), "some position must be held across a block's end"
    assert (result.table.n_trades > 0).mean() > 0.5


def test_kernel_agrees_with_the_python_event_loop_on_the_btcusdt_sample(btcusdt):
    book, signals = btcusdt
    configs = random_configs(np.random.default_rng(5), 200, signals)
    result = assert_agrees_with_reference(book, signals, configs, record=[0, 7, 99, 150])
    assert (result.table.n_trades > 0).all()


@pytest.mark.parametrize("seed", range(3))
def test_chunked_runs_equal_one_pass_exactly(btcusdt, seed):
    book, signals = btcusdt
    rng = np.random.default_rng(seed)
    configs = random_configs(rng, 60, signals)
    whole = sweep(book, signals, params=configs, engine="cpu").table
    chunk = int(rng.integers(1, 3 * BLOCK_ROWS))
    chunked = sweep(book, signals, params=configs, engine="cpu", chunk_rows=chunk).table
    pd.testing.assert_frame_equal(whole, chunked, check_exact=True)


def test_grid_expands_as_a_cartesian_product(btcusdt):
    book, signals = btcusdt
    result = sweep(
        book,
        signals,
        grid={
            "signal": ["imbalance_5"],
            "entry": [0.2, 0.4, 0.6],
            "latency": [0, "50ms"],
            "direction": ["long", "both"],
        },
    )
    assert len(result.table) == 12
    assert result.table.groupby(["entry", "latency", "direction"]).size().eq(1).all()
    best = result.best("pnl", 3)
    assert len(best) == 3 and best.pnl.is_monotonic_decreasing


def test_costs_only_ever_lower_the_pnl(btcusdt):
    book, signals = btcusdt
    grid: dict[str, list] = {
        "signal": ["ofi_2s"],
        "entry": [1.0, 3.0],
        "size": [0.05],
        "taker_fee_bps": [0.0, 5.0],
    }
    table = sweep(book, signals, grid=grid).table
    free, paid = table[table.taker_fee_bps == 0], table[table.taker_fee_bps == 5]
    assert (paid.fees.to_numpy() > 0).all() and (free.fees.to_numpy() == 0).all()
    np.testing.assert_allclose(table.pnl, table.gross_pnl - table.fees, rtol=1e-12)


def test_bad_configs_are_refused_with_their_row(btcusdt):
    book, signals = btcusdt
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['stop'\]"):
        sweep(book, signals, params=[{"signal": "ofi_2s", "entry": 1, "stop": 3}])
    with pytest.raises(ValueError, match="config 1: entry=0 must be > 0"):
        sweep(
            book,
            signals,
            params=[{"signal": "ofi_2s", "entry": 1}, {"signal": "ofi_2s", "entry": 0}],
        )
    with pytest.raises(ValueError, match="signal 'obi' is not among the signals"):
        sweep(book, signals, params=[{"signal": "obi", "entry": 1}])
    with pytest.raises(ValueError, match="direction 'up' is not one of"):
        sweep(book, signals, params=[{"signal": "ofi_2s", "entry": 1, "direction": "up"}])
    with pytest.raises(ValueError, match="latency: '5x' is not a window"):
        sweep(book, signals, params=[{"signal": "ofi_2s", "entry": 1, "latency": "5x"}])
    with pytest.raises(ValueError, match="either grid="):
        sweep(book, signals)
    with pytest.raises(ValueError, match="has shape"):
        sweep(book, {"short": np.zeros(3)}, params=[{"signal": "short", "entry": 1}])
    with pytest.raises(KeyError, match="was not recorded"):
        sweep(book, signals, params=[{"signal": "ofi_2s", "entry": 1}]).trades(0)
    assert math.isnan(
        sweep(book, signals, params=[{"signal": "ofi_2s", "entry": 1e9}]).table.win_rate[0]
    )


def assert_same_results(gpu, cpu, record=()):
    """Integer outputs exactly, money to rtol 1e-10; the pnl matrix and recorded trades too."""
    for metric in METRICS:
        if metric in INTEGER_METRICS:
            np.testing.assert_array_equal(gpu.table[metric], cpu.table[metric], err_msg=metric)
        else:
            np.testing.assert_allclose(
                gpu.table[metric],
                cpu.table[metric],
                rtol=1e-10,
                atol=0,
                equal_nan=True,
                err_msg=metric,
            )
    if cpu.bucket_pnl is not None:
        np.testing.assert_allclose(
            to_device(gpu.bucket_pnl, "cpu"), cpu.bucket_pnl, rtol=1e-10, atol=1e-12
        )
    for config in record:
        got, want = gpu.trades(config), cpu.trades(config)
        assert len(got) == len(want) > 0, config
        for column in want.columns:
            if want[column].dtype.kind == "i":
                np.testing.assert_array_equal(got[column], want[column], err_msg=column)
            else:
                np.testing.assert_allclose(got[column], want[column], rtol=1e-10, err_msg=column)


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(29)
    book = random_book(rng, rows=120, depth=3)
    signals = {"a": rng.normal(size=len(book)), "b": np.cumsum(rng.normal(size=len(book))) / 4}
    configs = random_configs(rng, 30, signals)
    record = [0, 4, 9]
    cpu = sweep(book, signals, params=configs, engine="cpu", record=record, bucket_returns=True)
    assert (cpu.table.n_trades.iloc[record] > 0).all()
    return book, signals, configs, record, cpu


def on_device(book, signals):
    return book.to("gpu"), {name: to_device(values, "gpu") for name, values in signals.items()}


def assert_params_up_results_down(moves, recorded):
    """The transfers of one sweep over a device book: exactly these, in this order."""
    up = ["sweep params"] + (["record params"] if recorded else [])
    down = ["sweep fstate", "sweep istate"]
    down += ["recorded trades", "recorded trade rows"] if recorded else []
    assert moves.labels("h2d") == up, moves.summary()
    assert moves.labels("d2h") == down, moves.summary()
    assert moves.count(explicit=False) == 0


@pytest.mark.cuda_kernel
@pytest.mark.parametrize("chunk_rows", [None, 37])
@pytest.mark.parametrize("recorded", [False, True])
def test_a_sweep_over_a_device_book_moves_params_up_and_results_down(tiny, chunk_rows, recorded):
    book, signals, configs, record, cpu = tiny
    device_book, device_signals = on_device(book, signals)
    kept = record if recorded else []
    with transfers.recording() as moves:
        gpu = sweep(
            device_book,
            device_signals,
            params=configs,
            engine="gpu",
            record=kept,
            bucket_returns=True,
            chunk_rows=chunk_rows,
        )
    assert_params_up_results_down(moves, recorded)
    assert moves.nbytes("h2d") == (len(configs) + len(kept)) * layout.N_PARAMS * 8
    assert is_device_array(gpu.bucket_pnl), "the pnl matrix stays on the book's device"
    assert_same_results(gpu, cpu, kept)


@pytest.mark.cuda_kernel
def test_a_host_book_on_the_gpu_streams_each_chunk_up_once_per_pass(tiny):
    book, signals, configs, record, cpu = tiny
    with transfers.recording() as moves:
        gpu = sweep(
            book,
            signals,
            params=configs,
            engine="gpu",
            record=record,
            bucket_returns=True,
            chunk_rows=50,
        )
    chunks = 3  # 120 rows in chunks of 50, once for the sweep and once for the recording
    streamed = [f"sweep chunk {name}" for name in BookArrays._fields] + ["sweep chunk signals"]
    assert Counter(moves.labels("h2d")) == {
        "sweep params": 1,
        "record params": 1,
        **{label: 2 * chunks for label in streamed},
    }
    assert "bucket pnl" in moves.labels("d2h"), "a host book gets its pnl matrix back"
    assert isinstance(gpu.bucket_pnl, np.ndarray)
    assert_same_results(gpu, cpu, record)


@pytest.mark.cuda_kernel
def test_progress_is_reported_after_each_chunk_kernel_has_finished(tiny, monkeypatch):
    from l2gpu.backtest import gpu_driver
    from l2gpu.kernels import sweep_cuda

    book, signals, configs, _, _ = tiny
    events = []
    launch = sweep_cuda.sweep_chunk_cuda

    def launching(*args, **kwargs):
        events.append("launch")
        launch(*args, **kwargs)

    monkeypatch.setattr(sweep_cuda, "sweep_chunk_cuda", launching)
    monkeypatch.setattr(gpu_driver, "synchronize", lambda: events.append("synchronise"))
    device_book, device_signals = on_device(book, signals)
    sweep(
        device_book,
        device_signals,
        params=configs,
        engine="gpu",
        chunk_rows=40,
        progress=lambda done, rows: events.append(f"{done}/{rows}"),
    )
    assert events == [e for done in (40, 80, 120) for e in ("launch", "synchronise", f"{done}/120")]


@pytest.mark.cuda_kernel
def test_streamed_chunks_are_sized_after_the_state_and_its_pnl_matrix(tiny, monkeypatch):
    from l2gpu.backend import strict_memory
    from l2gpu.backtest import gpu_driver

    book, signals, configs, _, cpu = tiny
    seen = []
    sizing = gpu_driver.chunk_rows_for

    def spy(free_bytes, n_signals, depth):
        seen.append(free_bytes)
        return sizing(free_bytes, n_signals, depth)

    monkeypatch.setattr(gpu_driver, "chunk_rows_for", spy)
    free = []
    for buckets in (False, True):
        free.append(strict_memory.memory().free)
        sweep(book, signals, params=configs, engine="gpu", bucket_returns=buckets)
    n_buckets = cpu.bucket_pnl.shape[0]
    assert free[0] - seen[0] == gpu_driver.state_bytes(len(configs), 0)
    assert free[1] - seen[1] == gpu_driver.state_bytes(len(configs), n_buckets)
    assert seen[0] - seen[1] == len(configs) * n_buckets * 8


@pytest.mark.cuda_kernel
def test_a_state_larger_than_the_device_is_refused_before_allocating(tiny):
    from l2gpu.backend import strict_memory
    from l2gpu.backtest.gpu_driver import state_bytes

    book, signals, configs, _, cpu = tiny
    device_book, device_signals = on_device(book, signals)
    need = state_bytes(len(configs), cpu.bucket_pnl.shape[0])
    with (
        strict_memory.capacity(strict_memory.memory().live + need - 1),
        pytest.raises(MemoryError, match=r"30 configs need 0.00 GiB of state"),
    ):
        sweep(device_book, device_signals, params=configs, engine="gpu", bucket_returns=True)
    sweep(device_book, device_signals, params=configs[:1], engine="gpu", bucket_returns=True)


@pytest.mark.cuda_kernel
def test_planted_leaks_in_the_gpu_sweep_fail_the_suite(tiny, monkeypatch):
    from l2gpu.backtest import gpu_driver
    from l2gpu.kernels import sweep_cuda

    book, signals, configs, _, _ = tiny
    device_book, device_signals = on_device(book, signals)
    launch = sweep_cuda.sweep_chunk_cuda

    def reuploading(book_arrays, chunk_signals, order, state, out, offset):
        params = to_device(to_device(state.params, "cpu"), "gpu")  # params again, every chunk
        launch(book_arrays, chunk_signals, order, SweepState(params, *state[1:]), out, offset)

    monkeypatch.setattr(sweep_cuda, "sweep_chunk_cuda", reuploading)
    with transfers.recording() as moves:
        sweep(device_book, device_signals, params=configs, engine="gpu", chunk_rows=60)
    with pytest.raises(AssertionError):
        assert_params_up_results_down(moves, recorded=False)
    monkeypatch.setattr(sweep_cuda, "sweep_chunk_cuda", launch)

    honest = gpu_driver.signal_order
    monkeypatch.setattr(
        gpu_driver, "signal_order", lambda params, xp: honest(xp.asarray(np.asarray(params)), xp)
    )
    with pytest.raises(TypeError, match="would copy a device array to the host implicitly"):
        sweep(device_book, device_signals, params=configs, engine="gpu")


@pytest.mark.gpu
def test_gpu_sweep_matches_cpu_on_the_full_sample(btcusdt):
    book, signals = btcusdt
    configs = random_configs(np.random.default_rng(8), 500, signals)
    cpu = sweep(book, signals, params=configs, engine="cpu").table
    gpu = sweep(book, signals, params=configs, engine="gpu").table
    for metric in METRICS:
        np.testing.assert_allclose(
            gpu[metric], cpu[metric], rtol=1e-10, atol=0, equal_nan=True, err_msg=metric
        )


def test_a_config_set_too_large_for_the_device_is_a_clear_error():
    from l2gpu.backtest.gpu_driver import check_state_fits, chunk_rows_for, state_bytes

    assert chunk_rows_for(8 * 2**30, signals=2, depth=10) > 10**7
    # 10,000 configs with 345 buckets: (13 + 17 + 15 + 1 + 345) * 8 bytes each
    assert state_bytes(10_000, 345) == 10_000 * 391 * 8
    check_state_fits(2**30, configs=10_000, buckets=345)
    with pytest.raises(
        MemoryError,
        match=r"1,000,000 configs need 2.91 GiB of state and per-bucket pnl \(345 buckets\); "
        r"the device has 1.00 GiB free",
    ):
        check_state_fits(2**30, configs=1_000_000, buckets=345)
    with pytest.raises(MemoryError, match="a chunk of rows needs 360 bytes a row"):
        chunk_rows_for(500, signals=2, depth=10)


def test_the_top_level_api_is_the_one_the_docs_use():
    import l2gpu

    assert l2gpu.sweep is sweep and callable(l2gpu.ingest) and callable(l2gpu.read_book)


@pytest.mark.parametrize("bucket_ns", [1, 7_000_003, 10**9])
def test_the_row_inputs_are_the_mid_and_the_floor_divided_bucket_of_each_row(bucket_ns):
    book = synthetic(5000, depth=3, seed=4)
    ts = book.ts.copy()
    ts[100:110] -= 5 * 10**9  # time going back: buckets below the first row's
    bid = book.bid_px.copy()
    bid[0, ::50] = np.nan  # rows without a side: no mid
    book = Book(ts, book.local_ts, book.seq, bid, book.bid_sz, book.ask_px, book.ask_sz)
    inputs = book_arrays(book, bucket_ns)
    first = int(ts[0])
    want_buckets = [(int(t) - first) // bucket_ns for t in ts]
    np.testing.assert_array_equal(inputs.row_bucket, want_buckets)
    asks = book.ask_px[0].tolist()
    want_mid = [(b + a) * 0.5 for b, a in zip(bid[0].tolist(), asks, strict=True)]
    np.testing.assert_array_equal(inputs.mid, want_mid)
