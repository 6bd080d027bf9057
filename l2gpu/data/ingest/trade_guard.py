"""Trades on their way into the store: the trades checks, with the policies that repair them.

Chunk by chunk, in the order the reader hands them over:

1. ``trade_price_positive``, ``trade_size_positive``, ``trade_side``: a bad value is a bad line
   (``on_bad_line``: error, or skip and count);
2. ``trade_id_unique``: an id read before, in this chunk or an earlier one
   (``on_duplicate_trade``: error, or drop the copy and count);
3. ``trade_time_order``: a time before the latest time kept so far
   (``on_trade_backwards``: error, or drop and count).

What comes out passes every check of :mod:`l2gpu.data.validation`, across chunks too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.report import IngestReport
from l2gpu.data.trades import Trades
from l2gpu.data.validation import describe_trade, duplicated_ids, trade_value_failures


def _take(trades: Trades, keep: np.ndarray) -> Trades:
    return Trades(
        *(getattr(trades, n)[keep] for n in ("ts", "local_ts", "px", "sz", "side", "trade_id"))
    )


class TradeGuard:
    """Check trades chunk by chunk, keeping what the checks need between chunks.

    Parameters
    ----------
    policies : Policies
        Repairs allowed.
    report : IngestReport
        Counts are added here.
    """

    def __init__(self, policies: Policies, report: IngestReport) -> None:
        self.policies = policies
        self.report = report
        self.seen = 0
        self._last_ts: int | None = None
        self._max_id: int | None = None
        self._ids: list[np.ndarray] = []

    def _where(self, i: int, lines: np.ndarray | None) -> str:
        return f"line {int(lines[i])}" if lines is not None else f"trade {self.seen + i}"

    def _refuse(self, source: Path, where: str, problem: str, check: str, policy: str) -> None:
        raise IngestError(source, where, f"{problem}; {policy} goes on and counts", check)

    def _repeated(self, ids: np.ndarray) -> np.ndarray:
        """Mask of ids already seen in an earlier chunk or earlier in this one."""
        repeated = duplicated_ids(ids)
        if not self._ids or ids.size == 0:
            return repeated
        if ids.dtype.kind in "iu" and self._max_id is not None and int(ids.min()) > self._max_id:
            return repeated
        earlier = pa.array(np.concatenate(self._ids))
        hits = pc.is_in(pa.array(ids), value_set=earlier).to_numpy(zero_copy_only=False)
        return repeated | np.asarray(hits, bool)

    def admit(self, trades: Trades, source: Path, lines: np.ndarray | None = None) -> Trades:
        """Return the trades of this chunk that go into the store; raise or count the others.

        Parameters
        ----------
        trades : Trades
            The chunk, in input order.
        source : Path
            The input named in errors.
        lines : int64 [N], optional
            The 1-based input line of each trade, for errors and skip notes.
        """
        keep = np.ones(len(trades), bool)
        failures = trade_value_failures(trades.px, trades.sz, trades.side)
        for check, failing in failures.items():
            for i in np.flatnonzero(failing).tolist():
                where, what = self._where(i, lines), describe_trade(check, trades, i)
                if self.policies.on_bad_line == "error":
                    self._refuse(source, where, what, check, "on_bad_line='skip'")
                if keep[i]:
                    self.report.note_skipped(where, f"{what} (check '{check}')")
                keep[i] = False
        kept = _take(trades, keep)
        first_rows = np.flatnonzero(keep)
        repeated = self._repeated(kept.trade_id)
        if repeated.any():
            i = int(np.flatnonzero(repeated)[0])
            if self.policies.on_duplicate_trade == "error":
                self._refuse(
                    source,
                    self._where(int(first_rows[i]), lines),
                    describe_trade("trade_id_unique", kept, i).replace(
                        "appears earlier", "was read before"
                    ),
                    "trade_id_unique",
                    "on_duplicate_trade='drop'",
                )
            self.report.duplicate_trades += int(repeated.sum())
            kept, first_rows = _take(kept, ~repeated), first_rows[~repeated]
        start = np.asarray(kept.ts[:1] if self._last_ts is None else [self._last_ts], np.int64)
        latest = np.maximum.accumulate(np.concatenate((start, kept.ts)))[:-1]
        backwards = kept.ts < latest
        if backwards.any():
            i = int(np.flatnonzero(backwards)[0])
            if self.policies.on_trade_backwards == "error":
                self._refuse(
                    source,
                    self._where(int(first_rows[i]), lines),
                    f"trade time goes back from {int(latest[i])} to {int(kept.ts[i])} ns",
                    "trade_time_order",
                    "on_trade_backwards='drop'",
                )
            self.report.trades_backwards += int(backwards.sum())
            kept = _take(kept, ~backwards)
        self.seen += len(trades)
        if len(kept):
            top_ts = int(kept.ts.max())
            self._last_ts = top_ts if self._last_ts is None else max(self._last_ts, top_ts)
            self._ids.append(kept.trade_id)
            if kept.trade_id.dtype.kind in "iu":
                top = int(kept.trade_id.max())
                self._max_id = top if self._max_id is None else max(self._max_id, top)
        return kept
