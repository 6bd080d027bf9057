"""Train a model walk-forward and score each block out of sample (``docs/models.md``).

Every input passes the leakage guard. The folds are :func:`l2gpu.models.splits.model_folds`:
block ``k`` is scored by a model fitted only on earlier rows whose label ended before the block
(minus the embargo), standardised with those rows' statistics. A row is scored when its whole
window is finite; a block is scored when it has ``min_train_rows`` trainable rows and a row with
a finite label to measure the test loss on. Everything else stays NaN.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backend.arrays import array_device, array_namespace
from l2gpu.labels.guard import check_inputs
from l2gpu.models import train_numpy
from l2gpu.models.design import Scaling, fit_scaling, valid_inputs, window_index
from l2gpu.models.registry import MODELS, Model, Shape
from l2gpu.models.result import FoldRecord, ModelRun
from l2gpu.models.splits import model_folds
from l2gpu.models.train_numpy import FoldFit, Training

TRAINERS = ("auto", "numpy", "torch")


@dataclass(frozen=True)
class ModelSettings:
    """A model and how it is trained (the ``model`` config group, ``docs/config.md``)."""

    name: str
    window: int = 1
    hidden: int = 8
    kernel: int = 3
    epochs: int = 100
    learning_rate: float = 0.1
    l2: float = 1e-3
    seed: int = 0
    n_splits: int = 5
    embargo: str = "1s"
    train_blocks: int = 0
    min_train_rows: int = 100
    backend: str = "auto"


def trainer(backend: str) -> ModuleType:
    """Return the trainer module: ``torch`` if asked (or ``auto`` and installed), else NumPy."""
    if backend not in TRAINERS:
        raise ValueError(f"model.backend {backend!r}: use one of {', '.join(TRAINERS)}")
    if backend == "auto":
        backend = "torch" if importlib.util.find_spec("torch") is not None else "numpy"
    if backend == "numpy":
        return train_numpy
    if importlib.util.find_spec("torch") is None:
        raise ValueError("model.backend torch: torch is not installed; pip install -e '.[ml]'")
    from l2gpu.models import train_torch

    return train_torch


def _pearson(xp: ModuleType, a: Any, b: Any, host: Any) -> float:
    """Correlation of two equal-length arrays (``nan`` if either is constant)."""
    da, db = a - a.mean(), b - b.mean()
    den = float(host(xp.sqrt((da * da).sum() * (db * db).sum())))
    return float(host((da * db).sum())) / den if den > 0 else float("nan")


def _fit_block(
    train_with: ModuleType,
    model: Model,
    x: Any,
    y: Any,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    training: Training,
) -> tuple[FoldFit, Scaling]:
    """Standardise on the training rows, fit, and score: ``rows`` = (train, judged, scored).

    A squared-loss model's scores are its predictions of the label, in the label's unit; a
    logistic model's are its logits.
    """
    train, judged, scored = rows
    at = train_with.index(train, x)
    standard, target, scaling = fit_scaling(train_with.xp, x, y, at, model.loss, train_with.host)
    window = training.shape.window

    def windows(of: np.ndarray) -> Any:
        return standard[train_with.index(window_index(of, window), x)]

    def targets(of: np.ndarray) -> Any:
        return target[train_with.index(of, x)]

    fit = train_with.fit(
        model,
        windows(train),
        targets(train),
        windows(judged),
        targets(judged),
        windows(scored),
        training,
    )
    if model.loss == "squared":  # back to the label's unit, so blocks' scores compare
        fit.scores = fit.scores * scaling.target_scale + scaling.target_mean
    return fit, scaling


def fit_walk_forward(
    ts: np.ndarray,
    inputs: Mapping[str, Any],
    label: Any,
    label_name: str,
    horizon: str,
    settings: ModelSettings,
    declared_causal: tuple[str, ...] = (),
) -> ModelRun:
    """Fit ``settings.name`` walk-forward on ``inputs`` against ``label``; score out of sample.

    Parameters
    ----------
    ts : numpy.ndarray
        Host timestamps of the rows, ns.
    inputs : mapping of str to array [T]
        The model's inputs by name (causal features), all on one device.
    label : array [T]
        The target label, on the same device.
    label_name : str
        Its name, for the record.
    horizon : str
        How far the label reads ahead, rows or time: what the purge removes.
    settings : ModelSettings
        The model and its schedule.
    declared_causal : tuple of str
        Inputs that are not registered features but are causal (see the leakage guard).
    """
    check_inputs(list(inputs), declared_causal=declared_causal)
    model = MODELS[settings.name]
    columns = list(inputs.values())
    device = array_device(columns[0])
    book_xp = array_namespace(columns[0])
    stacked = book_xp.stack([c.astype(book_xp.float64) for c in columns], axis=1)
    train_with = trainer(settings.backend)
    xp, host = train_with.xp, train_with.host
    x, y = train_with.prepare(stacked, label.astype(book_xp.float64))
    usable = valid_inputs(host(xp.isfinite(x).all(1)), settings.window)
    measurable = host(xp.isfinite(y))
    if model.loss == "logistic":
        measurable = measurable & host(y != 0)
    shape = Shape(len(columns), settings.window, settings.hidden, settings.kernel)
    training = Training(shape, settings.epochs, settings.learning_rate, settings.l2, settings.seed)
    scores = train_with.full_nan(x)
    rows, records = [], {}
    folds = model_folds(ts, settings.n_splits, horizon, settings.embargo, settings.train_blocks)
    for number, (train, test) in enumerate(folds, start=1):
        train = train[usable[train] & measurable[train]]
        scored = test[usable[test]]
        judged = scored[measurable[scored]]
        row: dict[str, float] = {"fold": number, "test_start_ns": int(ts[test[0]])}
        row.update(test_end_ns=int(ts[test[-1]]), train_rows=len(train), scored_rows=0)
        row.update(train_loss=np.nan, test_loss=np.nan, ic=np.nan)
        if len(train) >= settings.min_train_rows and len(judged):
            fit, scaling = _fit_block(train_with, model, x, y, (train, judged, scored), training)
            scores[train_with.index(scored, x)] = fit.scores
            records[number] = FoldRecord(fit.params, scaling, fit.train_loss, fit.test_loss)
            at = train_with.index(judged, x)
            row.update(scored_rows=len(scored), train_loss=fit.train_loss[-1])
            row.update(test_loss=fit.test_loss[-1], ic=_pearson(xp, scores[at], y[at], host))
        rows.append(row)
    return ModelRun(
        f"model_{settings.name}",
        settings.name,
        label_name,
        train_with.NAME,
        train_with.finish(scores, device),
        pd.DataFrame(rows),
        records,
        {**asdict(settings), "inputs": list(inputs), "horizon": horizon},
    )
