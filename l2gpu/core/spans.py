"""Spans in rows (``"100"``) or time (``"2s"``, ``"250ms"``): windows, horizons, latencies.

A trailing window at row ``t`` covers rows ``t - n + 1 .. t`` (``n`` rows) or the rows with
``ts > ts_t - w`` (time); a horizon from row ``t`` ends at row ``t + n`` or at the first row with
``ts >= ts_t + w``. Units are in :data:`UNITS_NS`. See ``docs/semantics.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_TIME = re.compile(r"^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$")


@dataclass(frozen=True)
class Window:
    """A span in rows or in time.

    Attributes
    ----------
    rows : int or None
        Number of rows, when the span is counted in rows.
    ns : int or None
        Length in ns, when the span is a duration.
    text : str
        As written in the feature name.
    """

    rows: int | None
    ns: int | None
    text: str

    @classmethod
    def parse(cls, text: str, allow_zero: bool = False) -> Window:
        """Parse ``"100"`` (rows) or ``"2s"``, ``"250ms"``, ``"1.5m"`` (time).

        Parameters
        ----------
        text : str
            The span as written.
        allow_zero : bool
            Accept an empty span (``"0"``, ``"0ms"``): a latency may be zero, a window may not.
        """
        if text.isdigit():
            if int(text) < 1 and not allow_zero:
                raise ValueError(f"a window of {text} rows is empty; use at least 1")
            return cls(int(text), None, text)
        match = _TIME.match(text)
        if match is None:
            raise ValueError(
                f"{text!r} is not a window: write rows as an integer ('100') or a "
                f"duration with a unit ({', '.join(UNITS_NS)}), e.g. '2s', '250ms'"
            )
        ns = round(float(match[1]) * UNITS_NS[match[2]])
        if ns < 1 and not (allow_zero and ns == 0):
            raise ValueError(f"window {text!r} is shorter than 1 ns")
        return cls(None, ns, text)

    def starts(self, ts: Any, xp: ModuleType) -> Any:
        """First row of the trailing window ending at each row, int64 ``[T]``."""
        rows = ts.shape[0]
        index = xp.arange(rows, dtype=xp.int64)
        if self.rows is not None:
            return xp.maximum(index - self.rows + 1, 0)
        return xp.searchsorted(ts, ts - self.ns, side="right").astype(xp.int64)

    def ends(self, ts: Any, xp: ModuleType) -> Any:
        """Row where a horizon starting at each row ends, ``T`` where it runs past the data.

        The end row is ``t + n`` (rows) or the first row ``j`` with ``ts_j >= ts_t + w``.
        """
        rows = ts.shape[0]
        index = xp.arange(rows, dtype=xp.int64)
        if self.rows is not None:
            return xp.minimum(index + self.rows, rows)
        return xp.searchsorted(ts, ts + self.ns, side="left").astype(xp.int64)
