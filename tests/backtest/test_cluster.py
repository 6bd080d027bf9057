"""A sweep sharded over a local multi-process Dask cluster equals the single-process sweep."""

from typing import Any

import numpy as np
import pandas as pd
import pytest

from l2gpu.backtest import sweep
from l2gpu.backtest.cluster import Stored, cluster_sweep
from l2gpu.backtest.quote import quote_sweep
from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import ingest
from l2gpu.features import compute
from tests.backtest import configs as threshold_cases
from tests.backtest.sharding import assert_identical
from tests.samples import BTCUSDT

distributed = pytest.importorskip(
    "distributed", reason="Dask's distributed is not installed: pip install 'l2gpu[dist]'"
)
FEATURES = ("imbalance_5", "ofi_2s")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("btc")
    ingest(BTCUSDT, format="binance", out=tmp / "b.parquet", depth=10, trades_out=tmp / "t.parquet")
    source = Stored(str(tmp / "b.parquet"), FEATURES, str(tmp / "t.parquet"))
    book = read_book(source.book, engine="cpu")
    signals = compute(book, list(FEATURES), engine="cpu")
    return source, book, signals, read_trades(tmp / "t.parquet")


def test_a_threshold_sweep_on_a_local_cluster_equals_one_process(client, stored):
    source, book, signals, _ = stored
    configs = pd.DataFrame(threshold_cases.random_configs(np.random.default_rng(6), 23, signals))
    record = [0, 7, 8, 15, 16, 22]  # both ends of each of 3 shards (8, 8, 7 configs)
    options: dict[str, Any] = {"engine": "cpu", "bucket_returns": True}
    single = sweep(book, signals, params=configs, record=record, **options)
    assert (single.table.n_trades.iloc[record] > 0).all()
    sharded = cluster_sweep(
        client, "threshold", source, params=configs, record=record, n_shards=3, **options
    )
    assert_identical(sharded, single)


def test_a_quote_grid_on_a_local_cluster_equals_one_process(client, stored):
    source, book, signals, trades = stored
    grid: dict[str, list[Any]] = {
        "signal": ["imbalance_5", "ofi_2s"],
        "half_spread_ticks": [0.0, 1.0, 3.0],
    }
    grid |= {"requote": [0, "100ms"], "skew_bps": [0.0, 2.0]}
    single = quote_sweep(book, trades, signals, grid=grid, engine="cpu", record=[3, 20])
    sharded = cluster_sweep(client, "quote", source, grid=grid, record=[3, 20], engine="cpu")
    assert_identical(sharded, single)


def test_a_cluster_sweep_takes_a_table_or_a_grid(client, stored):
    source = stored[0]
    with pytest.raises(ValueError, match="params= must be a pandas DataFrame here, got list"):
        cluster_sweep(client, "threshold", source, params=[{"signal": "ofi_2s", "entry": 1.0}])
    with pytest.raises(ValueError, match="record=9 is not a config"):
        cluster_sweep(client, "quote", source, grid={"size": [1.0]}, record=[9])
