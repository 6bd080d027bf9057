"""Ingest formats live in one registry: a toy format is this module plus one registration."""

import numpy as np
import pytest

from l2gpu.cli.ingest import build_parser
from l2gpu.core.registry import UnknownNameError
from l2gpu.data import Trades, read_book, read_trades
from l2gpu.data.ingest import FORMATS, IngestError, IngestRequest, ingest, ingest_format

TOY_ROWS = """ts_ns,bid_px,bid_sz,ask_px,ask_sz,trade_px,trade_sz
1700000000000000000,99.5,2,100.5,1,100.5,0.5
1700000000000001000,99.5,3,100.0,4,,
1700000000000001000,99.0,1,100.0,2,99.0,1
"""


def read_toy(request: IngestRequest) -> None:
    """Top-of-book rows of a tiny CSV; a row with a trade also makes a trade (buyer if at ask)."""
    path = request.single_input("toy_top")
    rows = [line.split(",") for line in path.read_text().splitlines()[1:]]
    ts = np.array([int(r[0]) for r in rows], np.int64)  # exact: never through float64
    table = np.array([[float(v) if v else np.nan for v in r] for r in rows])
    bid_px, bid_sz, ask_px, ask_sz = (table[:, c][None, :] for c in (1, 2, 3, 4))
    lines = np.arange(2, 2 + ts.size)
    request.sink.depth = 1
    request.sink.refine_meta(exchange="toy", symbol=request.symbol or "TOY")
    request.sink.write_rows(ts, ts, np.arange(ts.size), bid_px, bid_sz, ask_px, ask_sz, lines=lines)
    traded = ~np.isnan(table[:, 5])
    request.sink.write_trades(
        Trades(
            ts=ts[traded],
            local_ts=ts[traded],
            px=table[traded, 5],
            sz=table[traded, 6],
            side=np.where(table[traded, 5] >= table[traded, 3], 1, -1).astype(np.int8),
            trade_id=np.flatnonzero(traded).astype(np.int64),
        ),
        lines=lines[traded],
    )
    request.report.lines_in += ts.size


@pytest.fixture
def toy_format():
    ingest_format("toy_top", "a CSV of top-of-book rows")(read_toy)
    yield FORMATS["toy_top"]
    FORMATS.remove("toy_top")


def test_a_toy_format_registers_and_ingests(toy_format, tmp_path):
    path = tmp_path / "top.csv"
    path.write_text(TOY_ROWS)
    report = ingest(
        path, format="toy_top", out=tmp_path / "b.parquet", trades_out=tmp_path / "t.parquet"
    )
    book = read_book(tmp_path / "b.parquet", engine="cpu")
    assert report.rows_out == 3 and book.depth == 1 and book.meta.exchange == "toy"
    assert book.bid_px[0].tolist() == [99.5, 99.5, 99.0]
    assert book.ask_sz[0].tolist() == [1.0, 4.0, 2.0]
    trades = read_trades(tmp_path / "t.parquet")
    assert trades.side.tolist() == [1, -1] and trades.trade_id.tolist() == [0, 2]
    assert "toy_top" in FORMATS.listing() and toy_format.summary == "a CSV of top-of-book rows"
    assert "toy_top" in build_parser().format_help()


def test_the_store_checks_apply_to_a_toy_format_too(toy_format, tmp_path):
    path = tmp_path / "top.csv"
    path.write_text(TOY_ROWS.replace("99.5,3,100.0,4", "99.5,-3,100.0,4"))
    with pytest.raises(IngestError, match=r"top\.csv, line 3, .*'level_size_positive'"):
        ingest(path, format="toy_top", out=tmp_path / "b.parquet")
    report = ingest(path, format="toy_top", out=tmp_path / "b.parquet", on_bad_line="skip")
    assert report.skipped_lines == 1 and report.rows_out == 2
    path.write_text(TOY_ROWS.replace("100.5,0.5", "100.5,0"))
    with pytest.raises(IngestError, match=r"line 2: sz = 0\.0; .*'trade_size_positive'"):
        ingest(path, format="toy_top", out=tmp_path / "b.parquet", trades_out=tmp_path / "t.pq")


def test_an_unknown_format_lists_the_known_ones(tmp_path):
    assert FORMATS.names()[:3] == ["binance", "lobster", "tardis"]
    with pytest.raises(UnknownNameError, match=r"known: binance, lobster, tardis$"):
        ingest(tmp_path / "x.csv", format="kraken", out=tmp_path / "b.parquet")
    with pytest.raises(ValueError, match="ingest format 'binance' is registered twice"):
        ingest_format("binance", "again")(read_toy)


def test_formats_refuse_what_they_cannot_take(tmp_path):
    from tests.samples import TARDIS

    with pytest.raises(ValueError, match="bbo_out is for format 'binance'"):
        ingest(
            TARDIS / "deltas_with_snapshot.csv",
            format="tardis",
            out=tmp_path / "b.parquet",
            bbo_out=tmp_path / "bbo.parquet",
        )
    with pytest.raises(ValueError, match="'tardis' reads one file at a time, got 2"):
        ingest(
            [TARDIS / "deltas_with_snapshot.csv"] * 2, format="tardis", out=tmp_path / "b.parquet"
        )
