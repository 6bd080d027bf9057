import shutil

import numpy as np
import pandas as pd
import pytest

from l2gpu.data import read_book
from l2gpu.data.ingest import IngestError, ingest
from l2gpu.data.trades import read_trades
from tests.samples import AAPL, AMZN, lobster_pair


def orderbook_reference(path, levels):
    """Levels of a LOBSTER orderbook file as [K, T] arrays, dummies as NaN / 0."""
    raw = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    out = {}
    for offset, name in enumerate(("ask_px", "ask_sz", "bid_px", "bid_sz")):
        values = raw[:, offset::4].T.astype(np.float64)[:levels]
        prices = raw[:, (offset // 2) * 2 :: 4].T[:levels]
        empty = np.abs(prices) == 9_999_999_999
        if name.endswith("px"):
            values = np.where(empty, np.nan, values / 10_000)
        else:
            values = np.where(empty, 0.0, values)
        out[name] = values
    return out


@pytest.mark.parametrize(
    ("folder", "levels", "rows", "consistent"),
    [(AMZN, 1, 57_515, "55,070 of 55,070"), (AAPL, 10, 999, "937 of 937")],
)
def test_every_level_equals_the_orderbook_file(tmp_path, folder, levels, rows, consistent):
    message, orderbook = lobster_pair(folder)
    report = ingest(
        [message, orderbook],
        format="lobster",
        out=tmp_path / "b.parquet",
        trades_out=tmp_path / "t.parquet",
    )
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    assert len(book) == rows and book.depth == levels and report.rows_out == rows
    for name, values in orderbook_reference(orderbook, levels).items():
        np.testing.assert_array_equal(getattr(book, name), values, err_msg=name)
    assert report.checks["message consistency"].startswith(consistent)
    np.testing.assert_array_equal(book.seq, np.arange(rows))
    assert report.crossed_rows == 0 and book.crossed_rows().size == 0


def test_times_are_new_york_seconds_converted_to_utc_ns(tmp_path):
    message, orderbook = lobster_pair(AAPL)
    ingest([message, orderbook], format="lobster", out=tmp_path / "b.parquet")
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    seconds = pd.read_csv(message, header=None, dtype={0: str})[0]
    # 2012-06-21 is summer time in New York: UTC-4.
    midnight = pd.Timestamp("2012-06-21 04:00:00", tz="UTC").value
    expected = [
        midnight + int(s.split(".")[0]) * 10**9 + int(s.split(".")[1].ljust(9, "0"))
        for s in seconds
    ]
    assert book.ts.tolist() == expected
    assert str(pd.Timestamp(book.ts[0], tz="UTC")) == "2012-06-21 13:30:00.004241176+00:00"


def test_executions_become_trades_with_the_aggressor_opposite_the_resting_side(tmp_path):
    message, orderbook = lobster_pair(AMZN)
    ingest(
        [message, orderbook],
        format="lobster",
        out=tmp_path / "b.parquet",
        trades_out=tmp_path / "t.parquet",
    )
    msgs = pd.read_csv(message, header=None, names=["t", "type", "id", "size", "px", "dir"])
    executions = msgs[msgs.type.isin([4, 5])]
    trades = read_trades(tmp_path / "t.parquet")
    assert len(trades) == len(executions) == 8_974 + 2_445
    assert trades.side.tolist() == (-executions.dir).tolist()
    assert trades.px.tolist() == (executions.px / 10_000).tolist()
    assert trades.trade_id.tolist() == executions.index.tolist()


def test_a_wrong_size_in_the_orderbook_fails_the_consistency_count(tmp_path):
    message, orderbook = lobster_pair(AAPL)
    lines = orderbook.read_text().splitlines()
    cells = lines[500].split(",")
    cells[1] = str(int(cells[1]) + 7)
    lines[500] = ",".join(cells)
    broken = tmp_path / orderbook.name
    broken.write_text("\n".join(lines))
    shutil.copy(message, tmp_path / message.name)
    pair = [tmp_path / message.name, broken]
    with pytest.raises(
        IngestError, match=r"message_10\.csv, line 501: message type 4 .*'message_consistency'"
    ):
        ingest(pair, format="lobster", out=tmp_path / "b.parquet")
    report = ingest(pair, format="lobster", out=tmp_path / "b.parquet", on_inconsistent="keep")
    outcome = report.checks["message consistency"]
    assert outcome.startswith("935 of 937") and "disagreeing rows [500, 501]" in outcome
    assert report.inconsistent_rows == 2 and report.inconsistent_row_ids == [500, 501]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda rows: rows[:-3],
            r"message_1\.csv, line 57513: .*orderbook_1\.csv ends after 57,512 rows.*'row_count'",
        ),
        (
            lambda rows: [*rows[:5], "1,2,x,4", *rows[6:]],
            r"orderbook_1\.csv, line 6, column bid_px_0: 'x' is not a decimal.*'cell_value'",
        ),
        (
            lambda rows: [*rows[:9], rows[9].replace(",", ",-", 1), *rows[10:]],
            r"orderbook_1\.csv, line 10, book row 9 \(seq 9\): ask_px_0 = \d+\.\d+, "
            r"ask_sz_0 = -\d+\.0; .*'level_size_positive'",
        ),
        (
            lambda rows: [*rows[:6], "1,2,3", *rows[7:]],
            r"orderbook_1\.csv, line 7: 3 fields, expected 4.*'field_count'",
        ),
    ],
    ids=["short-orderbook", "not-a-number", "negative-size", "missing-field"],
)
def test_bad_lobster_files_name_the_problem(tmp_path, edit, message):
    msg, orderbook = lobster_pair(AMZN)
    rows = orderbook.read_text().splitlines()
    (tmp_path / orderbook.name).write_text("\n".join(edit(rows)) + "\n")
    shutil.copy(msg, tmp_path / msg.name)
    with pytest.raises(IngestError, match=message):
        ingest(
            [tmp_path / msg.name, tmp_path / orderbook.name],
            format="lobster",
            out=tmp_path / "b.parquet",
        )


