"""The compiled Binance line kernels against the obvious Python reading of the same rules.

Real BTCUSDT lines and randomly edited copies of them (a byte dropped or changed, a stretch
doubled, a key added): every line must get the same verdict, fast path or JSON path, and the same
values when the fast path reads it.
"""

import random

import numpy as np
import pytest

from l2gpu.data.ingest.binance_fast import FastDepthLines
from l2gpu.data.ingest.binance_trades import fast_trades
from l2gpu.data.ingest.parsers.binance_lines import (
    LINE_OK,
    index_lines,
    other_symbol_lines,
)
from tests.data.ingest import line_reference as ref
from tests.samples import BTCUSDT, read_lines

EDITS_PER_LINE = 3


@pytest.fixture(scope="module")
def sample_lines():
    return [line.rstrip(b"\n") for line in read_lines(BTCUSDT, 6000)]


def edited_block(lines, marker, seed, limit):
    """``limit`` lines holding ``marker``, each as read and in ``EDITS_PER_LINE`` edited copies."""
    rng = random.Random(seed)
    chosen = [line for line in lines if marker in line][:limit]
    return chosen + [ref.edited(line, rng) for line in chosen for _ in range(EDITS_PER_LINE)]


def as_block(lines):
    buf = np.frombuffer(b"\n".join(lines) + b"\n", np.uint8)
    starts, ends, _ = index_lines(buf)
    return buf, starts, ends, np.arange(len(lines))


@pytest.mark.parametrize("seed", [1, 2])
def test_trade_kernel_follows_the_reference(sample_lines, seed):
    lines = edited_block(sample_lines, b"@trade", seed, 400)
    buf, starts, ends, rows = as_block(lines)
    chunk, slow = fast_trades(buf, starts, ends, rows, 0)
    want = [ref.trade(line) for line in lines]
    assert sorted(chunk.index.tolist() + slow.tolist()) == rows.tolist()
    assert chunk.index.tolist() == [i for i, w in enumerate(want) if w is not None]
    assert 0 < slow.size < rows.size // 2
    for k, i in enumerate(chunk.index.tolist()):
        local, ts, trade_id, units, size, maker = want[i]
        got = chunk.local_ns[k], chunk.ts_ns[k], chunk.trade_id[k], chunk.units[k], chunk.size[k]
        assert got == (local, ts * 1_000_000, trade_id, units, size), lines[i]
        assert chunk.side[k] == (-1 if maker else 1)


@pytest.mark.parametrize("seed", [1, 2])
def test_depth_kernel_follows_the_reference(sample_lines, seed):
    lines = edited_block(sample_lines, b"depthUpdate", seed, 150)
    buf, starts, ends, rows = as_block(lines)
    fast = FastDepthLines(buf, starts, ends, rows)
    want = [ref.depth(line) for line in lines]
    assert [s == LINE_OK for s in fast.status] == [w is not None for w in want]
    assert len(want) // 4 < sum(w is None for w in want) < len(want) * 3 // 4
    for r, w in enumerate(want):
        if w is None:
            continue
        head, updates = w
        got = (fast.local_ns[r], fast.ts_ms[r], fast.first[r], fast.last[r], fast.prev[r])
        assert got == head, lines[r]
        lo, hi = fast.update_start[r], fast.update_start[r + 1]
        columns = zip(fast.side[lo:hi], fast.units[lo:hi], fast.size[lo:hi], strict=True)
        assert list(columns) == updates, lines[r]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_index_kernel_follows_the_reference(sample_lines, seed):
    rng = random.Random(seed)
    lines = [ref.edited(line, rng) if rng.random() < 0.3 else line for line in sample_lines[:2000]]
    data = b"\n".join(lines)
    data = data[: rng.randrange(len(data) - 1000, len(data))] + b"\n" * rng.randrange(3)
    for piece in (data, data[:0], b"\n", b"\n\n", b"x", data[:777]):
        starts, ends, kinds = index_lines(np.frombuffer(piece, np.uint8))
        want = ref.lines_of(piece)
        assert [piece[s:e] for s, e in zip(starts, ends, strict=True)] == want
        assert kinds.tolist() == [ref.kind(line) for line in want]


@pytest.mark.parametrize("seed", [1, 2])
def test_symbol_checks_follow_the_reference(sample_lines, seed):
    rng = random.Random(seed)
    foreign = {b"btcusdt": b"ethusdt", b'"BTCUSDT"': b'"ETHUSDT"', b"@": b"usdt@"}
    lines = []
    for line in sample_lines[:3000]:
        if rng.random() < 0.1:
            old = rng.choice(list(foreign))
            line = line.replace(old, foreign[old], 1)
        lines.append(ref.edited(line, rng) if rng.random() < 0.1 else line)
    buf = np.frombuffer(b"\n".join(lines), np.uint8)
    stream, data = np.frombuffer(b"btcusdt", np.uint8), np.frombuffer(b"BTCUSDT", np.uint8)
    starts, ends, _ = index_lines(buf)
    symbols = np.empty(starts.size, np.int8)
    other_symbol_lines(buf, starts, ends, stream, data, symbols)
    want = [ref.symbol(line, b"btcusdt", b"BTCUSDT") for line in lines]
    assert symbols.tolist() == want and len(set(want)) == 3
