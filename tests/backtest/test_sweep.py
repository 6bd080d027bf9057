import math

import numpy as np
import pandas as pd
import pytest

from l2gpu.backtest import METRICS, sweep
from l2gpu.data import read_book
from l2gpu.data.ingest import ingest
from l2gpu.features import compute
from tests.backtest.configs import random_configs
from tests.books import random_book
from tests.reference_sweep import backtest
from tests.samples import BTCUSDT

INTEGER_METRICS = ("n_trades", "depth_exhausted")


def assert_agrees_with_reference(book, signals, configs, record):
    result = sweep(book, signals, params=configs, engine="cpu", record=record, bucket_returns=True)
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


@pytest.fixture(scope="module")
def btcusdt(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("btc")
    ingest(BTCUSDT, format="binance", out=tmp / "b.parquet", depth=10)
    book = read_book(tmp / "b.parquet", engine="cpu")
    return book, compute(book, ["imbalance_5", "ofi_2s"], engine="cpu")


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
    chunk = int(rng.integers(1, 900))
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


@pytest.mark.cuda_kernel
def test_cuda_kernel_matches_the_cpu_kernel_on_a_tiny_book():
    rng = np.random.default_rng(23)
    book = random_book(rng, rows=150, depth=3)
    signals = {"a": rng.normal(size=len(book)), "b": rng.normal(size=len(book))}
    configs = random_configs(rng, 40, signals)
    cpu = sweep(book, signals, params=configs, engine="cpu", bucket_returns=True)
    gpu = sweep(book, signals, params=configs, engine="gpu", bucket_returns=True)
    for metric in METRICS:
        np.testing.assert_allclose(
            gpu.table[metric], cpu.table[metric], rtol=1e-10, atol=0, equal_nan=True, err_msg=metric
        )
    assert cpu.bucket_pnl is not None and gpu.bucket_pnl is not None
    np.testing.assert_allclose(gpu.bucket_pnl, cpu.bucket_pnl, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cpu.bucket_pnl.sum(axis=0), cpu.table.pnl, rtol=1e-9, atol=1e-9)
    assert (cpu.table.n_trades > 0).any()


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
    from l2gpu.backtest.gpu_driver import chunk_rows_for

    assert chunk_rows_for(8 * 2**30, configs=10_000, signals=2, depth=10) > 10**6
    with pytest.raises(
        MemoryError,
        match=r"10,000,000 configs need [\d.]+ GiB of state; the "
        r"device has 1.00 GiB free",
    ):
        chunk_rows_for(2**30, configs=10_000_000, signals=2, depth=10)


def test_the_top_level_api_is_the_one_the_docs_use():
    import l2gpu

    assert l2gpu.sweep is sweep and callable(l2gpu.ingest) and callable(l2gpu.read_book)
