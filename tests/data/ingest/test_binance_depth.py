"""Depth runs as arrays against the obvious path: one record at a time through the sync rule."""

from pathlib import Path

import numpy as np
import pytest

from l2gpu.data.ingest.binance_depth import (
    Accepted,
    DepthQueue,
    DepthRun,
    accept_run,
    event_columns,
)
from l2gpu.data.ingest.binance_fast import FastDepthLines
from l2gpu.data.ingest.binance_records import DepthRecord, parse_line
from l2gpu.data.ingest.binance_sync import Action, BinanceSync
from l2gpu.data.ingest.parsers.binance_lines import KIND_DEPTH, LINE_OK, index_lines
from l2gpu.data.ingest.policies import Policies
from l2gpu.data.ingest.report import IngestReport
from tests.samples import BTCUSDT, read_lines


def block(lines):
    buf = np.frombuffer(b"".join(lines), np.uint8)
    starts, ends, kinds = index_lines(buf)
    return buf, starts, ends, FastDepthLines(buf, starts, ends, np.flatnonzero(kinds == KIND_DEPTH))


def edited_lines(drop):
    """The first lines of BTCUSDT less the diffs at ``drop`` (gaps), the snapshot repeated."""
    lines = read_lines(BTCUSDT, 6000)
    diffs = [i for i, line in enumerate(lines) if b"depthUpdate" in line]
    snapshot = next(line for line in lines if b"lastUpdateId" in line)
    out = [line for i, line in enumerate(lines) if i not in {diffs[k] for k in drop}]
    return [*out[:3000], snapshot, *out[3000:]]


def sync_of():
    report = IngestReport("binance", [Path("x")])
    return BinanceSync(Path("x"), Policies(on_gap="resync"), report), report


def accepted_lines(items):
    """(line, is a snapshot start) of each accepted record, runs expanded."""
    out = []
    for item in items:
        if isinstance(item, DepthRun):
            out += [
                (item.first_line + int(item.fast.rows[r]), False) for r in range(item.lo, item.hi)
            ]
        else:
            out.append((item[0].line, item[1]))
    return out


@pytest.mark.parametrize("drop", [(), (60,), (60, 61, 300), tuple(range(100, 400, 7))])
def test_runs_follow_the_sync_rule_one_record_at_a_time(drop):
    lines = edited_lines(drop)
    buf, starts, ends, fast = block(lines)
    assert (fast.status == LINE_OK).all()
    one, one_report = sync_of()
    runs, runs_report = sync_of()
    want: list[tuple[DepthRecord, bool]] = []
    got: list[Accepted] = []
    snapshots = [i for i, line in enumerate(lines) if b"lastUpdateId" in line]
    lo = 0
    for at in [*snapshots, len(lines)]:
        hi = int(np.searchsorted(fast.rows, at))
        for r in range(lo, hi):
            record = fast.record(int(fast.rows[r]), int(fast.rows[r]) + 1)
            want += [(t, a is Action.START) for t, a in one.accept(record)]
        got += accept_run(runs, DepthRun(fast, lo, hi, 1))
        lo = hi
        if at < len(lines):
            snapshot = parse_line(at + 1, buf[starts[at] : ends[at]].tobytes(), False)
            assert isinstance(snapshot, DepthRecord)
            want += [(t, a is Action.START) for t, a in one.accept(snapshot)]
            got += [(t, a is Action.START) for t, a in runs.accept(snapshot)]
    one.finish()
    runs.finish()
    assert accepted_lines(got) == accepted_lines(want)
    assert vars(runs_report) == vars(one_report)
    assert (runs.snapshot_id, runs.previous_u, runs.dropped_before_sync, runs.later) == (
        one.snapshot_id,
        one.previous_u,
        one.dropped_before_sync,
        one.later,
    )
    if drop:
        assert one_report.gaps > 0
    columns = event_columns(got)
    records = [t for t, _ in want]
    np.testing.assert_array_equal(columns.batch.units, np.concatenate([t.units for t in records]))
    diffs = [t for t in records if not t.is_snapshot]
    np.testing.assert_array_equal(columns.seq, [t.last_id for t in diffs])
    np.testing.assert_array_equal(columns.ts, [t.ts_ns for t in diffs])
    np.testing.assert_array_equal(columns.line, [t.line for t in diffs])


@pytest.mark.parametrize("batch", [1, 500, 4000, 1 << 30])
def test_the_queue_cuts_where_one_record_at_a_time_would(batch):
    _, starts, _, fast = block(read_lines(BTCUSDT, 2000))
    counts = np.diff(fast.update_start)
    want, pending = [], 0
    for r, n in enumerate(counts.tolist()):
        pending += n
        if pending >= batch:
            want.append(int(fast.rows[r]))
            pending = 0
    queue, got = DepthQueue(batch), []
    queue.start_block(fast, 1)

    def flush(index):
        got.append(index)
        queue.take()

    for index in range(0, starts.size + 1, 37):
        queue.reach(index, flush)
    queue.reach(starts.size + 1, flush)
    assert got == want
    assert queue.pending == pending
