"""Invariants every results table keeps, on random books (empty sides included) and configs.

- ``pnl == gross_pnl - fees`` exactly, per config;
- every opened position is closed, or reported in ``open_position``, which only happens when the
  side that would close it is empty at the last row;
- a metric is NaN only for the reason ``NAN_REASONS`` gives.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from l2gpu.backtest import METRICS, sweep
from l2gpu.backtest.result import NAN_REASONS
from tests.backtest.configs import random_configs
from tests.books import random_book

CONFIGS = 40


def book_and_signals(seed: int, rows: int, empty_tail: str, tail: int):
    rng = np.random.default_rng(seed)
    book = random_book(rng, rows=rows, depth=3)
    if empty_tail != "none":  # a side of the book vanishes for the last rows
        px, sz = (book.bid_px, book.bid_sz) if empty_tail == "bid" else (book.ask_px, book.ask_sz)
        px[:, rows - tail :] = np.nan
        sz[:, rows - tail :] = 0.0
    signals = {"a": rng.normal(size=rows), "b": np.cumsum(rng.normal(size=rows)) / 4}
    return book, signals, random_configs(rng, CONFIGS, signals)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(2, 160),
    empty_tail=st.sampled_from(["none", "bid", "ask"]),
    tail=st.integers(1, 30),
)
def test_pnl_open_positions_and_nan_metrics_keep_their_invariants(seed, rows, empty_tail, tail):
    book, signals, configs = book_and_signals(seed, rows, empty_tail, min(tail, rows))
    result = sweep(
        book, signals, params=configs, engine="cpu", bucket_returns=True, sharpe_bucket="5ms"
    )
    table = result.table
    assert result.bucket_pnl is not None
    assert np.array_equal(table.pnl, table.gross_pnl - table.fees)

    long_stuck = table.open_position > 0
    short_stuck = table.open_position < 0
    assert (~long_stuck | np.isnan(book.bid_px[0, -1])).all()
    assert (~short_stuck | np.isnan(book.ask_px[0, -1])).all()
    sizes = table["size"] * np.sign(table.open_position)
    assert np.array_equal(table.open_position[table.open_position != 0], sizes[sizes != 0])

    no_trades = table.n_trades == 0
    for metric in METRICS:
        nan = table[metric].isna().to_numpy()
        if metric not in NAN_REASONS:
            assert not nan.any(), metric
    for metric in ("win_rate", "avg_trade", "avg_hold_s"):
        assert np.array_equal(table[metric].isna(), no_trades), metric
    even = np.flatnonzero(table.profit_factor.isna() & ~no_trades)
    if len(even):  # every round trip of these must have netted exactly 0
        recorded = sweep(book, signals, params=configs, engine="cpu", record=even.tolist())
        for i in even.tolist():
            assert (recorded.trades(i).net_pnl == 0.0).all(), "profit_factor NaN, no reason"
    for i in range(CONFIGS):
        changes = result.bucket_pnl[:, i]
        flat = len(changes) < 2 or bool(np.all(changes == changes[0]))
        assert np.isnan(table.sharpe[i]) == flat, i
    span = int(book.ts[-1] - book.ts[0])
    assert table.exposure.isna().all() == (span == 0)
