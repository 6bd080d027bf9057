"""Stop ladders: configs differing only in their stop run as one until a stop fires, exactly.

``skipping="never"`` runs every config on its own; the other modes run each ladder as one
config until a member's stop fires. Tables, per-bucket pnl and recorded trades must be the
same bits, chunked or not, with stops that fire often, never, or on prices below zero.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2gpu.backtest import sweep
from l2gpu.backtest.ladders import stop_ladders
from l2gpu.kernels import sweep_layout as layout
from tests.backtest.test_skipping import assert_identical, dense_and_skipped, spiky
from tests.books import random_book


def params_with(stops, **columns):
    params = np.zeros((len(stops), layout.N_PARAMS))
    params[:, layout.P_STOP_BPS] = stops
    for name, values in columns.items():
        params[:, getattr(layout, name)] = values
    return params


def test_a_ladder_is_the_configs_equal_but_for_the_stop_led_by_the_loosest():
    params = params_with(
        [5.0, 0.0, 1.0, 5.0, 2.0, 1.0, 3.0], P_ENTRY=[1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0]
    )
    flags = np.array([1, 1, 1, 1, 1, 1, 3], np.uint8)
    ladders = sorted(stop_ladders(params, flags), key=lambda ladder: int(ladder[0]))
    # config 5 has another entry, config 6 other flags; 1's stop is off: the loosest.
    assert [ladder.tolist() for ladder in ladders] == [[1, 2, 4, 0, 3], [5], [6]]


def test_configs_whose_parameters_differ_only_in_a_zero_s_sign_share_no_ladder():
    params = params_with([1.0, 2.0], P_FEE_BPS=[0.0, -0.0])
    ladders = stop_ladders(params, np.zeros(2, np.uint8))
    assert sorted(ladder.tolist() for ladder in ladders) == [[0], [1]]


def ladder_grid(rng, signals):
    """A grid crossing stops, tight and loose, with drawn values of the other parameters."""
    name = str(rng.choice(list(signals)))
    scale = np.nanquantile(np.abs(signals[name]), rng.uniform(0.6, 0.95))
    return {
        "signal": [name],
        "entry": [float(scale), float(1.3 * scale)],
        "exit": [float(rng.choice([-0.5 * scale, -50.0]))],
        "max_hold": [rng.choice([None, int(rng.integers(5, 80)), "150ms"])],
        "latency": [rng.choice([0, int(rng.integers(1, 4)), "3ms"])],
        "stop_loss_bps": [0.0, 2.0, 0.5, 10.0, 30.0, 2.0, 200.0],
        "take_profit_bps": [float(rng.choice([0.0, 40.0]))],
        "size": [float(rng.choice([0.01, 3.0]))],
        "direction": [str(rng.choice(["long", "short", "both"]))],
        "taker_fee_bps": [2.0],
    }


def shifted(book, by):
    """The book with every price moved by ``by``."""
    return dataclasses.replace(book, bid_px=book.bid_px + by, ask_px=book.ask_px + by)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(2, 1500),
    chunk=st.one_of(st.none(), st.integers(1, 400)),
    below_zero=st.booleans(),
)
def test_ladders_equal_every_config_run_alone(seed, rows, chunk, below_zero):
    rng = np.random.default_rng(seed)
    book = random_book(rng, rows=rows, depth=3)
    if below_zero:  # prices about zero: stop levels of a negative entry price turn around
        book = shifted(book, -100.0)
    signals = {"a": spiky(rng, rows), "b": np.cumsum(rng.normal(size=rows)) / 5}
    grid = ladder_grid(rng, signals)
    alone, together = dense_and_skipped(
        book,
        signals,
        grid=grid,
        engine="cpu",
        record=[0, 3, 9, 13],
        bucket_returns=True,
        sharpe_bucket="20ms",
        chunk_rows=chunk,
    )
    assert_identical(alone, together, [0, 3, 9, 13])


def test_members_split_where_their_stops_fire_and_match_running_alone():
    rng = np.random.default_rng(4)
    rows = 30_000
    book = random_book(rng, rows=rows, depth=4, edge_cases=False)
    signals = {"a": spiky(rng, rows)}
    grid = {
        "signal": ["a"],
        "entry": [1.0, 2.0],
        "exit": [-50.0],
        "max_hold": [None, 400],
        "stop_loss_bps": [0.0, 1.0, 5.0, 20.0, 60.0],
        "latency": [0, 2],
        "direction": ["long", "short"],
    }
    record = [0, 4, 17, 39]
    for chunk in (None, 4_999):
        alone, together = dense_and_skipped(
            book, signals, grid=grid, engine="cpu", record=record, chunk_rows=chunk
        )
        assert_identical(alone, together, record)
    table = alone.table
    others = ["entry", "max_hold", "latency", "direction"]
    trades_per_stop = table.groupby(others).n_trades.nunique()
    assert (trades_per_stop > 1).all()  # every ladder split: its stops gave other trades
    assert (table.groupby(others).pnl.nunique() >= 3).all()  # and at different rows


@pytest.mark.parametrize("chunk", [None, 3_001])
def test_a_ladder_whose_stops_never_fire_gives_each_member_the_leader_s_results(chunk):
    rng = np.random.default_rng(9)
    rows = 10_000
    book = random_book(rng, rows=rows, depth=3, edge_cases=False)
    signals = {"a": spiky(rng, rows)}
    grid = {"signal": ["a"], "entry": [1.0], "exit": [-0.1], "stop_loss_bps": [0, 9e3, 9.5e3]}
    alone, together = dense_and_skipped(
        book, signals, grid=grid, engine="cpu", record=[0, 1, 2], chunk_rows=chunk
    )
    assert_identical(alone, together, [0, 1, 2])
    assert alone.table.n_trades.min() > 10
    assert alone.table.pnl.nunique() == 1


def test_a_ladder_entered_at_a_price_below_zero_splits_every_member():
    """Below zero a looser stop's level is the nearer one: ordering by the stop would miss it.

    A long enters at the ask, -20, on row 5; on row 6 the mid is -19.5, above the entry: the
    1 bps stop (level -19.998) holds while the 500 bps one (level -19) fires.
    """
    rows = 40
    book = random_book(np.random.default_rng(0), rows=rows, depth=1, edge_cases=False)
    bid = np.where(np.arange(rows) < 6, -21.0, -19.75)[None, :]
    book = dataclasses.replace(book, bid_px=bid, ask_px=bid + np.where(bid < -20, 1.0, 0.5))
    x = np.zeros(rows)
    x[5] = 1.0
    grid = {
        "signal": ["x"],
        "entry": [0.5],
        "exit": [-50.0],
        "stop_loss_bps": [0.0, 1.0, 500.0, 5_000.0],
        "size": [0.001],
    }
    record = [0, 1, 2, 3]
    alone, together = dense_and_skipped(book, {"x": x}, grid=grid, engine="cpu", record=record)
    assert_identical(alone, together, record)
    exits = [int(alone.trades(i).exit_decision_row.iloc[0]) for i in range(4)]
    assert exits == [rows - 1, rows - 1, 6, 6]


def test_ladders_equal_every_config_run_alone_on_the_btcusdt_sample(btcusdt):
    book, signals = btcusdt
    scale = {name: float(np.nanquantile(np.abs(x), 0.97)) for name, x in signals.items()}
    grid = {
        "signal": list(signals),
        "entry": [1.0, 1.5],
        "exit": [0.0, -0.5],
        "max_hold": [None, "30s"],
        "latency": [0, "10ms"],
        "stop_loss_bps": [0.0, 0.5, 2.0, 5.0, 20.0],
        "direction": ["long", "short"],
    }
    normalised = {name: x / scale[name] for name, x in signals.items()}
    record = [0, 21, 77, 150, 319]
    runs = {
        (mode, chunk): sweep(
            book,
            normalised,
            grid=grid,
            engine="cpu",
            record=record,
            bucket_returns=True,
            chunk_rows=chunk,
            skipping=mode,
        )
        for mode in ("never", "auto")
        for chunk in (None, 5_003)
    }
    alone = runs["never", None]
    for run in runs.values():
        assert_identical(alone, run, record)
    others = ["signal", "entry", "exit", "max_hold", "latency", "direction"]
    assert (alone.table.groupby(others).pnl.nunique() > 1).mean() > 0.3  # stops that fire
