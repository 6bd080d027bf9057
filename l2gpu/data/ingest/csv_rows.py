"""Stream a CSV file as batches of text columns, knowing the input line of every row.

Every cell is read as text: numbers are parsed afterwards, exactly and with a status per cell (see
:mod:`l2gpu.data.ingest.decimal_columns`), so a bad cell is named by its line and column instead
of a conversion error that names neither. A row with the wrong number of fields (check
``field_count``) is an error naming its line, or, where the caller allows it, skipped and counted;
either way the line numbers of the rows that follow stay right. A blank line is read as a row of
empty cells, so the caller's cell checks name it.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from l2gpu.data.ingest.policies import IngestError
from l2gpu.data.ingest.report import IngestReport

BLOCK_BYTES = 1 << 24


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
        self._refused: tuple[int, str, int, int] | None = None

    def _invalid(self, row: pacsv.InvalidRow) -> str:
        line = int(row.number) if row.number is not None else -1
        if not self.skip_bad_rows:
            self._refused = (line, row.text, row.actual_columns, row.expected_columns)
            return "error"
        self._passed.append(line)
        self.report.note_skipped(
            f"line {line}",
            f"{row.actual_columns} fields, expected {row.expected_columns} (check 'field_count')",
        )
        return "skip"

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
        parse = pacsv.ParseOptions(invalid_row_handler=self._invalid, ignore_empty_lines=False)
        convert = pacsv.ConvertOptions(
            column_types={c: pa.string() for c in self.columns},
            include_columns=self.columns,
            strings_can_be_null=False,
        )
        raw, text = open_input(self.path)
        with raw, text:
            try:
                for batch in pacsv.open_csv(text, read, parse, convert):
                    lines = self._lines(batch.num_rows)
                    self.rows += batch.num_rows
                    yield batch, lines
                    self.bytes_read = raw.tell()
                    if progress is not None:
                        progress(self.bytes_read)
            except pa.ArrowInvalid as exc:
                if self._refused is None:
                    raise IngestError(self.path, "CSV", str(exc), "csv_syntax") from None
                line, shown, actual, expected = self._refused
                raise IngestError(
                    self.path,
                    f"line {line}",
                    f"{actual} fields, expected {expected}: {shown[:120]!r}; {self.hint}",
                    "field_count",
                ) from None
            except (EOFError, OSError, zlib.error) as exc:
                raise IngestError(
                    self.path,
                    f"after line {int(self._lines(1)[0]) - 1}",
                    f"the file is damaged or cut short ({exc})",
                    "readable_input",
                ) from None
