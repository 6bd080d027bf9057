"""Replay equals the sweep: one config stepped a few rows at a time through the sweep's kernel.

Each test sweeps a set of configs over the first rows of a real sample with their trades
recorded (``family.run(..., record=...)``, one pass), then replays each config alone in steps
of random sizes (one row at a time for the first) and compares, exactly, its fills and its row
of the results table. Between steps the view's pnl must be the kernel's mark, ``cash +
position * mid`` at the last row stepped.
"""

import numpy as np
import pandas as pd
import pytest

from l2gpu.backtest import STRATEGIES
from l2gpu.replay import start_replay
from l2gpu.replay.stepper import FIRST_CAPACITY
from tests.backtest.configs import random_configs as threshold_configs
from tests.backtest.quote_cases import random_configs as quote_configs

ROWS = 2500  # of about 6,550 (BTCUSDT) and 6,580 (ETHUSDT): a bounded replay, in CI time


def _configs(family, signals, seed):
    rng = np.random.default_rng(seed)
    if family == "threshold":
        configs = threshold_configs(rng, 10, signals)
        # A busy config: more fills than the first record buffers hold (they must grow).
        configs[0].update(entry=float(np.nanquantile(np.abs(signals["imbalance_5"]), 0.3)))
        configs[0].update(signal="imbalance_5", max_hold=5, latency=0, cooldown=0)
        configs[0].update(direction="both", stop_loss_bps=0.0, take_profit_bps=0.0)
        return pd.DataFrame(configs)
    configs = quote_configs(rng, 10, signals, time_unit="00ms")
    configs[2].update(half_spread_ticks=0.0, requote=0, entry_latency=0, partial_fills=True)
    configs[2].update(max_position=None, stop_loss_bps=0.0, max_hold=None)
    return pd.DataFrame(configs)


def assert_same_row(replayed, swept, family):
    """The metrics exactly; the parameters by value (a one-row table infers its own dtypes)."""
    swept = swept.reset_index(drop=True)
    metrics = list(STRATEGIES[family].metrics)
    pd.testing.assert_frame_equal(replayed[metrics], swept[metrics], check_exact=True)
    columns = list(STRATEGIES[family].columns)
    assert _values(replayed[columns]) == _values(swept[columns])


def _values(table):
    """One row's cells, NaN and None both as None."""
    return [None if pd.isna(v) else v for v in table.iloc[0]]


def _replay(family, book, signals, params, trades, rng, one_row):
    stepper = start_replay(family, book, signals, params, trades=trades)
    mid = (book.bid_px[0] + book.ask_px[0]) * 0.5
    while stepper.done < stepper.rows:
        stepper.advance(stepper.done + (1 if one_row else int(rng.integers(1, 300))))
        state = stepper.state()
        if np.isfinite(mid[state.done - 1]):
            assert state.pnl == state.cash + state.position * mid[state.done - 1]
    stepper.finish()
    return stepper


@pytest.mark.parametrize("family", ["threshold", "quote"])
@pytest.mark.parametrize("sample", ["btcusdt", "ethusdt"])
def test_replay_equals_the_sweep_for_every_config(samples, sample, family):
    full_book, trades, full_signals = samples[sample]
    book = full_book[:ROWS]
    signals = {name: values[:ROWS] for name, values in full_signals.items()}
    params = _configs(family, signals, seed=len(sample) + len(family))
    swept = STRATEGIES[family].run(
        book, signals, params, trades=trades, record=range(len(params)), engine="cpu"
    )
    rng = np.random.default_rng(3)
    busiest = 0
    for i in range(len(params)):
        stepper = _replay(family, book, signals, params.iloc[[i]], trades, rng, one_row=i == 0)
        fills = stepper.fills()
        pd.testing.assert_frame_equal(fills, swept.trades(i), check_exact=True)
        assert_same_row(stepper.result(), swept.table.iloc[[i]], family)
        busiest = max(busiest, len(fills))
    assert busiest > FIRST_CAPACITY, "no config grew its record buffers"
    assert (swept.table[STRATEGIES[family].activity] > 0).sum() >= 5


@pytest.mark.parametrize("family", ["threshold", "quote"])
def test_a_whole_recording_replayed_equals_the_sweep(samples, family):
    book, trades, signals = samples["ethusdt"]
    params = _configs(family, signals, seed=7).iloc[[0]]
    swept = STRATEGIES[family].run(book, signals, params, trades=trades, record=[0], engine="cpu")
    stepper = start_replay(family, book, signals, params, trades=trades)
    stepper.finish()  # one step over every row
    pd.testing.assert_frame_equal(stepper.fills(), swept.trades(0), check_exact=True)
    assert_same_row(stepper.result(), swept.table, family)
