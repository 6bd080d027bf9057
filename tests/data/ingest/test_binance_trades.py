"""The compiled trade-line path: the same trades as the JSON path, in line order, any batching."""

import numpy as np
import orjson
import pytest

from l2gpu.data.ingest import binance, ingest
from l2gpu.data.ingest.binance_records import TradeRecord, parse_line
from l2gpu.data.ingest.binance_trades import fast_trades
from l2gpu.data.ingest.decimal_columns import parse_prices, parse_size_strings
from l2gpu.data.ingest.parsers.binance_lines import KIND_TRADE, index_lines
from l2gpu.data.trades import read_trades
from tests.samples import BTCUSDT, corrupt, read_lines, write_gz

PREFIX_LINES = 4000
FIELDS = ("ts", "local_ts", "px", "sz", "side", "trade_id")


def test_fast_trades_equal_the_json_path_on_real_lines():
    buf = np.frombuffer(b"".join(read_lines(BTCUSDT, PREFIX_LINES)), np.uint8)
    starts, ends, kinds = index_lines(buf)
    rows = np.flatnonzero(kinds == KIND_TRADE)
    chunk, slow = fast_trades(buf, starts, ends, rows, 0)
    assert rows.size > 100 and slow.size == 0
    records = []
    for i in rows:
        record = parse_line(int(i) + 1, buf[starts[i] : ends[i]].tobytes(), False)
        assert isinstance(record, TradeRecord)
        records.append(record)
    assert chunk.line.tolist() == [r.line for r in records]
    assert chunk.local_ns.tolist() == [r.local_ns for r in records]
    assert chunk.ts_ns.tolist() == [r.ts_ns for r in records]
    assert chunk.trade_id.tolist() == [r.trade_id for r in records]
    assert chunk.side.tolist() == [-1 if r.buyer_is_maker else 1 for r in records]
    np.testing.assert_array_equal(chunk.units, parse_prices([r.price for r in records])[0])
    np.testing.assert_array_equal(chunk.size, parse_size_strings([r.qty for r in records])[0])


def _reformat(line: bytes) -> bytes:
    """The same trade with its keys reversed and spaces after the separators: JSON path only."""
    ns, payload = line.split(b" ", 1)
    msg = orjson.loads(payload)
    msg["data"] = dict(reversed(list(msg["data"].items())))
    return ns + b" " + orjson.dumps(msg, option=orjson.OPT_INDENT_2).replace(b"\n", b"") + b"\n"


@pytest.mark.parametrize("batch", [7, binance.BATCH_TRADES])
def test_trades_read_by_both_paths_keep_their_order_in_any_batch(tmp_path, monkeypatch, batch):
    lines = read_lines(BTCUSDT, PREFIX_LINES)
    trade_at = [i for i, line in enumerate(lines) if b"@trade" in line]
    raw = [orjson.loads(lines[i].split(b" ", 1)[1])["data"] for i in trade_at]

    def reformat(ls):
        for i in trade_at[3::10]:
            ls[i] = _reformat(ls[i])

    monkeypatch.setattr(binance, "BATCH_TRADES", batch)
    ingest(
        corrupt(lines, tmp_path, reformat),
        format="binance",
        out=tmp_path / "b.parquet",
        trades_out=tmp_path / "t.parquet",
    )
    trades = read_trades(tmp_path / "t.parquet")
    assert trades.trade_id.tolist() == [t["t"] for t in raw]
    assert trades.ts.tolist() == [t["T"] * 1_000_000 for t in raw]
    assert trades.side.tolist() == [-1 if t["m"] else 1 for t in raw]
    assert trades.px.tolist() == [float(t["p"]) for t in raw]
    assert trades.sz.tolist() == [float(t["q"]) for t in raw]
    clean = tmp_path / "clean"
    ingest(
        write_gz(tmp_path / "c.gz", lines),
        format="binance",
        out=clean / "b.parquet",
        trades_out=clean / "t.parquet",
    )
    expected = read_trades(clean / "t.parquet")
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(trades, name), getattr(expected, name), err_msg=name)
