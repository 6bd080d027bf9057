"""The rows a model sees: standardised feature windows and its target, in any array namespace.

Inputs are standardised with the mean and standard deviation of the fold's training rows (a
constant input keeps a scale of 1); the window of row ``t`` is rows ``t - window + 1 .. t``.
The target is the label standardised the same way (squared loss) or ``1.0`` where the label is
positive and ``0.0`` where it is negative (logistic loss; zero labels are never trained on).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Scaling:
    """A fold's standardisation: per-input mean and scale, and the target's (host float64)."""

    mean: np.ndarray
    scale: np.ndarray
    target_mean: float
    target_scale: float


def fit_scaling(
    xp: ModuleType, x: Any, y: Any, train: Any, loss: str, host: Any
) -> tuple[Any, Any, Scaling]:
    """Return the standardised inputs ``[T, F]``, the target ``[T]`` and the scaling.

    Parameters
    ----------
    xp : module
        NumPy or torch.
    x, y : arrays
        All rows' inputs ``[T, F]`` and label ``[T]``, in ``xp``.
    train : index array
        The training rows (in ``xp``'s index type).
    loss : {"squared", "logistic"}
        Which target.
    host : callable
        Moves a small array to a host NumPy array (the scaling, a few numbers).
    """
    mean = x[train].mean(0)
    scale = xp.sqrt(((x[train] - mean) ** 2).mean(0))
    scale = xp.where(scale > 0, scale, 1.0)
    standard = (x - mean) / scale
    if loss == "logistic":
        target, y_mean, y_scale = (y > 0) * 1.0, 0.0, 1.0
    else:
        y_mean_a = y[train].mean()
        y_scale_a = xp.sqrt(((y[train] - y_mean_a) ** 2).mean())
        y_mean, y_scale = float(host(y_mean_a)), float(host(y_scale_a))
        y_scale = y_scale if y_scale > 0 else 1.0
        target = (y - y_mean) / y_scale
    return standard, target, Scaling(host(mean), host(scale), y_mean, y_scale)


def window_index(rows: np.ndarray, window: int) -> np.ndarray:
    """``[n, window]`` row numbers of each row's window, oldest first (host int64)."""
    return rows[:, None] + np.arange(1 - window, 1)[None, :]


def valid_inputs(finite: np.ndarray, window: int) -> np.ndarray:
    """Rows whose whole window exists and is finite (``finite``: rows with every input finite)."""
    bad = np.concatenate([[0], np.cumsum(~finite)])
    rows = np.arange(finite.shape[0])
    start = rows - window + 1
    ok = start >= 0
    return ok & (bad[rows + 1] - bad[np.maximum(start, 0)] == 0)
