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
    with pytest.raises(IngestError, match=r"line 4: amount '-0.5' is not a non-negative decimal"):
        ingest(path, format="tardis", out=tmp_path / "b.parquet")
    report = ingest(path, format="tardis", out=tmp_path / "b.parquet", on_bad_line="skip")
    assert report.skipped_lines == 2 and report.rows_out == 5


def test_an_unknown_header_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(IngestError, match="is not a Tardis"):
        ingest(path, format="tardis", out=tmp_path / "b.parquet")


DELTAS = TARDIS / "deltas_with_snapshot.csv"
SNAPSHOT5 = TARDIS / "binance-futures_book_snapshot_5_BTCUSDT.csv"
TRADES = TARDIS / "bitmex_trades_XBTUSD.csv"


def _edited(tmp_path, source, line, column, value, name="x.csv"):
    """A copy of ``source`` with the cell of 1-based ``line`` in ``column`` set to ``value``."""
    lines = source.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("source", "line", "column", "value", "message"),
    [
        (
            DELTAS,
            4,
            "price",
            "NaN",
            r"line 4: price 'NaN' is not a non-negative decimal.*'cell_value'",
        ),
        (DELTAS, 5, "amount", "", r"line 5: amount '' is not a non-negative decimal.*'cell_value'"),
        (DELTAS, 3, "is_snapshot", "", r"line 3: is_snapshot '' is neither true nor false"),
        (DELTAS, 4, "price", "0.0", r"line 4: price '0\.0' is 0.*'level_price_positive'"),
        (
            DELTAS,
            6,
            "timestamp",
            "",
            r"line 6: timestamp '' is not microseconds exact.*'exact_timestamp'",
        ),
        (DELTAS, 6, "local_timestamp", "", r"line 6: local_timestamp '' is not microseconds"),
        (
            SNAPSHOT5,
            3,
            "bids[1].price",
            "NaN",
            r"line 3: bids\[1\]\.price 'NaN' is not a non-negative",
        ),
        (
            SNAPSHOT5,
            4,
            "asks[0].amount",
            "",
            r"line 4: asks\[0\]\.amount '' does not go with asks\[0\]\.price.*'missing_level'",
        ),
        (SNAPSHOT5, 5, "timestamp", "", r"line 5: timestamp '' is not microseconds"),
        (TRADES, 3, "price", "NaN", r"line 3: price 'NaN' is not a non-negative decimal"),
        (TRADES, 4, "id", "", r"line 4: id '' is empty.*'cell_value'"),
        (
            TRADES,
            5,
            "side",
            "unknown",
            r"line 5: side 'unknown' is neither 'buy' nor 'sell'.*'trade_side'",
        ),
        (TRADES, 6, "amount", "0", r"line 6: sz = 0\.0; .*'trade_size_positive'"),
        (TRADES, 7, "local_timestamp", "", r"line 7: local_timestamp '' is not microseconds"),
    ],
)
def test_nan_empty_and_out_of_range_cells_are_named_or_skipped(
    tmp_path, source, line, column, value, message
):
    path = _edited(tmp_path, source, line, column, value)
    out = tmp_path / "b.parquet"
    with pytest.raises(IngestError, match=r"x\.csv, " + message):
        ingest(path, format="tardis", out=out)
    report = ingest(path, format="tardis", out=out, on_bad_line="skip")
    assert report.skipped_lines == 1 and report.skipped_examples[0].startswith(f"line {line}:")
    store = read_trades(out) if source == TRADES else read_book(out, engine="cpu")
    assert len(store) > 0


def test_timestamps_are_exact_ns_even_next_to_an_empty_cell(tmp_path):
    lines = DELTAS.read_text().splitlines()
    lines[3] = lines[3].replace("1640995201000000,1640995201100000", "1640995201000000.123,")
    lines[4] = lines[4].replace("1640995202000000,", "1640995202000001.5,")
    path = tmp_path / "x.csv"
    path.write_text("\n".join(lines) + "\n")
    report = ingest(path, format="tardis", out=tmp_path / "b.parquet", on_bad_line="skip")
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    assert report.skipped_lines == 1 and "line 4: local_timestamp ''" in report.skipped_examples[0]
    assert book.ts[1] == 1640995202000001500  # the sub-microsecond part kept, not float-rounded
    assert book.ts.tolist() == [
        1640995200000000000,
        1640995202000001500,
        1640995203000000000,
        1640995300000000000,
        1640995301000000000,
        1640995302000000000,
    ]