def test_files_must_be_a_named_pair(tmp_path):
    message, orderbook = lobster_pair(AMZN)
    odd = tmp_path / "amzn.csv"
    shutil.copy(message, odd)
    with pytest.raises(IngestError, match="LOBSTER files are named"):
        ingest([odd, orderbook], format="lobster", out=tmp_path / "b.parquet")
    with pytest.raises(ValueError, match="one message and one orderbook file"):
        ingest([message], format="lobster", out=tmp_path / "b.parquet")


def _copy_pair(tmp_path, folder, edit_message=None, edit_book=None):
    """Copies of a LOBSTER pair, each file's lines changed by its edit (a list -> list)."""
    out = []
    for path, edit in zip(lobster_pair(folder), (edit_message, edit_book), strict=True):
        rows = path.read_text().splitlines()
        (tmp_path / path.name).write_text("\n".join(edit(rows) if edit else rows) + "\n")
        out.append(tmp_path / path.name)
    return out


def _cell(rows, row, column, value):
    cells = rows[row].split(",")
    cells[column] = value
    return [*rows[:row], ",".join(cells), *rows[row + 1 :]]


@pytest.mark.parametrize(
    ("which", "row", "column", "value", "message"),
    [
        ("message", 20, 4, "NaN", r"message_1\.csv, line 21, column price: 'NaN' is not a decimal"),
        ("message", 21, 3, "", r"message_1\.csv, line 22, column size: '' is empty"),
        ("book", 30, 2, "NaN", r"orderbook_1\.csv, line 31, column bid_px_0: 'NaN' is not"),
        ("book", 31, 3, "", r"orderbook_1\.csv, line 32, column bid_sz_0: '' is empty"),
        ("book", 32, 1, "1.5", r"orderbook_1\.csv, line 33, column ask_sz_0: '1\.5' is not"),
    ],
)
def test_nan_and_empty_cells_name_their_line_and_column(
    tmp_path, which, row, column, value, message
):
    edit = lambda rows: _cell(rows, row, column, value)  # noqa: E731
    pair = _copy_pair(tmp_path, AMZN, *((edit, None) if which == "message" else (None, edit)))
    with pytest.raises(IngestError, match=message + ".*'cell_value'"):
        ingest(pair, format="lobster", out=tmp_path / "b.parquet")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (0, "", r"line 41, column time: '' is empty.*'exact_timestamp'"),
        (0, "34200.1.5", r"line 41, column time: '34200\.1\.5' is not.*'exact_timestamp'"),
        (1, "9", r"line 41, column type: type 9 is not 1 to 7.*'message_fields'"),
        (5, "0", r"line 41, column direction: direction 0 is not 1 \(buy\).*'message_fields'"),
    ],
)
def test_bad_message_fields_are_named(tmp_path, column, value, message):
    pair = _copy_pair(tmp_path, AMZN, lambda rows: _cell(rows, 40, column, value))
    with pytest.raises(IngestError, match=message):
        ingest(pair, format="lobster", out=tmp_path / "b.parquet")


