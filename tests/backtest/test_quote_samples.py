"""The quote kernel against its reference on both real Binance samples, and chunked runs."""

import numpy as np
import pandas as pd
import pytest

from l2gpu.backtest.quote import METRICS, quote_sweep
from l2gpu.backtest.quote.result import INTEGER_METRICS
from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import ingest
from l2gpu.features import compute
from tests.backtest.quote_cases import assert_agrees_with_reference, random_configs
from tests.samples import BTCUSDT, ETHUSDT


def _sample(tmp_path_factory, path, name):
    tmp = tmp_path_factory.mktemp(name)
    ingest(path, format="binance", out=tmp / "b.parquet", depth=10, trades_out=tmp / "t.parquet")
    book = read_book(tmp / "b.parquet", engine="cpu")
    signals = compute(book, ["imbalance_5"], engine="cpu")
    return book, read_trades(tmp / "t.parquet"), signals


@pytest.fixture(scope="module")
def btcusdt(tmp_path_factory):
    return _sample(tmp_path_factory, BTCUSDT, "btc")


@pytest.fixture(scope="module")
def ethusdt(tmp_path_factory):
    return _sample(tmp_path_factory, ETHUSDT, "eth")


@pytest.mark.parametrize("sample", ["btcusdt", "ethusdt"])
def test_kernel_agrees_with_the_reference_on_the_binance_samples(sample, request):
    book, trades, signals = request.getfixturevalue(sample)
    configs = random_configs(np.random.default_rng(11), 14, signals, time_unit="00ms")
    result = assert_agrees_with_reference(book, trades, signals, configs, record=[2, 5, 9])
    table = result.table
    assert (table.n_fills > 0).all()
    assert table.adverse_selection_bps.notna().all()


@pytest.mark.parametrize("seed", range(2))
def test_chunked_runs_equal_one_pass_exactly(btcusdt, seed):
    book, trades, signals = btcusdt
    rng = np.random.default_rng(seed)
    configs = random_configs(rng, 40, signals, time_unit="00ms")
    whole = quote_sweep(book, trades, signals, params=configs, engine="cpu", bucket_returns=True)
    chunk = int(rng.integers(1, 700))
    chunked = quote_sweep(
        book, trades, signals, params=configs, engine="cpu", chunk_rows=chunk, bucket_returns=True
    )
    pd.testing.assert_frame_equal(whole.table, chunked.table, check_exact=True)
    np.testing.assert_array_equal(whole.bucket_pnl, chunked.bucket_pnl)


@pytest.mark.gpu
def test_gpu_quote_sweep_matches_cpu_on_the_btcusdt_sample(btcusdt):
    book, trades, signals = btcusdt
    configs = random_configs(np.random.default_rng(8), 300, signals, time_unit="00ms")
    cpu = quote_sweep(book, trades, signals, params=configs, engine="cpu")
    gpu = quote_sweep(book, trades, signals, params=configs, engine="gpu")
    for metric in METRICS:
        if metric in INTEGER_METRICS:
            np.testing.assert_array_equal(gpu.table[metric], cpu.table[metric], err_msg=metric)
        else:
            np.testing.assert_allclose(
                gpu.table[metric], cpu.table[metric], rtol=1e-10, equal_nan=True, err_msg=metric
            )


def test_a_config_set_too_large_for_the_device_is_a_clear_error():
    from l2gpu.backtest.quote.gpu import chunk_rows_for

    assert chunk_rows_for(8 * 2**30, configs=10_000, signals=2, depth=10, trades=10**6) > 10**5
    with pytest.raises(MemoryError, match=r"10,000,000 configs and 1,000 trades need [\d.]+ GiB"):
        chunk_rows_for(2**30, configs=10_000_000, signals=2, depth=10, trades=1000)
