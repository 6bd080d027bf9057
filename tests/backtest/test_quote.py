import numpy as np
import pytest

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
