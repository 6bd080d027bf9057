"""Depth records of a Binance recording on their way to the book, as arrays where possible.

The depth lines the compiled parser read (:class:`~l2gpu.data.ingest.binance_fast.FastDepthLines`)
travel as :class:`DepthRun` slices of its arrays; a snapshot or a line the JSON path read travels
as one :class:`~l2gpu.data.ingest.binance_records.DepthRecord`. :class:`DepthQueue` keeps both in
line order and cuts them into batches exactly where a queue of one record per line would, after
the record that brings the pending level updates to ``batch``. :func:`accept_run` runs the sync
rule over a run, taking whole stretches of the update-id chain at once; :func:`event_columns`
joins what the rule accepted into the book kernel's
:class:`~l2gpu.data.ingest.reconstruct.EventBatch` and the columns of the rows it makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from l2gpu.data.ingest.binance_fast import FastDepthLines
from l2gpu.data.ingest.binance_records import MS, DepthRecord
from l2gpu.data.ingest.binance_sync import BinanceSync
from l2gpu.data.ingest.parsers.binance_lines import LINE_OK
from l2gpu.data.ingest.reconstruct import EventBatch


@dataclass(frozen=True)
class DepthRun:
    """Diffs ``lo .. hi - 1`` of a block's fast-parsed depth lines, every one read (``LINE_OK``).

    ``first_line`` is the 1-based input line of the block's first line.
    """

    fast: FastDepthLines
    lo: int
    hi: int
    first_line: int

    def part(self, lo: int, hi: int) -> DepthRun:
        """Diffs ``lo .. hi - 1`` of the block (within this run)."""
        return DepthRun(self.fast, lo, hi, self.first_line)

    @property
    def n_updates(self) -> int:
        """Level updates the run carries."""
        return int(self.fast.update_start[self.hi] - self.fast.update_start[self.lo])

    def record(self, r: int) -> DepthRecord:
        """Diff ``r`` of the block as a record, for the one-at-a-time path of the sync rule."""
        index = int(self.fast.rows[r])
        record = self.fast.record(index, self.first_line + index)
        assert record is not None  # a run holds only lines the fast path read
        return record

    def chain_breaks(self) -> np.ndarray:
        """Diffs ``r`` of the run whose ``pu`` is not the ``u`` of diff ``r - 1`` (ascending)."""
        prev = self.fast.prev[self.lo + 1 : self.hi]
        return np.flatnonzero(prev != self.fast.last[self.lo : self.hi - 1]) + self.lo + 1


Depth = DepthRecord | DepthRun
Flush = Callable[[int], None]
"""Called with the block line index before which the queue reached ``batch`` updates."""


class DepthQueue:
    """Depth records and runs in line order, handed out in batches of about ``batch`` updates."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.items: list[Depth] = []
        self.pending = 0
        self._fast: FastDepthLines | None = None
        self._first_line = 0
        self._next = 0

    def start_block(self, fast: FastDepthLines, first_line: int) -> None:
        """Hold the next block's fast-parsed lines; they join as :meth:`reach` passes them."""
        self._fast, self._first_line, self._next = fast, first_line, 0

    def add(self, record: DepthRecord) -> bool:
        """Queue one record; return whether a full batch is waiting."""
        self.items.append(record)
        self.pending += record.n_updates
        return self.pending >= self.batch

    def reach(self, index: int, flush: Flush) -> None:
        """Queue the block's fast-read diffs before line ``index``, calling ``flush`` per batch.

        A line the fast path could not read is skipped here: the reader takes it through JSON.
        """
        fast = self._fast
        if fast is None:
            return
        stop = int(np.searchsorted(fast.rows, index))
        if stop <= self._next:
            return
        status = fast.status[self._next : stop]
        cuts = np.flatnonzero(status != LINE_OK) + self._next
        lo = self._next
        for cut in [*cuts.tolist(), stop]:
            if cut > lo:
                self._add_run(DepthRun(fast, lo, cut, self._first_line), flush)
            lo = cut + 1
        self._next = stop

    def _add_run(self, run: DepthRun, flush: Flush) -> None:
        """Queue ``run``, cutting it after each diff that fills a batch."""
        starts = run.fast.update_start
        while run.lo < run.hi:
            filled = self.pending + starts[run.lo + 1 : run.hi + 1] - starts[run.lo]
            full = int(np.searchsorted(filled, self.batch))
            if full >= run.hi - run.lo:
                self.items.append(run)
                self.pending = int(filled[-1])
                return
            cut = run.lo + full + 1
            self.items.append(run.part(run.lo, cut))
            self.pending = int(filled[full])
            flush(int(run.fast.rows[cut - 1]))
            run = run.part(cut, run.hi)

    def take(self) -> list[Depth]:
        """Empty the queue."""
        items, self.items, self.pending = self.items, [], 0
        return items


