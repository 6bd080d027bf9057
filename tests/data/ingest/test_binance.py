import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest

from l2gpu.core.registry import UnknownNameError
from l2gpu.data import read_book
from l2gpu.data.ingest import IngestError, ingest
from l2gpu.data.ingest.binance_fast import FastDepthLines
from l2gpu.data.ingest.binance_records import parse_line
from l2gpu.data.ingest.parsers.binance_lines import KIND_DEPTH, index_lines
from l2gpu.data.trades import read_trades
from tests.samples import BTCUSDT, ETHUSDT, corrupt, read_lines, write_gz

PREFIX_LINES = 6000


def audit(book_path, bbo_path):
    """(matches, points): rows whose seq equals a bookTicker u, compared at level 0."""
    book = read_book(book_path, engine="cpu")
    bbo = pq.read_table(bbo_path).to_pandas()
    row_of = {int(s): i for i, s in enumerate(book.seq)}
    points = [(r, row_of[r.seq]) for r in bbo.itertuples() if r.seq in row_of]
    matches = sum(
        book.bid_px[0, i] == r.bid_px
        and book.bid_sz[0, i] == r.bid_sz
        and book.ask_px[0, i] == r.ask_px
        and book.ask_sz[0, i] == r.ask_sz
        for r, i in points
    )
    return matches, len(points), book


@pytest.mark.parametrize(
    ("path", "expected_points", "trades"), [(BTCUSDT, 629, 21_313), (ETHUSDT, 551, 14_076)]
)
def test_rebuilt_top_of_book_matches_every_book_ticker(tmp_path, path, expected_points, trades):
    report = ingest(
        path,
        format="binance",
        out=tmp_path / "b.parquet",
        depth=5,
        trades_out=tmp_path / "t.parquet",
        bbo_out=tmp_path / "bbo.parquet",
    )
    matches, points, book = audit(tmp_path / "b.parquet", tmp_path / "bbo.parquet")
    assert (matches, points) == (expected_points, expected_points)
    assert report.crossed_rows == 0 and book.crossed_rows().size == 0
    assert report.gaps == 0 and report.skipped_lines == 0
    assert report.rows_out == len(book) and np.all(np.diff(book.ts) >= 0)
    assert np.all(np.diff(book.seq) > 0)
    tr = read_trades(tmp_path / "t.parquet")
    assert len(tr) == trades and set(np.unique(tr.side)) == {-1, 1}


def test_trade_sides_and_times_follow_the_raw_fields(tmp_path):
    lines = read_lines(BTCUSDT, PREFIX_LINES)
    ingest(
        write_gz(tmp_path / "p.gz", lines),
        format="binance",
        out=tmp_path / "b.parquet",
        trades_out=tmp_path / "t.parquet",
    )
    raw = [orjson.loads(line.split(b" ", 1)[1])["data"] for line in lines if b"@trade" in line]
    trades = read_trades(tmp_path / "t.parquet")
    assert trades.trade_id.tolist() == [t["t"] for t in raw]
    assert trades.side.tolist() == [-1 if t["m"] else 1 for t in raw]
    assert trades.ts.tolist() == [t["T"] * 1_000_000 for t in raw]
    assert trades.px.tolist() == [float(t["p"]) for t in raw]


def test_fast_path_equals_the_json_path_on_real_lines():
    buf = np.frombuffer(b"".join(read_lines(BTCUSDT, 3000)), np.uint8)
    starts, ends, kinds = index_lines(buf)
    rows = np.flatnonzero(kinds == KIND_DEPTH)
    fast = FastDepthLines(buf, starts, ends, rows)
    assert rows.size > 100
    for i in rows:
        quick = fast.record(int(i), int(i) + 1)
        slow = parse_line(int(i) + 1, buf[starts[i] : ends[i]].tobytes(), False)
        assert quick is not None and slow is not None
        for field in ("local_ns", "ts_ns", "first_id", "last_id", "prev_id"):
            assert getattr(quick, field) == getattr(slow, field)
        for field in ("side", "units", "size"):
            np.testing.assert_array_equal(getattr(quick, field), getattr(slow, field))


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    """The first lines of the BTCUSDT file and the clean book they give."""
    tmp = tmp_path_factory.mktemp("prefix")
    lines = read_lines(BTCUSDT, PREFIX_LINES)
    ingest(write_gz(tmp / "clean.gz", lines), format="binance", out=tmp / "clean.parquet", depth=5)
    return lines, read_book(tmp / "clean.parquet", engine="cpu")


