"""Chronological splits with purge and embargo, expressed through the labels' horizon.

The rows are cut into ``n_splits`` contiguous test blocks in time order; each block is the test
set once. A training row ``t`` is **purged** when its label window ``[ts_t, end_ts_t]`` reaches
into the test block's span ``[ts_first, ts_last]`` (its label would see test data), and the
**embargo** drops the training rows just after the test block (``ts_last < ts_t <= ts_last + e``
for a duration, or the next ``e`` rows), whose features were computed from test-period data.
With ``past_only`` the training set is further limited to rows before the test block
(walk-forward).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l2gpu.core.spans import Window

NEVER = np.iinfo(np.int64).max


def label_end_ts(ts: np.ndarray, horizon: Window) -> np.ndarray:
    """Time each row's label window ends, ns; ``NEVER`` where it runs past the data."""
    ends = horizon.ends(ts, np)
    inside = ends < ts.shape[0]
    return np.where(inside, ts[np.minimum(ends, ts.shape[0] - 1)], NEVER)


@dataclass(frozen=True)
class PurgedSplits:
    """Chronological test blocks; training rows purged by label horizon and embargoed.

    Attributes
    ----------
    n_splits : int
        Number of contiguous test blocks.
    horizon : str
        The labels' horizon, rows (``"100"``) or time (``"2s"``).
    embargo : str
        Gap after each test block, rows or time; ``"0"`` for none.
    past_only : bool
        Train only on rows before the test block (walk-forward).
    """

    n_splits: int
    horizon: str
    embargo: str = "0"
    past_only: bool = False

    def split(self, ts: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return ``(train rows, test rows)`` for each test block, in time order."""
        rows = ts.shape[0]
        if not 2 <= self.n_splits <= rows:
            raise ValueError(f"n_splits must be between 2 and the {rows} rows, got {self.n_splits}")
        ends_at = label_end_ts(ts, Window.parse(self.horizon))
        embargo = None if self.embargo == "0" else Window.parse(self.embargo)
        index = np.arange(rows)
        out = []
        for test in np.array_split(index, self.n_splits):
            first, last = int(test[0]), int(test[-1])
            keep = (index < first) | (index > last)
            keep &= ~((ts <= ts[last]) & (ends_at >= ts[first]))
            if embargo is not None:
                if embargo.rows is not None:
                    keep &= ~((index > last) & (index <= last + embargo.rows))
                else:
                    assert embargo.ns is not None
                    keep &= ~((index > last) & (ts <= ts[last] + embargo.ns))
            if self.past_only:
                keep &= index < first
            out.append((index[keep], test))
        return out
