"""Canonical Binance depth lines of one block, read by the compiled parser.

:func:`~l2gpu.data.ingest.parsers.binance_lines.parse_depth_lines` reads every depth line laid out
as Binance sends it; :class:`FastDepthLines` holds what it found and hands out records. A line it
could not read gets ``None``, and the reader then parses it through JSON
(:func:`~l2gpu.data.ingest.binance_records.parse_line`), which reads it or names what is wrong.
"""

from __future__ import annotations

import numpy as np

from l2gpu.data.ingest.binance_records import MAX_EVENT_MS, MS, DepthRecord
from l2gpu.data.ingest.decimal_columns import PRICE_SCALE
from l2gpu.data.ingest.parsers.binance_lines import LINE_FALLBACK, LINE_OK, parse_depth_lines


class FastDepthLines:
    """The depth lines of one block, parsed by the compiled fast path.

    ``rows`` are their indices among the block's lines; per-line fields are in that order.
    """

    def __init__(
        self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray
    ) -> None:
        self.rows = rows
        n = rows.size
        room = int((ends[rows] - starts[rows]).sum()) // 9 + 1 if n else 1
        self.local_ns, self.ts_ms, self.first, self.last, self.prev = (
            np.empty(n, np.int64) for _ in range(5)
        )
        self.update_start = np.empty(n + 1, np.int64)
        self.status = np.empty(n, np.int8)
        self.side = np.empty(room, np.int8)
        self.units = np.empty(room, np.int64)
        self.size = np.empty(room, np.float64)
        parse_depth_lines(
            buf,
            starts,
            ends,
            rows,
            PRICE_SCALE,
            self.local_ns,
            self.ts_ms,
            self.first,
            self.last,
            self.prev,
            self.update_start,
            self.status,
            self.side,
            self.units,
            self.size,
        )
        # an event time whose ns would not fit int64: the exact reader names the line
        self.status[np.abs(self.ts_ms) > MAX_EVENT_MS] = LINE_FALLBACK
        self.row_of_line = dict(zip(rows.tolist(), range(n), strict=True))

    def record(self, line_index: int, line_no: int) -> DepthRecord | None:
        """Return the record of block line ``line_index``, or None when the fast path fell back."""
        r = self.row_of_line[line_index]
        if self.status[r] != LINE_OK:
            return None
        lo, hi = int(self.update_start[r]), int(self.update_start[r + 1])
        return DepthRecord(
            line_no,
            int(self.local_ns[r]),
            int(self.ts_ms[r]) * MS,
            False,
            int(self.first[r]),
            int(self.last[r]),
            int(self.prev[r]),
            self.side[lo:hi],
            self.units[lo:hi],
            self.size[lo:hi],
        )