def test_time_going_back_names_the_message_file(tmp_path):
    def rewind(rows):
        return _cell(rows, 50, 0, rows[49].split(",")[0].replace("34200.", "34199.", 1))

    pair = _copy_pair(tmp_path, AAPL, rewind)
    with pytest.raises(
        IngestError, match=r"message_10\.csv, line 51, book row 50 .*time goes back.*'ts_order'"
    ):
        ingest(pair, format="lobster", out=tmp_path / "b.parquet", on_inconsistent="keep")


def _swap_sides(rows):
    """Orderbook columns in the order bid_px, bid_sz, ask_px, ask_sz (another tool's layout)."""
    out = []
    for row in rows:
        cells = row.split(",")
        out.append(
            ",".join(
                c for k in range(0, len(cells), 4) for c in cells[k + 2 : k + 4] + cells[k : k + 2]
            )
        )
    return out


def test_reordered_orderbook_columns_are_an_error_not_crossed_rows(tmp_path):
    one_level = _copy_pair(tmp_path, AMZN, None, _swap_sides)
    with pytest.raises(IngestError, match=r"message_1\.csv, line 2: .*'message_consistency'"):
        ingest(one_level, format="lobster", out=tmp_path / "b.parquet")
    ten_levels = _copy_pair(tmp_path, AAPL, None, _swap_sides)
    with pytest.raises(
        IngestError,
        match=r"orderbook_10\.csv, line 1, .*bid_px_0 = .*bid_px_1 = .*'levels_ordered'",
    ):
        ingest(ten_levels, format="lobster", out=tmp_path / "b.parquet")


def test_reordered_message_columns_are_an_error(tmp_path):
    def swap_size_and_price(rows):
        return [
            ",".join([c[0], c[1], c[2], c[4], c[3], c[5]]) for c in (r.split(",") for r in rows)
        ]

    pair = _copy_pair(tmp_path, AMZN, swap_size_and_price)
    with pytest.raises(IngestError, match=r"message_1\.csv, line 2: .*'message_consistency'"):
        ingest(pair, format="lobster", out=tmp_path / "b.parquet")


def test_a_row_count_mismatch_names_where_the_shorter_file_ends(tmp_path):
    pair = _copy_pair(tmp_path, AAPL, lambda rows: rows[:-5])
    with pytest.raises(
        IngestError,
        match=r"orderbook_10\.csv, line 995: AAPL_.*message_10\.csv ends after 994 rows.*"
        "'row_count'",
    ):
        ingest(pair, format="lobster", out=tmp_path / "b.parquet")


def test_a_dummy_level_with_a_size_is_an_error(tmp_path):
    # ask_px_9 (column 36) becomes the dummy price of an empty level, its size stays.
    pair = _copy_pair(tmp_path, AAPL, None, lambda rows: _cell(rows, 100, 36, "9999999999"))
    with pytest.raises(
        IngestError,
        match=r"orderbook_10\.csv, line 101: ask level 10 has the dummy .*'missing_level'",
    ):
        ingest(pair, format="lobster", out=tmp_path / "b.parquet")
