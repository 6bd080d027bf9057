"""Valid input gives bit-identical stores: digests of every bundled sample's stores.

The digests were computed from the stores that ingest wrote at commit fdb18c6 (before the store
checks, the format registry and the exact CSV parsing); the job's golden results in
``tests/golden/`` were made from the BTCUSDT and ETHUSDT stores at depth 10.
"""

import hashlib
from dataclasses import asdict

import numpy as np
import pytest

from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import ingest
from tests.samples import AAPL, AMZN, BTCUSDT, ETHUSDT, TARDIS, lobster_pair

NO_TRADES = "9c44fee2ca6d5ae12dbbd48a30946b43ffa6af992de50a6cd8cf6af51eca3fb5"
CASES: dict[str, tuple] = {
    "btcusdt": (
        BTCUSDT,
        "binance",
        10,
        "d0928163b6e373299e667a6e668f7cd84d4ed04e5f9b1ac6955707fcf35463e0",
        "1cec4421fb2ca1ff59218b54d6cc67476bf59eea0b82e2c9868ae090ec981977",
    ),
    "ethusdt": (
        ETHUSDT,
        "binance",
        10,
        "0a89062c05da96d0e881b9158f385ad3ec76b8d24f227a0b34db4af989ec599d",
        "20c25cb77359fbb2eceb7c853832f38c0f7f2084f966b1fe2ac826e8ed7cae9c",
    ),
    "amzn": (
        lobster_pair(AMZN),
        "lobster",
        None,
        "e9a6e7c45454e6b781f197d45b266e8daf1a6c2f066f50cfed57f1348f950927",
        "9ffbbba50a2194b840b5d365a8b38cc77437a648a614f7d199b9bd17cd1f0573",
    ),
    "aapl": (
        lobster_pair(AAPL),
        "lobster",
        None,
        "bcaaf1ac1b839b9f5d217bd6d5725483aba43f8614c9eb9f60428b083ac28b3e",
        "94095bbede85d58673e5adc5b58c0291a81e816a1509b05a8724aedeb35b47c5",
    ),
    "deribit": (
        TARDIS / "deribit_incremental_book_L2_BTC-PERPETUAL.csv",
        "tardis",
        3,
        "ead46a239aecc696b358b8baec27a69acbc134c877acfcfdff449118e4fb3627",
        NO_TRADES,
    ),
    "deltas": (
        TARDIS / "deltas_with_snapshot.csv",
        "tardis",
        2,
        "546a9fe750a7c8783e091673a6936ac56c145af12f9148d821f9d94bc3198acd",
        NO_TRADES,
    ),
    "snapshot5": (
        TARDIS / "binance-futures_book_snapshot_5_BTCUSDT.csv",
        "tardis",
        None,
        "24965fd574c8ae68baf56f8199b2b3e545ddd65cb03bc60e2f060ba9f04d4d15",
        NO_TRADES,
    ),
    "snapshot25": (
        TARDIS / "binance-futures_book_snapshot_25_BTCUSDT.csv",
        "tardis",
        None,
        "883f8823456a8827596f3e9980a91da02100e189947f42e918537eed60ddd46b",
        NO_TRADES,
    ),
}
BTCUSDT_META = {
    "source": "binance",
    "exchange": "binance-futures",
    "symbol": "BTCUSDT",
    "tick_size": "0.1",
    "input_sha256": "0ad7b3a0f5cff220761ea890cfd6e3c15f6899edc7f94637ec915043d7a72251",
}


def digest(named_arrays):
    """SHA-256 over each array's name, dtype, shape and bytes (object ids as joined text)."""
    h = hashlib.sha256()
    for name, values in named_arrays:
        values = np.ascontiguousarray(values)
        h.update(name.encode())
        h.update(str(values.dtype).encode())
        h.update(str(values.shape).encode())
        if values.dtype == object:
            h.update("\x00".join(map(str, values.tolist())).encode())
        else:
            h.update(values.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("name", list(CASES))
def test_valid_samples_give_the_same_stores_as_before(tmp_path, name):
    paths, fmt, depth, book_digest, trades_digest = CASES[name]
    out, trades_out = tmp_path / "b.parquet", tmp_path / "t.parquet"
    ingest(paths, format=fmt, out=out, depth=depth, trades_out=trades_out)
    book = read_book(out, engine="cpu")
    trades = read_trades(trades_out)
    assert digest(book.arrays().items()) == book_digest
    columns = ("ts", "local_ts", "px", "sz", "side", "trade_id")
    assert digest([(c, getattr(trades, c)) for c in columns]) == trades_digest
    if name == "btcusdt":
        meta = asdict(book.meta)
        assert {k: meta[k] for k in BTCUSDT_META} == BTCUSDT_META


def test_tardis_trades_sample_gives_the_same_store(tmp_path):
    ingest(TARDIS / "bitmex_trades_XBTUSD.csv", format="tardis", out=tmp_path / "t.parquet")
    trades = read_trades(tmp_path / "t.parquet")
    columns = ("ts", "local_ts", "px", "sz", "side", "trade_id")
    assert digest([(c, getattr(trades, c)) for c in columns]) == (
        "26842f4161551a4b1b90100b4cea390002346099ac540752efc6de24ad393a38"
    )
