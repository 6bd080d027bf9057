"""Line blocks of gzip input: the stdlib zlib and the optional ISA-L inflate give the same bytes.

The reference is :func:`gzip.decompress` of the whole file. Each inflater is tested (ISA-L when
``isal`` is installed: the ``fast-ingest`` extra, part of the dev install), and ingest of the
BTCUSDT sample writes bit-identical stores with either.
"""

import functools
import gzip
import zlib

import numpy as np
import pytest

from l2gpu.data.ingest import binance, blocks, ingest
from l2gpu.data.ingest.policies import IngestError
from tests.data.corruption import same, stores
from tests.samples import BTCUSDT, read_lines

INFLATERS = ["zlib", "isal"]


@pytest.fixture(params=INFLATERS)
def inflater(request, monkeypatch):
    """Make ``blocks`` inflate with one module: the standard library's or ISA-L's."""
    module = pytest.importorskip("isal.isal_zlib") if request.param == "isal" else zlib
    monkeypatch.setattr(blocks, "INFLATE", module)
    return module


def joined_blocks(path, raw_block_bytes=blocks.RAW_BLOCK_BYTES):
    out = []
    for block, _ in blocks.iter_line_blocks(path, raw_block_bytes):
        assert block.size and block[-1] == ord("\n")
        out.append(block.tobytes())
    return b"".join(out)


@pytest.mark.parametrize("raw_block_bytes", [1 << 12, blocks.RAW_BLOCK_BYTES])
def test_blocks_are_the_decompressed_file(inflater, raw_block_bytes):
    assert joined_blocks(BTCUSDT, raw_block_bytes) == gzip.decompress(BTCUSDT.read_bytes())


def test_several_gzip_members_are_read_in_turn(inflater, tmp_path):
    lines = read_lines(BTCUSDT, 3000)
    members = [gzip.compress(b"".join(lines[k : k + 700])) for k in range(0, len(lines), 700)]
    path = tmp_path / "members.gz"
    path.write_bytes(b"".join(members))
    assert joined_blocks(path, 1 << 12) == b"".join(lines)


def test_a_cut_stream_gives_its_whole_lines_then_truncated(inflater, tmp_path):
    lines = read_lines(BTCUSDT, 3000)
    whole = gzip.compress(b"".join(lines))
    path = tmp_path / "cut.gz"
    path.write_bytes(whole[: len(whole) // 2])
    got = []
    with pytest.raises(blocks.TruncatedInputError, match="gzip stream ends early"):
        for block, _ in blocks.iter_line_blocks(path, 1 << 12):
            got.append(block.tobytes())
    text = b"".join(got)
    assert text and b"".join(lines).startswith(text) and text.endswith(b"\n")


def test_corrupt_data_is_a_damaged_input_error(inflater, tmp_path):
    whole = bytearray(gzip.compress(b"".join(read_lines(BTCUSDT, 3000))))
    whole[len(whole) // 3 : len(whole) // 3 + 64] = bytes(range(64))
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(whole))
    with pytest.raises(blocks.DamagedInputError):
        joined_blocks(path, 1 << 12)
    with pytest.raises(IngestError, match=r"bad\.gz.*line \d+.*gzip stream is damaged"):
        ingest(path, format="binance", out=tmp_path / "b.parquet")


def test_ingest_writes_the_same_stores_with_either_inflater(inflater, tmp_path, monkeypatch):
    out, trades = tmp_path / "b.parquet", tmp_path / "t.parquet"
    ingest(BTCUSDT, format="binance", out=out, depth=10, trades_out=trades)
    got = stores(out, trades)
    monkeypatch.setattr(blocks, "INFLATE", zlib)
    ref = tmp_path / "ref"
    ingest(BTCUSDT, format="binance", out=ref / "b.parquet", depth=10, trades_out=ref / "t.parquet")
    want = stores(ref / "b.parquet", ref / "t.parquet")
    assert same(got, want) and len(got["ts"]) > 1000
    assert np.array_equal(got["trade_id"], want["trade_id"])


def test_isal_is_used_when_installed():
    pytest.importorskip("isal.isal_zlib")
    assert blocks._inflate_module().__name__ == "isal.isal_zlib"


def test_lines_longer_than_a_chunk_of_plain_text(tmp_path):
    lines = read_lines(BTCUSDT, 500)
    path = tmp_path / "plain.txt"
    path.write_bytes(b"".join(lines)[:-1])  # the last line without its newline
    got = [block.tobytes() for block, _ in blocks.iter_line_blocks(path, 100)]
    assert b"".join(got) == b"".join(lines)[:-1]
    assert all(block.endswith(b"\n") for block in got[:-1])
    assert len(got) == len(lines)


def test_any_chunk_size_gives_the_same_stores(inflater, tmp_path, monkeypatch):
    def run(name):
        out, trades = tmp_path / name / "b.parquet", tmp_path / name / "t.parquet"
        ingest(BTCUSDT, format="binance", out=out, depth=5, trades_out=trades)
        return stores(out, trades)

    whole = run("whole")
    small = functools.partial(blocks.iter_line_blocks, raw_block_bytes=1 << 12)
    monkeypatch.setattr(binance, "iter_line_blocks", small)
    assert same(run("small"), whole)
