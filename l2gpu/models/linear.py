"""The linear score shared by logistic and ridge regression: ``s = flatten(x) @ w + b``."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from l2gpu.models.registry import Params, Shape


def init(rng: np.random.Generator, shape: Shape) -> Params:
    """Zero weights (one per feature and window row) and a zero bias."""
    return {"w": np.zeros(shape.window * shape.features), "b": np.zeros(1)}


def forward(xp: ModuleType, params: Params, x: Any) -> Any:
    """``s = x.reshape(n, -1) @ w + b``."""
    return x.reshape(x.shape[0], -1) @ params["w"] + params["b"][0]


def backward(params: Params, x: np.ndarray, ds: np.ndarray) -> Params:
    """Gradients of ``sum(ds * s)``."""
    flat = x.reshape(x.shape[0], -1)
    return {"w": flat.T @ ds, "b": np.array([ds.sum()])}
