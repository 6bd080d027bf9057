"""Reading the rows of a Tardis CSV: the header, cells as text with their lines, exact times.

Shared by the readers of :mod:`l2gpu.data.ingest.tardis` and
:mod:`l2gpu.data.ingest.tardis_snapshots`; the formats themselves are described there.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from l2gpu.data.ingest.csv_rows import open_input
from l2gpu.data.ingest.decimal_columns import (
    parse_fixed_strings,
)
from l2gpu.data.ingest.formats import IngestRequest
from l2gpu.data.ingest.policies import IngestError

US_SCALE = 3
"""Decimals of a microsecond timestamp kept: 3, so the parsed value is in ns."""
INCREMENTAL_DEFAULT_DEPTH = 20
NOT_A_DECIMAL = "is not a non-negative decimal number"
COMMON_COLUMNS = ("exchange", "symbol", "timestamp", "local_timestamp")
INCREMENTAL_COLUMNS = (*COMMON_COLUMNS, "is_snapshot", "side", "price", "amount")
TRADES_COLUMNS = (*COMMON_COLUMNS, "id", "side", "price", "amount")
Problem = tuple[np.ndarray, str, str, str]
"""Rows with a problem: their mask, the column shown, what is wrong with it, the check's name."""


def read_header(path: Path) -> list[str]:
    """Return the column names of the first line."""
    raw, text = open_input(path)
    with raw, text:
        try:
            head = text.readline().decode("utf-8", "replace")
        except (EOFError, OSError, zlib.error) as exc:
            raise IngestError(path, "line 1", f"unreadable ({exc})", "readable_input") from None
    rows = list(csv.reader([head])) if head.strip() else []
    return [name.strip() for name in rows[0]] if rows else []


class Rows:
    """Bad rows and rows of another symbol, handled by policy; the first symbol seen.

    The first row's exchange and symbol become the store's metadata (the symbol only when the
    caller named none).
    """

    def __init__(self, path: Path, request: IngestRequest) -> None:
        self.path = path
        self.policies = request.policies
        self.report = request.report
        self.sink = request.sink
        self.name_symbol = request.symbol is None
        self.symbol: str | None = None

    def _learn(self, table: pa.Table) -> None:
        self.symbol = table.column("symbol")[0].as_py()
        meta = {"exchange": table.column("exchange")[0].as_py()}
        self.sink.refine_meta(**meta, **({"symbol": self.symbol} if self.name_symbol else {}))

    def keep(self, table: pa.Table, lines: np.ndarray, problems: list[Problem]) -> np.ndarray:
        """Return the rows to keep: raise for a problem or count it, per ``on_bad_line``."""
        keep = np.ones(table.num_rows, bool)
        for bad, column, what, check in problems:
            for i in np.flatnonzero(bad & keep).tolist():
                where = f"line {lines[i]}"
                problem = f"{column} {table.column(column)[i].as_py()!r} {what}"
                if self.policies.on_bad_line == "error":
                    raise IngestError(
                        self.path,
                        where,
                        f"{problem}; on_bad_line='skip' skips such rows and counts them",
                        check,
                    )
                self.report.note_skipped(where, f"{problem} (check '{check}')")
                keep[i] = False
        if self.symbol is None and keep.any():
            self._learn(table.slice(int(np.argmax(keep)), 1))
        symbols = table.column("symbol")
        other = ~np.asarray(pc.equal(symbols, self.symbol).to_numpy(zero_copy_only=False), bool)
        other &= keep
        if other.any():
            i = int(np.argmax(other))
            if self.policies.on_other_symbol == "error":
                raise IngestError(
                    self.path,
                    f"line {lines[i]}",
                    f"a row of symbol {symbols[i].as_py()!r}, but the file's first row is of "
                    f"{self.symbol!r}; on_other_symbol='skip' skips such rows and counts them",
                    "one_symbol",
                )
            self.report.other_symbol_lines += int(other.sum())
            keep &= ~other
        return keep


def times_ns(
    table: pa.Table, parsed: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
) -> tuple[dict[str, np.ndarray], list[Problem]]:
    """Both timestamp columns as exact int64 ns, and the rows where one does not parse.

    ``parsed`` holds columns parsed already (values and status), by name.
    """
    out, problems = {}, []
    for name in ("timestamp", "local_timestamp"):
        known = (parsed or {}).get(name)
        ns, status = known if known else parse_fixed_strings(table.column(name), US_SCALE)
        out[name] = ns
        problems.append(
            (
                status != 0,
                name,
                "is not microseconds exact to the ns (a decimal with at most 3 decimals)",
                "exact_timestamp",
            )
        )
    return out, problems


def is_value(column: pa.ChunkedArray, *values: str) -> np.ndarray:
    """Mask of the cells equal to one of ``values``."""
    return np.asarray(pc.is_in(column, pa.array(values)).to_numpy(zero_copy_only=False), bool)


def blank(column: pa.ChunkedArray) -> np.ndarray:
    """Mask of the empty cells."""
    return np.asarray(pc.equal(column, "").to_numpy(zero_copy_only=False), bool)
