"""Windows and horizons in rows (``"100"``) or time (``"2s"``, ``"250ms"``), and rolling sums.

A trailing window at row ``t`` covers rows ``t - n + 1 .. t`` (``n`` rows) or the rows with
``ts > ts_t - w`` (time). Rolling sums use a prefix sum and ``searchsorted``, which parallelise on
the GPU, never a scan per row. A window that holds a NaN sums to NaN: a quantity that is
undefined on some row (a mid with an empty side) is not silently treated as zero.
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
    def parse(cls, text: str) -> Window:
        """Parse ``"100"`` (rows) or ``"2s"``, ``"250ms"``, ``"1.5m"`` (time)."""
        if text.isdigit():
            if int(text) < 1:
                raise ValueError(f"a window of {text} rows is empty; use at least 1")
            return cls(int(text), None, text)
        match = _TIME.match(text)
        if match is None:
            raise ValueError(
                f"{text!r} is not a window: write rows as an integer ('100') or a "
                f"duration with a unit ({', '.join(UNITS_NS)}), e.g. '2s', '250ms'"
            )
        ns = round(float(match[1]) * UNITS_NS[match[2]])
        if ns < 1:
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


def prefix_sum(values: Any, xp: ModuleType) -> tuple[Any, Any]:
    """Prefix sums of ``values`` with NaN counted aside: (sum of finite values, NaN count).

    Both have a leading 0, so the sum over rows ``a .. b-1`` is ``P[b] - P[a]``.
    """
    missing = xp.isnan(values)
    total = xp.concatenate((xp.zeros(1), xp.cumsum(xp.where(missing, 0.0, values))))
    count = xp.concatenate((xp.zeros(1, dtype=xp.int64), xp.cumsum(missing, dtype=xp.int64)))
    return total, count


def window_sum(prefix: tuple[Any, Any], starts: Any, xp: ModuleType) -> Any:
    """Sum over rows ``starts[t] .. t`` from :func:`prefix_sum`; NaN where the window has a NaN."""
    total, count = prefix
    ends = xp.arange(1, total.shape[0], dtype=xp.int64)
    sums = total[ends] - total[starts]
    return xp.where(count[ends] - count[starts] > 0, xp.nan, sums)
