"""Where readers put what they rebuilt: the store checks and their policies, then the stores.

Every format's reader hands its rows and trades to one :class:`BookSink`, so the checks of
:mod:`l2gpu.data.validation` and the repairs of :class:`~l2gpu.data.ingest.policies.Policies`
behave the same for all. Book rows, in this order: the level checks (a failing row is a bad line:
``on_bad_line``), exchange time (``ts_order``: ``on_time_backwards``), crossed books
(``on_crossed``). Trades go through :class:`~l2gpu.data.ingest.trade_guard.TradeGuard`. What is
written passes every check ``read_book`` and ``read_trades`` make.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from l2gpu.data.book import Book, BookMeta
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.report import SHOWN_IDS, IngestReport
from l2gpu.data.ingest.trade_guard import TradeGuard
from l2gpu.data.store import BookWriter
from l2gpu.data.trades import Trades, TradesWriter
from l2gpu.data.validation import describe_level, level_failures


class BookSink:
    """Check and write book rows (and trades) for one ingest run.

    Parameters
    ----------
    out : Path
        The book store to write.
    trades_out : Path or None
        The trades store to write, if any.
    depth : int
        Levels per side.
    meta : BookMeta
        Provenance; a reader may refine it (``tick_size``) until the first row is written.
    policies : Policies
        Repairs allowed.
    report : IngestReport
        Counts are added here.
    source : Path
        The input named in errors.
    """

    def __init__(
        self,
        out: Path,
        trades_out: Path | None,
        depth: int,
        meta: BookMeta,
        policies: Policies,
        report: IngestReport,
        source: Path,
    ) -> None:
        self.out = out
        self.depth = depth
        self.meta = meta
        self.policies = policies
        self.report = report
        self.source = source
        self.expect_book = True
        self._writer: BookWriter | None = None
        self._trades = TradesWriter(trades_out, _trade_metadata(meta)) if trades_out else None
        self._guard = TradeGuard(policies, report)
        self._last_ts: int | None = None

    def _where(self, i: int, seq: np.ndarray, lines: np.ndarray | None) -> str:
        """Name row ``i`` of a chunk: its input line when known, its book row and ``seq``."""
        row = f"book row {self.report.rows_out + i} (seq {seq[i]})"
        return f"line {int(lines[i])}, {row}" if lines is not None else row

    def _check_levels(
        self,
        levels: dict[str, np.ndarray],
        seq: np.ndarray,
        lines: np.ndarray | None,
        source: Path,
    ) -> np.ndarray | None:
        """Apply ``on_bad_line`` to rows whose levels fail a check; return the rows to keep."""
        failures = level_failures(**levels)
        if not failures:
            return None
        keep = np.ones(seq.shape[0], bool)
        for check, failing in failures.items():
            for i in np.flatnonzero(failing).tolist():
                what = describe_level(check, levels, i, lambda name, k: f"{name}_{k}")
                if self.policies.on_bad_line == "error":
                    raise IngestError(
                        source,
                        self._where(i, seq, lines),
                        f"{what}; on_bad_line='skip' skips such rows and counts them",
                        check,
                    )
                if keep[i]:
                    self.report.note_skipped(
                        f"line {int(lines[i])}" if lines is not None else f"seq {seq[i]}",
                        f"{what} (check '{check}')",
                    )
                keep[i] = False
        return keep

    def _fix_time(
        self, ts: np.ndarray, seq: np.ndarray, lines: np.ndarray | None, source: Path
    ) -> np.ndarray:
        previous = np.int64(self._last_ts if self._last_ts is not None else ts[0])
        running = np.maximum.accumulate(np.concatenate(([previous], ts)))[1:]
        backwards = np.flatnonzero(ts < running)
        if backwards.size == 0:
            return ts
        first = int(backwards[0])
        if self.policies.on_time_backwards == "error":
            raise IngestError(
                source,
                self._where(first, seq, lines),
                f"exchange time goes back from "
                f"{running[first]} to {ts[first]} ns; on_time_backwards='clamp' "
                "sets it to the previous time",
                "ts_order",
            )
        self.report.time_backwards += int(backwards.size)
        return running

    def _crossed(self, bid_px: np.ndarray, ask_px: np.ndarray, seq: np.ndarray) -> np.ndarray:
        crossed = bid_px[0] >= ask_px[0]
        ids = seq[crossed]
        if ids.size:
            if self.policies.on_crossed == "error":
                raise IngestError(
                    self.source,
                    f"seq {ids[0]}",
                    "crossed book after the event "
                    "(best bid >= best ask); on_crossed='keep' or 'drop' go on "
                    "and count such rows",
                    "crossed_book",
                )
            self.report.crossed_rows += int(ids.size)
            room = SHOWN_IDS - len(self.report.crossed_row_ids)
            self.report.crossed_row_ids.extend(int(i) for i in ids[: max(room, 0)])
        return crossed

    def write_rows(
        self,
        ts: np.ndarray,
        local_ts: np.ndarray,
        seq: np.ndarray,
        bid_px: np.ndarray,
        bid_sz: np.ndarray,
        ask_px: np.ndarray,
        ask_sz: np.ndarray,
        lines: np.ndarray | None = None,
        source: Path | None = None,
        time_source: Path | None = None,
    ) -> None:
        """Check and append rows: times ``[N]`` (ns), levels ``[K, N]``.

        Parameters
        ----------
        ts, local_ts, seq : int64 [N]
            Exchange and receive time (ns) and the source's sequence of each row.
        bid_px, bid_sz, ask_px, ask_sz : float64 [K, N]
            Levels (prices in quote currency, sizes in base units; missing: NaN and 0).
        lines : int64 [N], optional
            The 1-based input line each row comes from, named in errors.
        source : Path, optional
            The input file the rows come from (default: the sink's ``source``).
        time_source : Path, optional
            The input file their times come from, if another (LOBSTER's message file).
        """
        if ts.shape[0] == 0:
            return
        if bid_px.shape[0] != self.depth:
            raise ValueError(
                f"the reader wrote rows of {bid_px.shape[0]} levels into a sink of depth "
                f"{self.depth}; a reader sets sink.depth before its first row"
            )
        source = source or self.source
        levels = {"bid_px": bid_px, "bid_sz": bid_sz, "ask_px": ask_px, "ask_sz": ask_sz}
        keep = self._check_levels(levels, seq, lines, source)
        if keep is not None:
            ts, local_ts, seq = ts[keep], local_ts[keep], seq[keep]
            bid_px, bid_sz, ask_px, ask_sz = (a[:, keep] for a in levels.values())
            lines = lines[keep] if lines is not None else None
            if ts.shape[0] == 0:
                return
        ts = self._fix_time(ts.astype(np.int64, copy=False), seq, lines, time_source or source)
        crossed = self._crossed(bid_px, ask_px, seq)
        if self.policies.on_crossed == "drop" and crossed.any():
            keep = ~crossed
            ts, local_ts, seq = ts[keep], local_ts[keep], seq[keep]
            bid_px, bid_sz, ask_px, ask_sz = (a[:, keep] for a in (bid_px, bid_sz, ask_px, ask_sz))
            if ts.shape[0] == 0:
                return
        book = Book(
            ts,
            local_ts.astype(np.int64, copy=False),
            seq.astype(np.int64, copy=False),
            bid_px,
            bid_sz,
            ask_px,
            ask_sz,
            meta=self.meta,
        )
        if self._writer is None:
            self._writer = BookWriter(self.out, self.depth, self.meta)
            self.report.start_ns = int(ts[0])
        self._writer.write(book)
        self._last_ts = int(ts[-1])
        self.report.rows_out += len(book)
        self.report.end_ns = self._last_ts

    @property
    def wants_trades(self) -> bool:
        """Whether a trades store is being written (readers may skip trades otherwise)."""
        return self._trades is not None

    def write_trades(
        self, trades: Trades, lines: np.ndarray | None = None, source: Path | None = None
    ) -> None:
        """Check and append trades; ignored when no trades store was asked for.

        Parameters
        ----------
        trades : Trades
            The next trades, in input order.
        lines : int64 [N], optional
            The 1-based input line of each trade, named in errors.
        source : Path, optional
            The input file they come from (default: the sink's ``source``).
        """
        if self._trades is None:
            return
        self._trades.write(self._guard.admit(trades, source or self.source, lines))
        self.report.trades_out_rows = self._trades.rows

    def trades_only(self) -> None:
        """Take trades and no book: write them to ``trades_out``, else to ``out``."""
        self.expect_book = False
        if self._trades is None:
            self._trades = TradesWriter(self.out, _trade_metadata(self.meta))
            self.report.trades_out, self.report.out = self.out, None

    def close(self) -> None:
        """Finish the stores; no book rows at all is an error (unless the input is trades)."""
        if self._trades is not None:
            self._trades.close()
        if not self.expect_book:
            return
        if self._writer is None:
            raise IngestError(
                self.source,
                "whole input",
                "no book rows could be built (empty input, or nothing after the first snapshot)",
                "book_rows",
            )
        self._writer.close()

    def abort(self) -> None:
        """Close files after an error, leaving no half-written store behind."""
        for writer in (self._writer, self._trades):
            if writer is not None:
                try:
                    writer.close()
                finally:
                    writer.path.unlink(missing_ok=True)

    def refine_meta(self, **fields: str) -> None:
        """Update provenance before the first row is written (for example an inferred tick)."""
        if self._writer is None:
            self.meta = dataclasses.replace(self.meta, **fields)


def _trade_metadata(meta: BookMeta) -> dict[str, str]:
    return {f"l2gpu.{k}": str(v) for k, v in vars(meta).items()}
