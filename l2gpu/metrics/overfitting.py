"""The overfitting report of one sweep: DSR of the selected config and PBO of the whole sweep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from l2gpu.backend.arrays import array_namespace, to_device
from l2gpu.metrics.deflated_sharpe import deflated_sharpe, expected_max_sharpe
from l2gpu.metrics.pbo import DEFAULT_MEMORY_BUDGET, config_chunks, pbo

MIN_BUCKETS_PER_SPLIT = 4


@dataclass(frozen=True)
class Overfitting:
    """DSR and PBO of a sweep, with the inputs a reader needs to judge them."""

    dsr: float
    sharpe_per_bucket: float
    expected_max_sharpe: float
    n_trials: int
    n_buckets: int
    pbo: float
    pbo_splits: int

    def reading(self) -> str:
        """One plain sentence on what the two figures say."""
        dsr = (
            "cannot be told apart from the best of as many random tries"
            if self.dsr < 0.95
            else "beats the best of as many random tries with 95% confidence"
        )
        if np.isnan(self.pbo):
            overfit = "PBO needs more buckets"
        else:
            overfit = (
                f"the in-sample winner lands below the out-of-sample median in "
                f"{self.pbo:.0%} of the {self.pbo_splits}-block splits"
            )
        return f"The selected config (DSR {self.dsr:.2f}) {dsr}; {overfit}."


def column_sharpe(
    bucket_pnl: Any, xp: Any, memory_budget: int = DEFAULT_MEMORY_BUDGET
) -> tuple[Any, Any]:
    """Per-column mean and population standard deviation, a chunk of configs at a time.

    Sums run row by row in time order (what ``mean(axis=0)`` and ``std(axis=0)`` do on a
    C-ordered matrix), so the answer is the same for any layout and chunking; temporaries stay
    within ``memory_budget`` bytes.
    """
    rows, configs = bucket_pnl.shape
    mean = xp.empty(configs)
    std = xp.empty(configs)
    for a, b in config_chunks(configs, memory_budget // (8 * rows * 2)):
        values = bucket_pnl[:, a:b]
        total = values[0].copy()
        for row in range(1, rows):
            total += values[row]
        centre = total / rows
        squares = (values[0] - centre) ** 2
        for row in range(1, rows):
            squares += (values[row] - centre) ** 2
        mean[a:b] = centre
        std[a:b] = xp.sqrt(squares / rows)
    return mean, std


def overfitting(
    bucket_pnl: Any,
    selected: int,
    engine: str = "cpu",
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    pbo_splits: int = 16,
) -> Overfitting:
    """Deflate the selected config's Sharpe by all the configs tried, and CSCV the sweep.

    Parameters
    ----------
    bucket_pnl : array [buckets, configs]
        Equity change per bucket of every config, quote currency (``SweepResult.bucket_pnl``),
        on the host or the device.
    selected : int
        Column of the config chosen as the best.
    engine : {"cpu", "gpu"}
        Where the statistics run (the CSCV's splits are matrix products; the GPU suits
        thousands of configs). A matrix elsewhere is moved there once; on the device nothing
        else of its size is allocated. Only the per-config Sharpe ratios, the selected column
        and the split logits come back.
    memory_budget : int
        Bytes the temporaries may take besides the matrix (see :func:`l2gpu.metrics.pbo`).
    pbo_splits : int
        Most blocks the CSCV cuts the buckets into (even; fewer where a block would hold under
        ``MIN_BUCKETS_PER_SPLIT`` buckets). Its ``C(S, S/2)`` splits each cost a pass over the
        configs: 12,870 for 16, 70 for 8.
    """
    work = to_device(bucket_pnl, "gpu" if engine == "gpu" else "cpu", "overfitting bucket pnl")
    xp = array_namespace(work)
    buckets, configs = work.shape
    mean, std = column_sharpe(work, xp, memory_budget)
    sharpe = to_device(
        xp.where(std > 0, mean / xp.where(std > 0, std, 1.0), 0.0), "cpu", "per-config Sharpe"
    )
    chosen = to_device(work[:, selected], "cpu", "selected config's bucket pnl")
    varies = float(to_device(std[selected], "cpu", "selected config's pnl deviation")) > 0
    skew = float(stats.skew(chosen)) if varies else 0.0
    kurtosis = float(stats.kurtosis(chosen, fisher=False)) if varies else 3.0
    variance = float(np.var(sharpe, ddof=1)) if configs > 1 else 0.0
    dsr = deflated_sharpe(float(sharpe[selected]), buckets, variance, configs, skew, kurtosis)
    splits = min(pbo_splits, 2 * (buckets // (2 * MIN_BUCKETS_PER_SPLIT)))
    result = (
        pbo(work, n_splits=splits, memory_budget=memory_budget)
        if splits >= 2 and configs >= 2
        else None
    )
    return Overfitting(
        dsr,
        float(sharpe[selected]),
        expected_max_sharpe(variance, configs),
        configs,
        buckets,
        result.pbo if result else float("nan"),
        splits,
    )
