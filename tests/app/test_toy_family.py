"""A third strategy family, added by this test module alone: its object and one registration.

The toy family holds ``size * sign(x_t)`` of the signal at every row, trading at the mid with a
taker fee on each change, written in NumPy. Registered here (and its config schema stored in
Hydra's ConfigStore here), it runs through the grid, walk-forward and the whole job.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from hydra.core.config_store import ConfigStore
from rich.console import Console

from l2gpu.backend.arrays import to_device
from l2gpu.backtest import STRATEGIES, Parameter, StrategyFamily, SweepResult
from l2gpu.backtest.params import config_table
from l2gpu.backtest.walkforward import walk_forward
from l2gpu.cli.job import run_job
from l2gpu.config.schema import StrategyConfig
from l2gpu.core.spans import Window
from l2gpu.data.synthetic import synthetic
from l2gpu.features import compute
from l2gpu.search.grid import strategy_grid
from tests.app.conftest import composed

COLUMNS = ("signal", "size", "taker_fee_bps")
METRICS = ("pnl", "gross_pnl", "fees", "n_trades", "sharpe", "max_drawdown")


def normalise(table, signal_names):
    out = table.reindex(columns=list(COLUMNS)).reset_index(drop=True)
    for row, cfg in enumerate(out.itertuples(index=False)):
        if cfg.signal not in signal_names:
            raise ValueError(f"config {row}: signal {cfg.signal!r} is not among {signal_names}")
        if not float(cfg.size) > 0:
            raise ValueError(f"config {row}: size={cfg.size} must be > 0")
    return out


def run_sign(
    book, signals, params, trades=None, record=(), sharpe_bucket="1s", bucket_returns=False, **_
):
    table = normalise(config_table(params), list(signals))
    host = book.to("cpu")
    mid = (host.bid_px[0] + host.ask_px[0]) / 2
    bucket = (host.ts - host.ts[0]) // Window.parse(sharpe_bucket).ns
    rows, pnls, changes = [], [], []
    for cfg in table.itertuples(index=False):
        x = np.nan_to_num(to_device(signals[cfg.signal], "cpu"))
        held = np.sign(x) * cfg.size
        change = np.abs(np.diff(np.r_[0.0, held, 0.0]))
        prices = np.r_[mid, mid[-1]]
        fees = float((change * prices * cfg.taker_fee_bps * 1e-4).sum())
        equity = np.cumsum(np.r_[0.0, held[:-1] * np.diff(mid)])
        per_bucket = np.bincount(bucket[1:], np.diff(equity), minlength=bucket[-1] + 1)
        gross = float(equity[-1])
        drawdown = float((np.maximum.accumulate(equity) - equity).max())
        sharpe = per_bucket.mean() / per_bucket.std(ddof=1) if per_bucket.std() > 0 else np.nan
        n = int((change > 0).sum()) // 2
        rows.append([gross - fees, gross, fees, n, sharpe, drawdown])
        pnls.append(per_bucket)
        changes.append(pd.DataFrame({"row": np.flatnonzero(np.diff(np.r_[0.0, held]))}))
    metrics = pd.DataFrame(rows, columns=list(METRICS))
    pnl = np.stack(pnls, axis=1) if bucket_returns else None
    recorded = {i: changes[i] for i in record}
    return SweepResult(pd.concat([table, metrics], axis=1), recorded, float("nan"), pnl)


SIGN = StrategyFamily(
    name="sign",
    parameters=(
        Parameter("size", unit="base"),
        Parameter("taker_fee_bps", source="execution.fees"),
    ),
    columns=COLUMNS,
    normalise=normalise,
    run=run_sign,
    horizon_ns=lambda params, book: 0,
    metrics=METRICS,
    integer_metrics=("n_trades",),
    headline=("pnl", "n_trades", "sharpe"),
    activity="n_trades",
    needs_trades=False,
    example={"size": 1.0, "taker_fee_bps": 0.0},
    heatmap=("signal", "size"),
    doc="hold size * sign(signal), a toy",
)


@dataclass
class SignConfig(StrategyConfig):
    family: str = "sign"
    size: list[float] = field(default_factory=lambda: [0.01, 0.02])


@pytest.fixture
def registered():
    STRATEGIES.add("sign", SIGN)
    ConfigStore.instance().store(group="strategy", name="sign", node=SignConfig)
    yield SIGN
    STRATEGIES.remove("sign")


def test_the_toy_family_runs_in_the_grid_and_walk_forward(registered):
    book = synthetic(rows=3_000, depth=3, seed=4)
    signals = compute(book, ["imbalance_2", "ofi_100"], engine="cpu")
    grid = strategy_grid(registered, {"size": [1.0, 2.0], "taker_fee_bps": [0.0]}, {"ofi_100": 1})
    result = registered.run(book, signals, grid, bucket_returns=True)
    assert len(result.table) == 2 and result.bucket_pnl is not None
    np.testing.assert_allclose(result.table.pnl[1], 2 * result.table.pnl[0], rtol=1e-12)
    walk = walk_forward(
        book, signals, grid, train="4s", test="2s", family=registered, objective="pnl"
    )
    assert len(walk.folds) >= 2


def test_the_toy_family_runs_as_a_job(registered, isolated):
    cfg = composed([*isolated, "strategy=sign", "debug=quick", "logger=none"])
    result = run_job(cfg, Console(width=200))
    assert len(result.table) == 4 and result.record.family is registered
