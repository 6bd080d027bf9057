import numpy as np
import pandas as pd
import pytest

from l2gpu.data import read_book
from l2gpu.data.ingest import IngestError, ingest
from l2gpu.data.trades import read_trades
from tests.samples import TARDIS


def test_deribit_incremental_book_ends_with_the_hand_worked_top(tmp_path):
    report = ingest(
        TARDIS / "deribit_incremental_book_L2_BTC-PERPETUAL.csv",
        format="tardis",
        out=tmp_path / "b.parquet",
        depth=3,
    )
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    # 15 snapshot rows, all asks, one local_timestamp: one message, no bids.
    assert len(book) == 1 and report.updates_applied == 15
    assert book.ask_px[:, -1].tolist() == [6421.5, 6422.0, 6422.5]
    assert book.ask_sz[:, -1].tolist() == [18640.0, 1190.0, 1080.0]
    assert np.isnan(book.bid_px[:, -1]).all() and (book.bid_sz[:, -1] == 0).all()
    assert book.ts[0] == 1585699200245000 * 1000
    assert book.local_ts[0] == 1585699200355684 * 1000
    assert book.meta.exchange == "deribit" and book.meta.symbol == "BTC-PERPETUAL"


def test_a_second_snapshot_resets_the_book(tmp_path):
    ingest(
        TARDIS / "deltas_with_snapshot.csv", format="tardis", out=tmp_path / "b.parquet", depth=2
    )
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    assert len(book) == 7
    assert book.seq.tolist() == list(range(7))
    # Before the second snapshot: 50000/49999 bids and 50001/50002 asks.
    assert book.bid_px[:, 3].tolist() == [50000.0, 49999.0]
    assert book.ask_px[:, 3].tolist() == [50001.0, 50002.0]
    # The second snapshot clears everything that came before.
    assert book.bid_px[0, 4] == 50100.0 and np.isnan(book.bid_px[1, 4])
    assert book.ask_px[0, 4] == 50101.0 and np.isnan(book.ask_px[1, 4])
    assert book.bid_px[:, 6].tolist() == [50100.0, 50099.0]
    assert book.ask_px[:, 6].tolist() == [50101.0, 50102.0]
    assert book.ask_sz[:, 6].tolist() == [4.0, 2.0]


@pytest.mark.parametrize("levels", [5, 25])
def test_book_snapshots_read_as_given(tmp_path, levels):
    path = TARDIS / f"binance-futures_book_snapshot_{levels}_BTCUSDT.csv"
    ingest(path, format="tardis", out=tmp_path / "b.parquet")
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    frame = pd.read_csv(path)
    assert book.depth == levels and len(book) == len(frame)
    for k in range(levels):
        assert book.ask_px[k].tolist() == frame[f"asks[{k}].price"].tolist()
        assert book.bid_sz[k].tolist() == frame[f"bids[{k}].amount"].tolist()
    assert book.ts.tolist() == (frame.timestamp * 1000).tolist()


def test_trades_file_fills_the_trades_store(tmp_path):
    path = TARDIS / "bitmex_trades_XBTUSD.csv"
    report = ingest(path, format="tardis", out=tmp_path / "t.parquet")
    trades = read_trades(tmp_path / "t.parquet")
    frame = pd.read_csv(path)
    assert report.trades_out_rows == len(frame) == len(trades)
    assert trades.trade_id.tolist() == frame.id.tolist()
    assert trades.side.tolist() == [1 if s == "buy" else -1 for s in frame.side]
    assert trades.sz.tolist() == frame.amount.tolist()


def test_bad_rows_are_named_or_skipped(tmp_path):
    lines = (TARDIS / "deltas_with_snapshot.csv").read_text().splitlines()
    lines[3] = lines[3].replace(",0.5", ",-0.5")
    lines[5] = lines[5].replace(",bid,", ",middle,")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(IngestError, match=r"line 4: amount is not a non-negative decimal"):
        ingest(path, format="tardis", out=tmp_path / "b.parquet")
    report = ingest(path, format="tardis", out=tmp_path / "b.parquet", on_bad_line="skip")
    assert report.skipped_lines == 2 and report.rows_out == 5


def test_an_unknown_header_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(IngestError, match="is not a Tardis"):
        ingest(path, format="tardis", out=tmp_path / "b.parquet")
