"""Stream a CSV file as batches of text columns, knowing the input line of every row.

Every cell is read as text: numbers are parsed afterwards, exactly and with a status per cell (see
:mod:`l2gpu.data.ingest.decimal_columns`), so a bad cell is named by its line and column instead
of a conversion error that names neither. A row with the wrong number of fields (check
``field_count``) is an error naming its line, or, where the caller allows it, skipped and counted;
either way the line numbers of the rows that follow stay right. A blank line is read as a row of
empty cells, so the caller's cell checks name it.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from l2gpu.data.ingest.policies import IngestError
from l2gpu.data.ingest.report import IngestReport

BLOCK_BYTES = 1 << 24
FIELD_COUNT = re.compile(r"Row #(\d+): Expected (\d+) columns, got (\d+): (.*)", re.S)
ROW = re.compile(r"Row #(\d+)")


@contextlib.contextmanager
def _quiet_row_decoding() -> Iterator[None]:
    """Keep pyarrow's failure to decode a malformed row that is not UTF-8 off stderr.

    pyarrow decodes such a row's text for the invalid-row handler and, when that fails, prints
    the exception and stops the read with a parse error, which :class:`CsvRows` reports.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, UnicodeDecodeError):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def open_input(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """Return (raw handle, for progress in bytes; text source, decompressed if ``.gz``)."""
    raw = path.open("rb")
    if path.suffix == ".gz":
        return raw, gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw, raw


class CsvRows:
    """The rows of one CSV file, batch by batch, with their 1-based input lines.

    Parameters
    ----------
    path : Path
        The file (``.gz`` is decompressed).
    columns : sequence of str
        Column names: those to read from the header, or every column of a file without one.
    header : bool
        Whether the first line names the columns.
    skip_bad_rows : bool
        Skip and count (in ``report``) rows with the wrong number of fields instead of raising.
    report : IngestReport
        Where skipped rows are noted.
    hint : str
        What the error about a malformed row adds (how to go on).
    """

    def __init__(
        self,
        path: Path,
        columns: Sequence[str],
        header: bool,
        skip_bad_rows: bool,
        report: IngestReport,
        hint: str = "on_bad_line='skip' skips such rows and counts them",
    ) -> None:
        self.path = path
        self.hint = hint
        self.bytes_read = 0
        self.columns = list(columns)
        self.header = header
        self.skip_bad_rows = skip_bad_rows
        self.report = report
        self.rows = 0
        self._passed: list[int] = []  # lines of the malformed rows skipped, in order

    def _skip(self, row: pacsv.InvalidRow) -> str:
        """Count a row with the wrong number of fields and skip it (``skip_bad_rows``)."""
        line = int(row.number) if row.number is not None else -1
        self._passed.append(line)
        self.report.note_skipped(
            f"line {line}",
            f"{row.actual_columns} fields, expected {row.expected_columns} (check 'field_count')",
        )
        return "skip"

    def _syntax_error(self, message: str) -> IngestError:
        """Turn pyarrow's parse error into one naming the line (``Row #N`` is its line)."""
        fields = FIELD_COUNT.search(message)
        if fields is not None:
            line, expected, actual, text = fields.groups()
            # Skipping stops only at a row pyarrow cannot hand over: one that is not UTF-8.
            hint = (
                "it is not UTF-8 text, so it cannot be skipped" if self.skip_bad_rows else self.hint
            )
            return IngestError(
                self.path,
                f"line {line}",
                f"{actual} fields, expected {expected}: {text[:120]!r}; {hint}",
                "field_count",
            )
        row = ROW.search(message)
        where = f"line {row[1]}" if row is not None else "CSV"
        return IngestError(self.path, where, message, "csv_syntax")

    def _lines(self, count: int) -> np.ndarray:
        """Return the input lines of the next ``count`` rows."""
        first_line = 2 if self.header else 1
        rows = np.arange(self.rows, self.rows + count, dtype=np.int64)
        if not self._passed:
            return rows + first_line
        passed = np.asarray(self._passed, np.int64)
        rows_before = passed - first_line - np.arange(passed.size)
        return rows + first_line + np.searchsorted(rows_before, rows, side="right")

    def batches(
        self, progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
        """Yield ``(batch of text columns, int64 [N] input lines)``.

        ``progress`` is called with the bytes of the file read so far (also kept in
        ``bytes_read``).
        """
        read = pacsv.ReadOptions(
            block_size=BLOCK_BYTES,
            use_threads=False,  # so that a malformed row's line number is known
            column_names=None if self.header else self.columns,
        )
        parse = pacsv.ParseOptions(
            invalid_row_handler=self._skip if self.skip_bad_rows else None,
            ignore_empty_lines=False,
        )
        convert = pacsv.ConvertOptions(
            column_types={c: pa.string() for c in self.columns},
            include_columns=self.columns,
            strings_can_be_null=False,
        )
        raw, text = open_input(self.path)
        with raw, text, _quiet_row_decoding():
            try:
                for batch in pacsv.open_csv(text, read, parse, convert):
                    lines = self._lines(batch.num_rows)
                    self.rows += batch.num_rows
                    yield batch, lines
                    self.bytes_read = raw.tell()
                    if progress is not None:
                        progress(self.bytes_read)
            except pa.ArrowInvalid as exc:
                raise self._syntax_error(str(exc)) from None
            except (EOFError, OSError, zlib.error) as exc:
                raise IngestError(
                    self.path,
                    f"after line {int(self._lines(1)[0]) - 1}",
                    f"the file is damaged or cut short ({exc})",
                    "readable_input",
                ) from None
