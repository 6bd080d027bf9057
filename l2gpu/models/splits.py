"""The models' walk-forward folds: purged past-only blocks, an embargo on the labels, a window.

The rows are cut into ``n_splits`` contiguous blocks in time order
(:class:`l2gpu.labels.PurgedSplits` with ``past_only``). Block ``k`` is scored by a model trained
on earlier rows only, and only on rows whose label window ends before the block starts minus
the embargo (``end_ts_t < ts_first - embargo``; the purge is the case ``embargo = 0``). With
``train_blocks`` the training rows are further limited to the ``train_blocks`` blocks before
``k`` (rolling); ``0`` keeps every earlier block (expanding). Block 0 has no past: it is never
scored.
"""

from __future__ import annotations

import numpy as np

from l2gpu.core.spans import Window
from l2gpu.labels.splits import PurgedSplits, label_end_ts


def model_folds(
    ts: np.ndarray, n_splits: int, horizon: str, embargo: str, train_blocks: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return ``(training rows, test rows)`` per block after the first, in time order.

    Parameters
    ----------
    ts : numpy.ndarray
        Host timestamps, ns, non-decreasing.
    n_splits : int
        Blocks, at least 2.
    horizon : str
        The label's horizon, rows or time.
    embargo : str
        A duration (``"0s"`` for none) between the training labels' ends and the block.
    train_blocks : int
        Earlier blocks trained on; 0 for all of them.
    """
    gap = Window.parse(embargo, allow_zero=True).ns
    if gap is None:
        raise ValueError(f"embargo must be a duration such as '1s', got {embargo!r}")
    ends_at = label_end_ts(ts, Window.parse(horizon))
    splits = PurgedSplits(n_splits, horizon, past_only=True).split(ts)
    out = []
    for k, (train, test) in enumerate(splits):
        if k == 0:
            continue
        keep = ends_at[train] < ts[test[0]] - gap
        if train_blocks:
            keep &= train >= splits[max(k - train_blocks, 0)][1][0]
        out.append((train[keep], test))
    return out