def test_a_blank_snapshot_level_is_a_missing_level_not_a_crash(tmp_path):
    path = _edited(tmp_path, SNAPSHOT5, 3, "bids[4].price", "")
    path = _edited(tmp_path, path, 3, "bids[4].amount", "", name="y.csv")
    ingest(path, format="tardis", out=tmp_path / "b.parquet")
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    assert np.isnan(book.bid_px[4, 1]) and book.bid_sz[4, 1] == 0.0
    assert np.isfinite(book.bid_px[:4, 1]).all() and np.isfinite(book.bid_px[4, 0])
    hole = _edited(tmp_path, SNAPSHOT5, 3, "bids[2].price", "")
    hole = _edited(tmp_path, hole, 3, "bids[2].amount", "", name="z.csv")
    with pytest.raises(IngestError, match=r"z\.csv, line 3, .*bid_px_2 = nan, .*'levels_packed'"):
        ingest(hole, format="tardis", out=tmp_path / "b.parquet")


@pytest.mark.parametrize(
    ("source", "drop", "kind"),
    [
        (DELTAS, "amount", "incremental_book_L2"),
        (SNAPSHOT5, "local_timestamp", "book_snapshot_5"),
        (TRADES, "id", "trades"),
        (TRADES, "symbol", "trades"),
    ],
)
def test_a_file_without_a_required_column_is_named(tmp_path, source, drop, kind):
    lines = [line.split(",") for line in source.read_text().splitlines()]
    at = lines[0].index(drop)
    path = tmp_path / "x.csv"
    path.write_text("\n".join(",".join(c[:at] + c[at + 1 :]) for c in lines) + "\n")
    with pytest.raises(
        IngestError,
        match=rf"x\.csv, line 1: a Tardis {kind} file needs the column\(s\) \['{drop}'\].*"
        "'required_columns'",
    ):
        ingest(path, format="tardis", out=tmp_path / "b.parquet")


def test_rows_of_another_symbol_are_an_error_or_skipped(tmp_path):
    path = _edited(tmp_path, DELTAS, 5, "symbol", "ETHUSDT")
    with pytest.raises(
        IngestError, match=r"line 5: a row of symbol 'ETHUSDT', but .* 'BTCUSDT'.*'one_symbol'"
    ):
        ingest(path, format="tardis", out=tmp_path / "b.parquet")
    report = ingest(path, format="tardis", out=tmp_path / "b.parquet", on_other_symbol="skip")
    assert report.other_symbol_lines == 1 and report.rows_out == 6


def test_repeated_and_backward_trades_are_an_error_or_dropped(tmp_path):
    lines = TRADES.read_text().splitlines()
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("\n".join([*lines[:6], lines[3], *lines[6:]]) + "\n")
    with pytest.raises(IngestError, match=r"line 7: trade_id '[0-9a-f-]+' was read before"):
        ingest(repeated, format="tardis", out=tmp_path / "t.parquet")
    report = ingest(
        repeated, format="tardis", out=tmp_path / "t.parquet", on_duplicate_trade="drop"
    )
    assert report.duplicate_trades == 1 and len(read_trades(tmp_path / "t.parquet")) == 10
    back = _edited(tmp_path, TRADES, 8, "timestamp", "1583020743145000")  # 60 s before line 2
    with pytest.raises(IngestError, match=r"line 8: trade time goes back .*'trade_time_order'"):
        ingest(back, format="tardis", out=tmp_path / "t.parquet")
    report = ingest(back, format="tardis", out=tmp_path / "t.parquet", on_trade_backwards="drop")
    assert report.trades_backwards == 1 and len(read_trades(tmp_path / "t.parquet")) == 9


def test_a_row_with_a_missing_field_is_named_and_later_lines_stay_right(tmp_path):
    lines = DELTAS.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # line 3 loses its amount
    lines[5] = lines[5].replace(",0.0", ",-1")  # a negative amount, line 7 once the blank is in
    path = tmp_path / "x.csv"
    path.write_text("\n".join([*lines[:5], "", *lines[5:]]) + "\n")  # a blank line 6
    with pytest.raises(IngestError, match=r"x\.csv, line 3: 7 fields, expected 8.*'field_count'"):
        ingest(path, format="tardis", out=tmp_path / "b.parquet")
    report = ingest(path, format="tardis", out=tmp_path / "b.parquet", on_bad_line="skip")
    assert sorted(report.skipped_examples) == [
        "line 3: 7 fields, expected 8 (check 'field_count')",
        "line 6: timestamp '' is not microseconds exact to the ns (a decimal with at most 3 "
        "decimals) (check 'exact_timestamp')",
        "line 7: amount '-1' is not a non-negative decimal number (check 'cell_value')",
    ]


@pytest.mark.parametrize("policy", ["error", "skip"])
def test_a_row_that_is_not_utf8_is_named_without_a_traceback(tmp_path, capsys, policy):
    lines = TRADES.read_bytes().splitlines()
    path = tmp_path / "x.csv"
    path.write_bytes(b"\n".join([*lines[:3], b"\xff\xfe,1", *lines[3:]]) + b"\n")
    with pytest.raises(IngestError, match=r"x\.csv, line 4: 2 fields, expected 8.*'field_count'"):
        ingest(path, format="tardis", out=tmp_path / "t.parquet", on_bad_line=policy)
    assert "Traceback" not in capsys.readouterr().err