def diff_lines(lines, after=100):
    return [i for i, line in enumerate(lines) if b"depthUpdate" in line and i > after]


def test_a_reformatted_but_valid_line_gives_the_same_book(prefix, tmp_path):
    lines, clean = prefix
    target = diff_lines(lines)[3]

    def respace(ls):
        ns, payload = ls[target].split(b" ", 1)
        data = orjson.loads(payload)
        data["data"] = dict(reversed(list(data["data"].items())))
        ls[target] = (
            ns + b" " + orjson.dumps(data, option=orjson.OPT_INDENT_2).replace(b"\n", b"") + b"\n"
        )

    ingest(corrupt(lines, tmp_path, respace), format="binance", out=tmp_path / "b.parquet", depth=5)
    np.testing.assert_array_equal(
        read_book(tmp_path / "b.parquet", engine="cpu").bid_sz, clean.bid_sz
    )


def test_a_dropped_diff_is_a_gap_that_names_the_ids(prefix, tmp_path):
    lines, _ = prefix
    target = diff_lines(lines)[10]
    path = corrupt(lines, tmp_path, lambda ls: ls.__delitem__(target))
    with pytest.raises(
        IngestError,
        match=r"line \d+: sequence gap: diff U=\d+ u=\d+ has "
        r"pu=\d+, but the previous applied diff ended at",
    ):
        ingest(path, format="binance", out=tmp_path / "b.parquet")
    assert not (tmp_path / "b.parquet").exists(), "no half-written store is left behind"


def test_swapped_lines_are_a_gap(prefix, tmp_path):
    lines, _ = prefix
    a, b = diff_lines(lines)[20:22]

    def swap(ls):
        ls[a], ls[b] = ls[b], ls[a]

    with pytest.raises(IngestError, match="sequence gap"):
        ingest(corrupt(lines, tmp_path, swap), format="binance", out=tmp_path / "b.parquet")


def _snapshot_line(book_levels, last_update_id, local_ns, t_ms):
    side, units, size = book_levels
    pairs = {
        s: [
            [f"{u / 1e8:.2f}", f"{z:.3f}"]
            for u, z in zip(units[side == s], size[side == s], strict=True)
        ]
        for s in (0, 1)
    }
    body = {
        "lastUpdateId": last_update_id,
        "E": t_ms,
        "T": t_ms,
        "bids": pairs[0],
        "asks": pairs[1],
    }
    return str(local_ns).encode() + b" " + orjson.dumps(body) + b"\n"


def test_resync_drops_the_book_until_the_next_snapshot(prefix, tmp_path):
    from l2gpu.data.book import BookMeta
    from l2gpu.data.ingest.binance import BinanceReader
    from l2gpu.data.ingest.policies import Policies
    from l2gpu.data.ingest.report import IngestReport
    from l2gpu.data.ingest.sink import BookSink

    lines, clean = prefix
    diffs = diff_lines(lines)
    dropped, resume = diffs[10], diffs[40]
    # The full book just before line `resume`, rebuilt from the clean lines: a true snapshot.
    head = write_gz(tmp_path / "head.gz", lines[:resume])
    report = IngestReport("binance", [head])
    sink = BookSink(tmp_path / "h.parquet", None, 5, BookMeta(), Policies(), report, head)
    reader = BinanceReader(head, sink, Policies(), report, 5, None)
    reader.run(lambda done: None)
    last = orjson.loads(lines[diffs[39]].split(b" ", 1)[1])["data"]
    snapshot = _snapshot_line(
        reader.book.held_levels(), last["u"], int(lines[resume].split(b" ", 1)[0]) - 1, last["T"]
    )

    def edit(ls):
        ls.insert(resume, snapshot)
        ls.pop(dropped)

    report = ingest(
        corrupt(lines, tmp_path, edit),
        format="binance",
        on_gap="resync",
        out=tmp_path / "b.parquet",
        depth=5,
    )
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    # Diff 10 is gone; 11 reveals the gap; 12..38 are older than the snapshot; 39 (u equal to
    # lastUpdateId) is the first applied again, as Binance's rule says.
    assert report.gaps == 1 and report.rows_lost == 28
    first_diff_row = len(clean) - len(diffs)
    keep = np.r_[np.arange(0, first_diff_row + 10), np.arange(first_diff_row + 39, len(clean))]
    assert len(book) == keep.size
    for name in ("seq", "bid_px", "bid_sz", "ask_px", "ask_sz"):
        np.testing.assert_array_equal(getattr(book, name), getattr(clean, name)[..., keep])


