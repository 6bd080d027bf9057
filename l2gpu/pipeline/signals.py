"""The signals stage: features (the strategy's signals) and labels, on the book's device.

Features pass the leakage guard before they are computed. Labels only measure the signals here:
each signal's information coefficient (Pearson correlation over the rows where both are finite)
with each label. Each signal's scale (a quantile of its absolute value) turns the strategy's
threshold multiples into signal units, so one grid fits signals of any unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from l2gpu import labels
from l2gpu.backend.arrays import array_namespace
from l2gpu.features import compute
from l2gpu.labels.registry import TOUCH_SUFFIX
from l2gpu.pipeline.data import BookInputs
from l2gpu.pipeline.progress import Progress
from l2gpu.search import signal_scales

MIN_ROWS_FOR_IC = 3


@dataclass(frozen=True)
class Signals:
    """What the signals stage gives the search.

    Attributes
    ----------
    features : dict of str to array [T]
        The strategy's signals by name, on the book's device.
    labels : dict of str to array [T]
        Forward labels by name (targets, never inputs), on the book's device.
    scales : dict of str to float
        Each signal's scale, in its own unit: the thresholds of the strategy are multiples of it.
    ics : dict of str to float
        ``ic.<feature>.<label>``: information coefficient of each signal with each label.
    declared_causal : tuple of str
        Signals that are not registered features but are causal (a model's out-of-sample
        score), for the leakage guard of later stages.
    """

    features: dict[str, Any]
    labels: dict[str, Any]
    scales: dict[str, float]
    ics: dict[str, float]
    declared_causal: tuple[str, ...] = ()


def information_coefficients(
    features: Mapping[str, Any], targets: Mapping[str, Any]
) -> dict[str, float]:
    """Pearson correlation of each feature with each label over the rows where both are finite.

    Computed where the arrays live; one scalar per pair comes back to the host. NaN where fewer
    than :data:`MIN_ROWS_FOR_IC` rows have both, or where one of them is constant there.
    """
    out = {}
    for f_name, f in features.items():
        xp = array_namespace(f)
        for l_name, y in targets.items():
            if l_name.endswith(TOUCH_SUFFIX):
                continue
            x, z = f.astype(xp.float64), y.astype(xp.float64)
            both = xp.isfinite(x) & xp.isfinite(z)
            n = int(both.sum().item())
            ic = float("nan")
            if n >= MIN_ROWS_FOR_IC:
                a, b = x[both] - x[both].mean(), z[both] - z[both].mean()
                den = (xp.sqrt((a * a).sum()) * xp.sqrt((b * b).sum())).item()
                ic = float((a * b).sum().item() / den) if den > 0 else float("nan")
            out[f"ic.{f_name}.{l_name}"] = ic
    return out


def compute_signals(
    inputs: BookInputs,
    feature_names: list[str],
    label_names: list[str],
    taker_fee_bps: float,
    scale_quantile: float,
    progress: Progress,
) -> Signals:
    """Compute the signals and labels of ``inputs``' book where it lives.

    Parameters
    ----------
    inputs : BookInputs
        The data stage's result.
    feature_names, label_names : list of str
        Names as :func:`l2gpu.features.compute` and :func:`l2gpu.labels.compute` take them.
    taker_fee_bps : float
        Taker fee, bps, for cost-aware labels.
    scale_quantile : float
        Quantile of each signal's absolute finite values that is its scale.
    progress : Progress
        Shows the step.
    """
    labels.check_inputs(feature_names)
    book, engine = inputs.book, inputs.engine
    with progress.step(f"features and labels over {len(book):,} rows"):
        features = compute(book, feature_names, engine=engine, trades=inputs.trades)
        targets = labels.compute(book, label_names, engine=engine, taker_fee_bps=taker_fee_bps)
    return Signals(
        features,
        targets,
        signal_scales(features, scale_quantile),
        information_coefficients(features, targets),
    )
