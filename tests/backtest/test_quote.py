import numpy as np
import pandas as pd
import pytest

from l2gpu.backtest.quote import METRICS, quote_sweep
from l2gpu.backtest.quote.result import INTEGER_METRICS
from tests.backtest.quote_cases import assert_agrees_with_reference, random_configs, stretched
from tests.books import random_book, random_trades


@pytest.mark.parametrize("seed", range(3))
def test_kernel_agrees_with_the_reference_on_random_books_and_trades(seed):
    rng = np.random.default_rng(100 + seed)
    book = stretched(random_book(rng, rows=400, depth=4), 8)
    trades = random_trades(rng, book, 700)
    signals = {"a": rng.normal(size=len(book))}
    signals["a"][rng.random(len(book)) < 0.03] = np.nan
    configs = random_configs(rng, 80, signals)
    result = assert_agrees_with_reference(book, trades, signals, configs, record=range(0, 80, 7))
    table = result.table
    assert (table.n_fills > 0).mean() > 0.8
    assert (table.rejected > 0).any()
    assert (table.taker_exits > 1).any()
    assert (table.throttled > 0).any() and (table.seen_early > 0).any()
    assert table.adverse_selection_bps.notna().mean() > 0.5


@pytest.mark.cuda_kernel
def test_cuda_twin_matches_the_cpu_kernel_on_a_tiny_book():
    rng = np.random.default_rng(31)
    book = stretched(random_book(rng, rows=70, depth=3), 20)
    trades = random_trades(rng, book, 150)
    signals = {"a": rng.normal(size=len(book))}
    configs = random_configs(rng, 10, signals)
    cpu = quote_sweep(book, trades, signals, params=configs, engine="cpu", bucket_returns=True)
    gpu = quote_sweep(
        book, trades, signals, params=configs, engine="gpu", chunk_rows=17, bucket_returns=True
    )
    for metric in METRICS:
        if metric in INTEGER_METRICS:
            np.testing.assert_array_equal(gpu.table[metric], cpu.table[metric], err_msg=metric)
        else:
            np.testing.assert_allclose(
                gpu.table[metric], cpu.table[metric], rtol=1e-10, equal_nan=True, err_msg=metric
            )
    assert cpu.bucket_pnl is not None and gpu.bucket_pnl is not None
    np.testing.assert_allclose(gpu.bucket_pnl, cpu.bucket_pnl, rtol=1e-10, atol=1e-12)
    assert (cpu.table.n_fills > 0).mean() > 0.5


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_kernel_agrees_with_the_reference_on_larger_random_books(seed):
    rng = np.random.default_rng(500 + seed)
    book = stretched(random_book(rng, rows=1500, depth=int(rng.integers(1, 6))), 5)
    trades = random_trades(rng, book, 3000)
    signals = {"a": rng.normal(size=len(book)), "b": np.cumsum(rng.normal(size=len(book)))}
    configs = random_configs(rng, 150, signals)
    assert_agrees_with_reference(book, trades, signals, configs, record=range(0, 150, 10))


def test_a_holding_limit_in_rows_beside_none_stays_rows():
    rng = np.random.default_rng(12)
    book = stretched(random_book(rng, rows=200, depth=3), 8)
    trades = random_trades(rng, book, 300)
    configs = pd.DataFrame({"max_hold": pd.Series([None, 16], dtype=object)})
    both = quote_sweep(book, trades, params=configs, engine="cpu")
    alone = quote_sweep(book, trades, params=[{"max_hold": 16}], engine="cpu")
    assert both.table.max_hold.tolist() == [None, 16]
    second = both.table.iloc[1:].reset_index(drop=True)
    pd.testing.assert_frame_equal(second, alone.table, check_exact=True, check_dtype=False)