def test_a_truncated_gzip_is_an_error_or_a_counted_stop(prefix, tmp_path):
    lines, clean = prefix
    whole = write_gz(tmp_path / "whole.gz", lines).read_bytes()
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(IngestError, match="gzip stream is damaged or truncated"):
        ingest(cut, format="binance", out=tmp_path / "b.parquet")
    report = ingest(cut, format="binance", out=tmp_path / "b.parquet", depth=5, on_bad_line="skip")
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    assert report.skipped_lines == 1 and 0 < len(book) < len(clean)
    np.testing.assert_array_equal(book.ask_sz, clean.ask_sz[:, : len(book)])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda line: line[:-20] + b"\n", r"unreadable"),
        (lambda line: line.replace(b'"pu":', b'"px":'), r"missing field 'pu'"),
        (lambda line: line.replace(b'.010"]', b'.010x"]', 1), r"size '0\.010x' is not a decimal"),
        (lambda line: line.replace(b'["6', b'["-6', 1), r"price '-6\d+\.\d+' is negative"),
        (lambda line: line.replace(b'","0.', b'","-0.', 1), r"size '-0\.\d+' is negative"),
        (lambda line: line.replace(b'"', b"'"), r"unreadable"),
    ],
    ids=["cut-json", "missing-field", "non-numeric", "negative-price", "negative-size", "not-json"],
)
def test_a_malformed_diff_names_its_line(prefix, tmp_path, edit, message):
    lines, _ = prefix
    target = next(i for i in diff_lines(lines) if b'.010"]' in lines[i] and b'["6' in lines[i])

    def apply(ls):
        ls[target] = edit(ls[target])

    path = corrupt(lines, tmp_path, apply)
    with pytest.raises(IngestError, match=rf"line {target + 1}: .*{message}"):
        ingest(path, format="binance", out=tmp_path / "b.parquet")
    with pytest.raises(IngestError, match="sequence gap"):
        ingest(path, format="binance", out=tmp_path / "b.parquet", on_bad_line="skip")


def test_a_skipped_bad_trade_line_is_counted(prefix, tmp_path):
    lines, _ = prefix
    target = next(i for i, line in enumerate(lines) if b"@trade" in line)

    def break_trade(ls):
        ls[target] = ls[target].replace(b'"p":"', b'"p":"x')

    report = ingest(
        corrupt(lines, tmp_path, break_trade),
        format="binance",
        out=tmp_path / "b.parquet",
        trades_out=tmp_path / "t.parquet",
        on_bad_line="skip",
    )
    trades_in = sum(b"@trade" in line for line in lines)
    assert report.skipped_lines == 1 and report.trades_out_rows == trades_in - 1
    assert f"line {target + 1}" in report.skipped_examples[0]


