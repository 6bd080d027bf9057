"""Binance input that used to go in uncounted: bad trades, other symbols, later snapshots."""

import json
import re

import numpy as np
import orjson
import pytest
from rich.console import Console

from l2gpu.data import read_book, read_trades
from l2gpu.data.ingest import IngestError, ingest
from tests.samples import BTCUSDT, ETHUSDT, corrupt, read_lines, write_gz

PREFIX_LINES = 5000


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The first BTCUSDT lines and the book and trades they give."""
    tmp = tmp_path_factory.mktemp("clean")
    lines = read_lines(BTCUSDT, PREFIX_LINES)
    ingest(
        write_gz(tmp / "clean.gz", lines),
        format="binance",
        out=tmp / "b.parquet",
        depth=5,
        trades_out=tmp / "t.parquet",
    )
    return lines, read_book(tmp / "b.parquet", engine="cpu"), read_trades(tmp / "t.parquet")


def trade_lines(lines):
    return [i for i, line in enumerate(lines) if b"@trade" in line]


def edit_trade(line, **changes):
    ns, payload = line.split(b" ", 1)
    msg = orjson.loads(payload)
    msg["data"].update(changes)
    return ns + b" " + orjson.dumps(msg) + b"\n"


def run(path, tmp_path, **policies):
    report = ingest(
        path,
        format="binance",
        out=tmp_path / "b.parquet",
        depth=5,
        trades_out=tmp_path / "t.parquet",
        **policies,
    )
    return (
        report,
        read_book(tmp_path / "b.parquet", engine="cpu"),
        read_trades(tmp_path / "t.parquet"),
    )


def assert_same_trades(a, b, drop=()):
    keep = np.setdiff1d(np.arange(len(b)), drop)
    for name in ("ts", "local_ts", "px", "sz", "side", "trade_id"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name)[keep], err_msg=name)


def test_a_repeated_trade_is_an_error_or_dropped(clean, tmp_path):
    lines, _, trades = clean
    target = trade_lines(lines)[40]
    path = corrupt(lines, tmp_path, lambda ls: ls.insert(target + 3, ls[target]))
    with pytest.raises(
        IngestError, match=rf"line {target + 4}: trade_id \d+ was read before.*'trade_id_unique'"
    ):
        run(path, tmp_path)
    report, _, kept = run(path, tmp_path, on_duplicate_trade="drop")
    assert report.duplicate_trades == 1 and report.repairs()["duplicate_trades"] == 1
    assert json.loads(json.dumps(report.to_dict()))["duplicate_trades"] == 1
    console = Console(record=True, width=200)
    console.print(report)
    assert re.search(r"trades dropped: repeated id\s+│ 1 ", console.export_text())
    assert_same_trades(kept, trades)


@pytest.mark.parametrize("back_ms", [1, 60_000], ids=["1ms", "60s"])
def test_a_trade_back_in_time_is_an_error_or_dropped(clean, tmp_path, back_ms):
    lines, _, trades = clean
    targets = trade_lines(lines)
    target = targets[50]
    before = orjson.loads(lines[targets[49]].split(b" ", 1)[1])["data"]["T"]
    path = corrupt(
        lines,
        tmp_path,
        lambda ls: ls.__setitem__(target, edit_trade(ls[target], T=before - back_ms)),
    )
    with pytest.raises(
        IngestError, match=rf"line {target + 1}: trade time goes back .*'trade_time_order'"
    ):
        run(path, tmp_path)
    report, _, kept = run(path, tmp_path, on_trade_backwards="drop")
    assert report.trades_backwards == 1
    assert_same_trades(kept, trades, drop=[50])


@pytest.mark.parametrize(
    ("field", "value", "check"),
    [
        ("p", "0.00", "'trade_price_positive'"),
        ("q", "0.000", "'trade_size_positive'"),
        ("p", "NaN", "trade price 'NaN' is not a decimal number.*'cell_value'"),
        ("q", "-0.5", "trade size '-0.5' is negative.*'cell_value'"),
        ("p", "-61800.1", "trade price '-61800.1' is negative.*'cell_value'"),
    ],
)
def test_a_trade_with_a_bad_price_or_size_is_an_error_or_skipped(
    clean, tmp_path, field, value, check
):
    lines, _, trades = clean
    target = trade_lines(lines)[10]
    path = corrupt(
        lines, tmp_path, lambda ls: ls.__setitem__(target, edit_trade(ls[target], **{field: value}))
    )
    with pytest.raises(IngestError, match=rf"line {target + 1}: .*{check}"):
        run(path, tmp_path)
    report, _, kept = run(path, tmp_path, on_bad_line="skip")
    assert report.skipped_lines == 1 and f"line {target + 1}" in report.skipped_examples[0]
    assert_same_trades(kept, trades, drop=[10])


def test_lines_of_another_symbol_are_an_error_or_skipped(clean, tmp_path):
    lines, book, trades = clean
    eth = read_lines(ETHUSDT, 400)
    foreign = [line for line in eth if b"@trade" in line][:5] + [
        line for line in eth if b"@depth" in line
    ][:3]

    def mix(ls):
        for k, line in enumerate(foreign):
            ls.insert(1000 + 300 * k, line)

    path = corrupt(lines, tmp_path, mix)
    with pytest.raises(
        IngestError,
        match=r"line 1001: a line of another instrument: it names 'ethusdt'.*'one_symbol'",
    ):
        run(path, tmp_path)
    report, kept_book, kept = run(path, tmp_path, on_other_symbol="skip")
    assert report.other_symbol_lines == len(foreign)
    assert_same_trades(kept, trades)
    np.testing.assert_array_equal(kept_book.bid_px, book.bid_px)


def test_a_reformatted_line_of_another_symbol_is_caught_by_the_json_path(clean, tmp_path):
    lines, _, _ = clean
    target = trade_lines(lines)[5]

    def respell(ls):
        ns, payload = ls[target].split(b" ", 1)
        msg = orjson.loads(payload)
        msg["data"]["s"] = "XRPUSDT"
        ls[target] = (
            ns + b" " + orjson.dumps(msg, option=orjson.OPT_INDENT_2).replace(b"\n", b"") + b"\n"
        )

    with pytest.raises(IngestError, match=rf"line {target + 1}: .*symbol 'XRPUSDT'.*'one_symbol'"):
        run(corrupt(lines, tmp_path, respell), tmp_path)


def test_a_zero_price_level_is_a_bad_line(clean, tmp_path):
    lines, _, _ = clean
    target = next(i for i, line in enumerate(lines) if b"depthUpdate" in line and i > 200)
    path = corrupt(
        lines,
        tmp_path,
        lambda ls: ls.__setitem__(
            target, ls[target].replace(b'"b":[["', b'"b":[["0.00","1.0"],["', 1)
        ),
    )
    with pytest.raises(
        IngestError, match=rf"line {target + 1}: price '0.00' is zero.*'cell_value'"
    ):
        run(path, tmp_path)


def _snapshot_of(reader_book, last_id, local_ns, t_ms, edit=None):
    side, units, size = reader_book.held_levels()
    size = size.copy()
    if edit is not None:
        edit(side, units, size)
    pairs = {
        s: [
            [f"{u / 1e8:.2f}", f"{z:.3f}"]
            for u, z in zip(units[side == s], size[side == s], strict=True)
        ]
        for s in (0, 1)
    }
    body = {"lastUpdateId": last_id, "E": t_ms, "T": t_ms, "bids": pairs[0], "asks": pairs[1]}
    return str(local_ns).encode() + b" " + orjson.dumps(body) + b"\n"


def _book_after(lines, upto, tmp_path):
    """The full book after lines[:upto], rebuilt by the reader itself."""
    from l2gpu.data.book import BookMeta
    from l2gpu.data.ingest.binance import BinanceReader
    from l2gpu.data.ingest.policies import Policies
    from l2gpu.data.ingest.report import IngestReport
    from l2gpu.data.ingest.sink import BookSink

    head = write_gz(tmp_path / "head.gz", lines[:upto])
    report = IngestReport("binance", [head])
    sink = BookSink(tmp_path / "h.parquet", None, 5, BookMeta(), Policies(), report, head)
    reader = BinanceReader(head, sink, Policies(), report, 5, None)
    reader.run(lambda done: None)
    return reader.book


def test_a_later_snapshot_is_compared_with_the_rebuilt_book(clean, tmp_path):
    lines, book, _ = clean
    diffs = [i for i, line in enumerate(lines) if b"depthUpdate" in line]
    at = diffs[300]
    last = orjson.loads(lines[at].split(b" ", 1)[1])["data"]
    local_ns = int(lines[at].split(b" ", 1)[0])
    rebuilt = _book_after(lines, at + 1, tmp_path)
    agreeing = _snapshot_of(rebuilt, last["u"], local_ns, last["T"])
    report, same, _ = run(
        corrupt(lines, tmp_path, lambda ls: ls.insert(at + 1, agreeing)), tmp_path
    )
    assert report.later_snapshots == 1
    assert report.checks["later snapshots against the rebuilt book"].startswith("1 agree, 0 differ")
    np.testing.assert_array_equal(same.bid_sz, book.bid_sz)

    def change_best_bid(side, units, size):
        bids = np.flatnonzero(side == 0)
        size[bids[np.argmax(units[bids])]] += 1.0

    differing = _snapshot_of(rebuilt, last["u"], local_ns, last["T"], change_best_bid)
    path = corrupt(lines, tmp_path, lambda ls: ls.insert(at + 1, differing))
    with pytest.raises(
        IngestError,
        match=rf"line {at + 2}: sequence gap: the depth snapshot .* differs from the "
        r"book rebuilt to the same update: bid [\d.]+: .*'update_id_chain'",
    ):
        run(path, tmp_path)
    report, resynced, _ = run(path, tmp_path, on_gap="resync")
    assert report.gaps == 1 and report.rows_lost == 0
    row = int(np.flatnonzero(resynced.seq == last["u"])[0]) + 1
    assert (
        resynced.bid_sz[0, row] != book.bid_sz[0, row]
        or resynced.bid_px[0, row] != book.bid_px[0, row]
    )


def test_a_stale_copy_of_the_snapshot_later_is_counted_and_not_applied(clean, tmp_path):
    lines, book, _ = clean
    snapshot = next(i for i, line in enumerate(lines) if b"lastUpdateId" in line)
    path = corrupt(lines, tmp_path, lambda ls: ls.insert(3000, ls[snapshot]))
    report, same, _ = run(path, tmp_path)
    assert report.later_snapshots == 1
    assert "1 not compared" in report.checks["later snapshots against the rebuilt book"]
    console = Console(record=True, width=200)
    console.print(report)
    assert "later snapshots" in console.export_text()
    np.testing.assert_array_equal(same.ask_px, book.ask_px)
