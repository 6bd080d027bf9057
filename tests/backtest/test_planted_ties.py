"""Planted ties land where they were planted, in the kernel, the reference and the CUDA twin.

The ties (a round trip netting exactly 0, a mid equal to the stop or take-profit level, held
equal to max_hold, a signal equal to entry or exit, a fill time equal to decision + latency, the
end of a cooldown, an order exactly as deep as the book) are where one ulp decides a trade. The
CUDA comparison runs under the simulator in CI and on the device in ``make gpu-check``.
"""

import math

import numpy as np
import pandas as pd
import pytest

from l2gpu.backtest import METRICS, sweep
from tests.backtest.planted import WALK, Plant, plants, walk
from tests.reference_sweep import backtest

PLANTS = plants()
IDS = [p.name for p in PLANTS]
# Integer outputs, and the sums of integers (ns) that pin each trade's fill rows.
EXACT = ("n_trades", "depth_exhausted", "open_position", "win_rate", "avg_hold_s", "exposure")


def run(plant: Plant, engine: str, **kwargs):
    return sweep(
        plant.book(), {"x": plant.signal()}, params=[plant.config], engine=engine, **kwargs
    )


def test_a_fused_walk_would_cross_the_planted_ties():
    stop = 10 * 1e-4
    plain, fused = walk(WALK, 0.9, fused=False), walk(WALK, 0.9, fused=True)
    assert plain != fused  # one fused walk of the two makes the zero round trip a win or a loss
    assert fused * (1.0 - stop) < plain * (1.0 - stop)  # the stop would not be reached
    plain, fused = walk(WALK, 1.3, fused=False), walk(WALK, 1.3, fused=True)
    assert fused * (1.0 + stop) > plain * (1.0 + stop)  # nor the take-profit


@pytest.mark.parametrize("plant", PLANTS, ids=IDS)
def test_the_cpu_kernel_lands_on_each_planted_tie_as_the_reference_does(plant):
    result = run(plant, "cpu", record=[0])
    trades = result.trades(0)
    assert list(trades.entry_row) == plant.entries[: len(plant.exits)]
    assert list(trades.exit_row) == plant.exits
    got = result.table.iloc[0]
    assert got.depth_exhausted == plant.depth_exhausted
    assert got.open_position == plant.open_position
    assert got.pnl == got.gross_pnl - got.fees
    want, want_trades = backtest(plant.book(), plant.signal(), plant.config)
    assert [t["exit_row"] for t in want_trades] == plant.exits
    for metric in METRICS:
        np.testing.assert_allclose(got[metric], want[metric], rtol=1e-12, equal_nan=True)
    if plant.name.startswith("round trip"):
        assert list(trades.net_pnl) == [0.0] and got.win_rate == 0.0
        assert math.isnan(got.profit_factor)  # no win and no loss: the documented NaN


@pytest.mark.cuda_kernel
@pytest.mark.parametrize("plant", PLANTS, ids=IDS)
def test_integer_outputs_are_identical_between_the_cpu_kernel_and_the_cuda_twin(plant):
    cpu, gpu = run(plant, "cpu").table, run(plant, "gpu").table
    for column in EXACT:
        assert np.array_equal(gpu[column], cpu[column], equal_nan=True), column


@pytest.mark.cuda_kernel
@pytest.mark.parametrize("plant", PLANTS, ids=IDS)
def test_every_result_is_bit_identical_between_the_engines(plant):
    cpu = run(plant, "cpu", bucket_returns=True)
    gpu = run(plant, "gpu", bucket_returns=True)
    pd.testing.assert_frame_equal(gpu.table, cpu.table, check_exact=True)
    assert np.array_equal(gpu.bucket_pnl, cpu.bucket_pnl)
