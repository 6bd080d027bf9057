"""The Binance update-id rule: which records are applied, dropped, a gap, or a snapshot to check.

Binance's rule for USD-M futures: diffs are buffered until a snapshot arrives; diffs with
``u < lastUpdateId`` are dropped; the first one applied has ``U <= lastUpdateId <= u`` (or
``pu == lastUpdateId``: it continues exactly from the snapshot); after it every diff's ``pu``
equals the previous applied diff's ``u``.

A snapshot that arrives while the book is in sync is a *later snapshot*: it is not applied (the
book follows the diffs, whose chain is checked), but compared with the rebuilt book where the two
describe the same moment, that is when its ``lastUpdateId`` is the ``u`` of the last applied diff.
The comparison covers every price within the snapshot's range on each side (levels beyond its
deepest price are not in it). A disagreement is a gap (``on_gap``); see
:func:`snapshot_disagreement`.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import numpy as np

from l2gpu.data.ingest.binance_records import DepthRecord
from l2gpu.data.ingest.decimal_columns import PRICE_SCALE
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.report import IngestReport

WAITING_BUFFER_EVENTS = 100_000


class Action(Enum):
    """What to do with a record the rule lets through."""

    DIFF = "diff"
    START = "start"  # a snapshot the book (re)starts from: clear, then apply its levels
    CHECK = "check"  # a later snapshot at the last applied diff: compare with the book


class BinanceSync:
    """The update-id state machine of one recording."""

    def __init__(self, path: Path, policies: Policies, report: IngestReport) -> None:
        self.path = path
        self.policies = policies
        self.report = report
        self.snapshot_id: int | None = None
        self.previous_u: int | None = None
        self.waiting: collections.deque[DepthRecord] = collections.deque(
            maxlen=WAITING_BUFFER_EVENTS
        )
        self.snapshots_seen = 0
        self.dropped_before_sync = 0
        self.later = {"agree": 0, "differ": 0, "not compared": 0}

    def gap(self, record: DepthRecord, why: str, lost: int = 1) -> None:
        """Count a break in the chain; raise unless ``on_gap="resync"`` (then wait to resync).

        ``lost`` is how many rows the record that shows the gap would have made (0 for a
        snapshot).
        """
        self.report.gaps += 1
        if self.policies.on_gap == "error":
            raise IngestError(
                self.path,
                f"line {record.line}",
                f"sequence gap: {why}; on_gap='resync' drops the book until the next snapshot",
                "update_id_chain",
            )
        self.snapshot_id = None
        self.previous_u = None
        self.report.rows_lost += lost

    def accept(self, record: DepthRecord) -> Iterator[tuple[DepthRecord, Action]]:
        """Yield ``(record, action)`` for each record to act on now, in order."""
        if record.is_snapshot:
            self.snapshots_seen += 1
            if self.snapshot_id is not None:
                self.report.later_snapshots += 1
                if record.last_id == self.previous_u:
                    yield record, Action.CHECK
                else:
                    self.later["not compared"] += 1
                return
            yield from self.start(record)
            return
        yield from self._diff(record)

    def continues(self, prev_id: int) -> bool:
        """Whether a diff with ``pu = prev_id`` is applied as it comes: in sync, and it follows.

        For such a diff :meth:`accept` yields it as :attr:`Action.DIFF` and nothing else; a run of
        diffs each following the one before may then be taken whole with :meth:`extend`.
        """
        return self.previous_u is not None and prev_id == self.previous_u

    def extend(self, last_id: int) -> None:
        """Take a run of diffs that :meth:`continues` accepts, ending at ``u = last_id``."""
        self.previous_u = last_id

    def start(self, record: DepthRecord) -> Iterator[tuple[DepthRecord, Action]]:
        """(Re)start from the snapshot ``record``, then take the diffs waiting for it."""
        self.snapshot_id = record.last_id
        self.previous_u = None
        yield record, Action.START
        buffered = list(self.waiting)
        self.waiting.clear()
        for diff in buffered:
            yield from self._diff(diff)

    def _drop(self) -> None:
        """Count a diff that will never be applied: lost after a gap, else routine pre-sync."""
        if self.report.gaps:
            self.report.rows_lost += 1
        else:
            self.dropped_before_sync += 1

    def finish(self) -> None:
        """Count the diffs still waiting for a snapshot at the end of the input."""
        for _ in self.waiting:
            self._drop()
        self.waiting.clear()

    def _diff(self, record: DepthRecord) -> Iterator[tuple[DepthRecord, Action]]:
        if self.snapshot_id is None:
            if len(self.waiting) == self.waiting.maxlen:
                self._drop()
            self.waiting.append(record)
            return
        if self.previous_u is None:
            if record.last_id < self.snapshot_id:
                self._drop()
                return
            straddles = record.first_id <= self.snapshot_id <= record.last_id
            if not (straddles or record.prev_id == self.snapshot_id):
                self.gap(
                    record,
                    f"the first diff after the snapshot (lastUpdateId "
                    f"{self.snapshot_id}) has U={record.first_id}, u={record.last_id}",
                )
                return
        elif record.prev_id != self.previous_u:
            self.gap(
                record,
                f"diff U={record.first_id} u={record.last_id} has "
                f"pu={record.prev_id}, but the previous applied diff ended at "
                f"u={self.previous_u}",
            )
            return
        self.previous_u = record.last_id
        yield record, Action.DIFF

    def outcome(self) -> str:
        """Return the later-snapshot comparisons as one line for the report."""
        return ", ".join(f"{n:,} {what}" for what, n in self.later.items()) + (
            " (compared where lastUpdateId is the u of the last applied diff)"
        )


def _levels_within(
    side: np.ndarray, units: np.ndarray, size: np.ndarray, s: int, bound: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Levels of side ``s`` (0 bid, 1 ask) at or inside ``bound``, sorted by price, size > 0."""
    pick = (side == s) & (size > 0)
    if bound is not None:
        pick &= units >= bound if s == 0 else units <= bound
    order = np.argsort(units[pick], kind="stable")
    return units[pick][order], size[pick][order]


def snapshot_disagreement(
    snapshot: DepthRecord, held: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> str:
    """Say where the book ``held`` (side, units, size) differs from ``snapshot``; "" if nowhere.

    Only prices within the snapshot's range are compared on each side: bids at or above its
    lowest bid, asks at or below its highest ask.
    """
    for s, name in ((0, "bid"), (1, "ask")):
        snap_units, snap_size = _levels_within(
            snapshot.side, snapshot.units, snapshot.size, s, None
        )
        if snap_units.size == 0:
            continue
        bound = int(snap_units.min()) if s == 0 else int(snap_units.max())
        book_units, book_size = _levels_within(*held, s, bound)
        prices = np.union1d(snap_units, book_units)
        for price in prices[::-1] if s == 0 else prices:
            want = snap_size[snap_units == price]
            have = book_size[book_units == price]
            if want.tolist() != have.tolist():
                shown = f"{price / 10**PRICE_SCALE:.8f}".rstrip("0").rstrip(".")
                return (
                    f"{name} {shown}: the snapshot holds {want[0] if want.size else 0.0}, "
                    f"the rebuilt book {have[0] if have.size else 0.0}"
                )
    return ""
