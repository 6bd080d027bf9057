"""The overfitting report of one sweep: DSR of the selected config and PBO of the whole sweep."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from l2gpu.backend.arrays import to_device
from l2gpu.metrics.deflated_sharpe import deflated_sharpe, expected_max_sharpe
from l2gpu.metrics.pbo import pbo

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


def overfitting(bucket_pnl: np.ndarray, selected: int, engine: str = "cpu") -> Overfitting:
    """Deflate the selected config's Sharpe by all the configs tried, and CSCV the sweep.

    Parameters
    ----------
    bucket_pnl : array [buckets, configs]
        Equity change per bucket of every config (``SweepResult.bucket_pnl``).
    selected : int
        Column of the config chosen as the best.
    engine : {"cpu", "gpu"}
        Where the CSCV runs (all splits at once are matrix products; the GPU suits thousands
        of configs).
    """
    buckets, configs = bucket_pnl.shape
    mean, std = bucket_pnl.mean(axis=0), bucket_pnl.std(axis=0)
    sharpe = np.where(std > 0, mean / np.where(std > 0, std, 1.0), 0.0)
    chosen = bucket_pnl[:, selected]
    skew = float(stats.skew(chosen)) if std[selected] > 0 else 0.0
    kurtosis = float(stats.kurtosis(chosen, fisher=False)) if std[selected] > 0 else 3.0
    variance = float(np.var(sharpe, ddof=1)) if configs > 1 else 0.0
    dsr = deflated_sharpe(float(sharpe[selected]), buckets, variance, configs, skew, kurtosis)
    splits = min(16, 2 * (buckets // (2 * MIN_BUCKETS_PER_SPLIT)))
    result = (
        pbo(to_device(bucket_pnl, "gpu" if engine == "gpu" else "cpu"), n_splits=splits)
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
