"""``IngestReport``: what ingest read, wrote, repaired and checked; prints as a Rich table."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table

SHOWN_IDS = 20


@dataclass
class IngestReport:
    """Counts and checks of one ingest run.

    Attributes
    ----------
    source : str
        The format read.
    inputs : list of Path
        Files read.
    out, trades_out : Path or None
        Stores written.
    lines_in : int
        Lines (or CSV rows) read from the inputs.
    rows_out : int
        Book rows written.
    updates_applied : int
        Price-level updates applied to the book (or level values read, for state files).
    trades_out_rows : int
        Trades written.
    gaps : int
        Breaks in the update-id chain.
    rows_lost : int
        Events not turned into rows because of gaps (``on_gap="resync"``).
    crossed_rows : int
        Rows with best bid >= best ask after the event (kept or dropped per policy).
    crossed_row_ids : list of int
        ``seq`` of the first crossed rows.
    skipped_lines : int
        Lines or rows skipped by ``on_bad_line="skip"``: malformed ones, and book rows or trades
        that break a store check.
    skipped_examples : list of str
        Where and why, for the first skipped lines.
    time_backwards : int
        Rows whose exchange time went back (clamped).
    trades_backwards : int
        Trades dropped because their time was before an earlier trade's
        (``on_trade_backwards="drop"``).
    duplicate_trades : int
        Trades dropped because their id was read before (``on_duplicate_trade="drop"``).
    other_symbol_lines : int
        Lines or rows of another instrument skipped (``on_other_symbol="skip"``).
    inconsistent_rows : int
        LOBSTER messages whose size change does not show in the orderbook
        (``on_inconsistent="keep"``).
    inconsistent_row_ids : list of int
        Message rows (0-based) of the first of them.
    later_snapshots : int
        Binance depth snapshots after the one the book started from, while in sync (each is
        compared with the rebuilt book where it can be; see ``checks``).
    start_ns, end_ns : int or None
        First and last ``ts`` written.
    seconds : float
        Wall time of the ingest, s.
    checks : dict of str to str
        Named consistency checks and their outcome (for example ``"55,070 of 55,070"``).
    """

    source: str
    inputs: list[Path]
    out: Path | None = None
    trades_out: Path | None = None
    lines_in: int = 0
    rows_out: int = 0
    updates_applied: int = 0
    trades_out_rows: int = 0
    gaps: int = 0
    rows_lost: int = 0
    crossed_rows: int = 0
    crossed_row_ids: list[int] = field(default_factory=list)
    skipped_lines: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    time_backwards: int = 0
    trades_backwards: int = 0
    duplicate_trades: int = 0
    other_symbol_lines: int = 0
    inconsistent_rows: int = 0
    inconsistent_row_ids: list[int] = field(default_factory=list)
    later_snapshots: int = 0
    start_ns: int | None = None
    end_ns: int | None = None
    seconds: float = 0.0
    checks: dict[str, str] = field(default_factory=dict)

    def note_skipped(self, where: str, problem: str) -> None:
        """Count a skipped line and keep its description if it is among the first."""
        self.skipped_lines += 1
        if len(self.skipped_examples) < SHOWN_IDS:
            self.skipped_examples.append(f"{where}: {problem}")

    def repairs(self) -> dict[str, int]:
        """Return every counted repair or tolerated problem by name (0 when none happened)."""
        return {
            "gaps": self.gaps,
            "rows_lost": self.rows_lost,
            "crossed_rows": self.crossed_rows,
            "skipped_lines": self.skipped_lines,
            "time_backwards": self.time_backwards,
            "trades_backwards": self.trades_backwards,
            "duplicate_trades": self.duplicate_trades,
            "other_symbol_lines": self.other_symbol_lines,
            "inconsistent_rows": self.inconsistent_rows,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain values (paths as text), for logs and JSON."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, list):
                value = [str(v) if isinstance(v, Path) else v for v in value]
            elif isinstance(value, dict):
                value = dict(value)
            out[item.name] = value
        return out

    @property
    def updates_per_second(self) -> float:
        """Level updates applied per second of wall time."""
        return self.updates_applied / self.seconds if self.seconds > 0 else float("nan")

    def table(self) -> Table:
        """Render the report as a two-column Rich table."""
        table = Table(
            title=f"Ingest report: {self.source}", show_header=False, title_justify="left"
        )
        table.add_column(style="bold cyan")
        table.add_column(overflow="fold")

        def span() -> str:
            if self.start_ns is None or self.end_ns is None:
                return "-"
            start, end = (
                pd.Timestamp(v, unit="ns", tz="UTC") for v in (self.start_ns, self.end_ns)
            )
            return f"{start} -> {end} ({(self.end_ns - self.start_ns) / 1e9:,.1f} s)"

        rows = [
            ("inputs", ", ".join(p.name for p in self.inputs)),
            ("book store", str(self.out) if self.out else "-"),
            ("lines in", f"{self.lines_in:,}"),
            ("book rows out", f"{self.rows_out:,}"),
            ("level updates applied", f"{self.updates_applied:,}"),
            ("trades out", f"{self.trades_out_rows:,}"),
            ("sequence gaps", f"{self.gaps:,} ({self.rows_lost:,} rows lost)"),
            (
                "crossed rows",
                f"{self.crossed_rows:,}"
                + (f" (seq {self.crossed_row_ids[:SHOWN_IDS]})" if self.crossed_row_ids else ""),
            ),
            ("skipped lines", f"{self.skipped_lines:,}"),
            ("time going backwards", f"{self.time_backwards:,}"),
            ("trades dropped: time back", f"{self.trades_backwards:,}"),
            ("trades dropped: repeated id", f"{self.duplicate_trades:,}"),
            ("lines of another symbol", f"{self.other_symbol_lines:,}"),
            (
                "inconsistent messages",
                f"{self.inconsistent_rows:,}"
                + (
                    f" (rows {self.inconsistent_row_ids[:SHOWN_IDS]})"
                    if self.inconsistent_row_ids
                    else ""
                ),
            ),
            ("later snapshots", f"{self.later_snapshots:,}"),
            ("time span", span()),
            ("wall time", f"{self.seconds:.2f} s ({self.updates_per_second:,.0f} updates/s)"),
        ]
        rows += [(name, outcome) for name, outcome in self.checks.items()]
        rows += [("skipped", example) for example in self.skipped_examples[:5]]
        for name, value in rows:
            table.add_row(name, value)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table()
