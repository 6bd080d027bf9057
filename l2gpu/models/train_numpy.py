"""The NumPy trainer: full-batch gradient steps with the hand-written gradients, or ridge exactly.

It needs nothing beyond NumPy, so the model path runs (and is tested) without torch; the torch
trainer (:mod:`l2gpu.models.train_torch`) takes the same steps and is compared with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from l2gpu.backend.arrays import to_device
from l2gpu.models.registry import Model, Params, Shape, loss_gradient, loss_value

NAME = "numpy"
xp = np


@dataclass(frozen=True)
class Training:
    """How a fold is trained: the model's sizes and the gradient-step schedule."""

    shape: Shape
    epochs: int
    learning_rate: float
    l2: float
    seed: int


@dataclass
class FoldFit:
    """One fold's fitted parameters (host), test scores (the trainer's arrays) and loss curves.

    ``train_loss[e]`` and ``test_loss[e]`` are the mean data losses (no penalty) of the
    parameters before gradient step ``e``; ridge has one entry, its exact fit.
    """

    params: dict[str, np.ndarray]
    scores: Any
    train_loss: list[float]
    test_loss: list[float]


def prepare(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the inputs and label on the host (a device array is copied down, explicitly)."""
    return to_device(x, "cpu", "model inputs (NumPy trainer)"), to_device(
        y, "cpu", "model label (NumPy trainer)"
    )


def index(rows: np.ndarray, like: Any) -> np.ndarray:
    """Return row numbers as this trainer indexes with them."""
    return rows


def host(values: Any) -> np.ndarray:
    """Return a host array of ``values``."""
    return np.asarray(values)


def full_nan(like: np.ndarray) -> np.ndarray:
    """Return a NaN score for every row of ``like``."""
    return np.full(like.shape[0], np.nan)


def ridge(x: np.ndarray, target: np.ndarray, l2: float) -> Params:
    """Minimise ``mean((x w + b - y)^2) / 2 + l2 / 2 |w|^2`` exactly (``b`` unpenalised)."""
    flat = x.reshape(x.shape[0], -1)
    mean, target_mean = flat.mean(0), target.mean()
    centred = flat - mean
    gram = centred.T @ centred / flat.shape[0] + l2 * np.eye(flat.shape[1])
    w = np.linalg.solve(gram, centred.T @ (target - target_mean) / flat.shape[0])
    return {"w": w, "b": np.array([target_mean - mean @ w])}


def fit(
    model: Model,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    x_score: np.ndarray,
    training: Training,
) -> FoldFit:
    """Train ``model`` on one fold: losses on the train and test rows, scores of ``x_score``."""

    def losses(params: Params) -> tuple[float, float]:
        train = float(loss_value(np, model.loss, model.forward(np, params, x_train), t_train))
        test = float(loss_value(np, model.loss, model.forward(np, params, x_test), t_test))
        return train, test

    if model.closed_form:
        params = ridge(x_train, t_train, training.l2)
        train, test = losses(params)
        return FoldFit(params, model.forward(np, params, x_score), [train], [test])
    params = model.init(np.random.default_rng(training.seed), training.shape)
    train_curve, test_curve = [], []
    for _ in range(training.epochs):
        train, test = losses(params)
        train_curve.append(train)
        test_curve.append(test)
        scores = model.forward(np, params, x_train)
        grads = model.backward(params, x_train, loss_gradient(model.loss, scores, t_train))
        for key in params:
            step = grads[key] + (training.l2 * params[key] if key in model.penalised else 0.0)
            params[key] = params[key] - training.learning_rate * step
    return FoldFit(params, model.forward(np, params, x_score), train_curve, test_curve)


def finish(scores: np.ndarray, device: str) -> Any:
    """Return the scores on the book's device (copied up explicitly when it is the GPU)."""
    return to_device(scores, "cpu" if device == "cpu" else "gpu", "model scores")
