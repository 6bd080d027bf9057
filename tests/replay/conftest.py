"""The two bundled Binance samples, ingested once for the replay tests."""

import pytest

from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import ingest
from l2gpu.features import compute
from tests.replay.runs import log_runs
from tests.samples import BTCUSDT, ETHUSDT

SIGNALS = ["imbalance_5", "ofi_2s"]


@pytest.fixture(scope="session")
def samples(tmp_path_factory):
    """Book, trades and two signals of each sample, by name."""
    out = {}
    for name, path in (("btcusdt", BTCUSDT), ("ethusdt", ETHUSDT)):
        tmp = tmp_path_factory.mktemp(name)
        ingest(
            path, format="binance", out=tmp / "b.parquet", depth=10, trades_out=tmp / "t.parquet"
        )
        book = read_book(tmp / "b.parquet", engine="cpu")
        out[name] = (book, read_trades(tmp / "t.parquet"), compute(book, SIGNALS, engine="cpu"))
    return out


@pytest.fixture(scope="session")
def logged(tmp_path_factory):
    """Four short jobs logged to a temporary MLflow store (:mod:`tests.replay.runs`)."""
    return log_runs(tmp_path_factory.mktemp("runs"))