@pytest.mark.parametrize("stream", [b"@trade", b"depthUpdate"])
def test_an_event_time_past_the_int64_ns_range_names_its_line(prefix, tmp_path, stream):
    lines, _ = prefix
    target = [i for i, line in enumerate(lines) if stream in line][3]

    def far_future(ls):
        ns, payload = ls[target].split(b" ", 1)
        data = orjson.loads(payload)
        data["data"]["T"] = 10**16  # ms: 10^22 ns, past int64 (the fast path would wrap it)
        ls[target] = ns + b" " + orjson.dumps(data) + b"\n"

    path = corrupt(lines, tmp_path, far_future)
    with pytest.raises(IngestError, match=rf"line {target + 1}: .*'T' is 10000000000000000 ms"):
        ingest(path, format="binance", out=tmp_path / "b.parquet", trades_out=tmp_path / "t.pq")


def test_time_going_backwards_is_an_error_or_clamped(prefix, tmp_path):
    lines, clean = prefix
    target = diff_lines(lines)[15]

    def rewind(ls):
        ns, payload = ls[target].split(b" ", 1)
        data = orjson.loads(payload)
        data["data"]["T"] -= 5_000
        ls[target] = ns + b" " + orjson.dumps(data) + b"\n"

    path = corrupt(lines, tmp_path, rewind)
    with pytest.raises(IngestError, match="exchange time goes back"):
        ingest(path, format="binance", out=tmp_path / "b.parquet")
    report = ingest(
        path, format="binance", out=tmp_path / "b.parquet", depth=5, on_time_backwards="clamp"
    )
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    assert report.time_backwards == 1 and np.all(np.diff(book.ts) >= 0)
    np.testing.assert_array_equal(book.bid_px, clean.bid_px)


def test_crossed_books_are_counted_listed_and_handled_by_policy(prefix, tmp_path):
    lines, clean = prefix
    target = diff_lines(lines)[25]
    row = int(
        np.flatnonzero(clean.seq == orjson.loads(lines[target].split(b" ", 1)[1])["data"]["u"])[0]
    )
    crossing_bid = f"{clean.ask_px[0, row] + 1.0:.2f}"

    def cross(ls):
        ns, payload = ls[target].split(b" ", 1)
        data = orjson.loads(payload)
        data["data"]["b"].append([crossing_bid, "0.001"])
        ls[target] = ns + b" " + orjson.dumps(data) + b"\n"

    path = corrupt(lines, tmp_path, cross)
    kept = ingest(path, format="binance", out=tmp_path / "k.parquet", depth=5)
    assert kept.crossed_rows >= 1 and kept.crossed_row_ids[0] == clean.seq[row]
    with pytest.raises(IngestError, match=f"seq {clean.seq[row]}: crossed book"):
        ingest(path, format="binance", out=tmp_path / "e.parquet", on_crossed="error")
    dropped = ingest(path, format="binance", out=tmp_path / "d.parquet", on_crossed="drop")
    assert dropped.rows_out == len(clean) - kept.crossed_rows
    assert read_book(tmp_path / "d.parquet", engine="cpu").crossed_rows().size == 0


def test_empty_and_snapshotless_inputs_are_errors(tmp_path):
    empty = tmp_path / "empty.gz"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="the file is empty"):
        ingest(empty, format="binance", out=tmp_path / "b.parquet")
    no_snapshot = write_gz(
        tmp_path / "n.gz",
        [line for line in read_lines(BTCUSDT, 400) if b"lastUpdateId" not in line],
    )
    with pytest.raises(IngestError, match="no depth snapshot"):
        ingest(no_snapshot, format="binance", out=tmp_path / "b.parquet")


def test_unknown_format_policy_and_option_are_refused(tmp_path):
    with pytest.raises(UnknownNameError, match="format 'kraken'; known: binance, lobster"):
        ingest(BTCUSDT, format="kraken", out=tmp_path / "b.parquet")
    with pytest.raises(ValueError, match="on_gap='ignore' is not a policy"):
        ingest(BTCUSDT, format="binance", out=tmp_path / "b.parquet", on_gap="ignore")
    with pytest.raises(ValueError, match=r"unknown ingest option\(s\) \['on_typo'\]"):
        ingest(BTCUSDT, format="binance", out=tmp_path / "b.parquet", on_typo="x")
