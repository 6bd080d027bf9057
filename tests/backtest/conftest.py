"""Fixtures of the backtest tests."""

import pytest

from l2gpu.data import read_book
from l2gpu.data.ingest import ingest
from l2gpu.features import compute
from tests.samples import BTCUSDT


@pytest.fixture(scope="module")
def btcusdt(tmp_path_factory):
    """The BTCUSDT sample's book at depth 10 and its ``imbalance_5`` and ``ofi_2s``."""
    tmp = tmp_path_factory.mktemp("btc")
    ingest(BTCUSDT, format="binance", out=tmp / "b.parquet", depth=10)
    book = read_book(tmp / "b.parquet", engine="cpu")
    return book, compute(book, ["imbalance_5", "ofi_2s"], engine="cpu")