Accepted = tuple[DepthRecord, bool] | DepthRun
"""A record the sync rule applies (``True``: a snapshot the book restarts from), or a run of
diffs it accepted whole."""


def accept_run(sync: BinanceSync, run: DepthRun) -> Iterator[Accepted]:
    """Run the sync rule over a run of diffs, taking whole stretches while each follows the last.

    A diff where the chain does not simply go on (not in sync, or its ``pu`` breaks the chain)
    goes through :meth:`~l2gpu.data.ingest.binance_sync.BinanceSync.accept` alone, so every count
    and message is the one-record-at-a-time rule's.
    """
    breaks = [*run.chain_breaks().tolist(), run.hi]
    fast, r, k = run.fast, run.lo, 0
    while r < run.hi:
        if sync.continues(int(fast.prev[r])):
            while breaks[k] <= r:
                k += 1
            sync.extend(int(fast.last[breaks[k] - 1]))
            yield run.part(r, breaks[k])
            r = breaks[k]
            continue
        for taken, _ in sync.accept(run.record(r)):
            yield taken, False
        r += 1


@dataclass(frozen=True)
class EventColumns:
    """What accepted depth records give: the kernel's events and the columns of their rows.

    ``rows`` marks the events that make a book row (the diffs; a snapshot makes none); ``ts``,
    ``local_ts`` (ns), ``seq`` (``u``) and ``line`` are those rows'.
    """

    batch: EventBatch
    rows: np.ndarray
    ts: np.ndarray
    local_ts: np.ndarray
    seq: np.ndarray
    line: np.ndarray


def event_columns(accepted: list[Accepted]) -> EventColumns:
    """Join accepted records and runs, in order, into one :class:`EventColumns`."""
    counts, clear, rows, side, units, size = [], [], [], [], [], []
    ts, local_ts, seq, line = [], [], [], []
    for item in accepted:
        if isinstance(item, DepthRun):
            fast, lo, hi = item.fast, item.lo, item.hi
            u0, u1 = int(fast.update_start[lo]), int(fast.update_start[hi])
            counts.append(np.diff(fast.update_start[lo : hi + 1]))
            clear.append(np.zeros(hi - lo, bool))
            rows.append(np.ones(hi - lo, bool))
            side.append(fast.side[u0:u1])
            units.append(fast.units[u0:u1])
            size.append(fast.size[u0:u1])
            ts.append(fast.ts_ms[lo:hi] * MS)
            local_ts.append(fast.local_ns[lo:hi])
            seq.append(fast.last[lo:hi])
            line.append(fast.rows[lo:hi] + item.first_line)
            continue
        record, is_start = item
        counts.append(np.array([record.n_updates], np.int64))
        clear.append(np.array([is_start]))
        rows.append(np.array([not record.is_snapshot]))
        side.append(record.side)
        units.append(record.units)
        size.append(record.size)
        if not record.is_snapshot:
            for column, value in zip(
                (ts, local_ts, seq, line),
                (record.ts_ns, record.local_ns, record.last_id, record.line),
                strict=True,
            ):
                column.append(np.array([value], np.int64))
    n = np.concatenate(counts).astype(np.int64)

    def joined(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    return EventColumns(
        EventBatch(
            event_starts=np.concatenate(([0], np.cumsum(n))).astype(np.int64),
            event_clear=np.concatenate(clear),
            side=np.concatenate(side),
            units=np.concatenate(units),
            size=np.concatenate(size),
        ),
        np.concatenate(rows),
        joined(ts),
        joined(local_ts),
        joined(seq),
        joined(line),
    )
