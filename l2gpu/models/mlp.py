"""A small MLP: one hidden ReLU layer over the flattened window, a linear score on top.

``h = relu(flatten(x) @ w1 + b1)``, ``s = h @ w2 + b2``; ``hidden`` units.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from l2gpu.models.registry import MODELS, Model, Params, Shape, relu, scaled_normal


def init(rng: np.random.Generator, shape: Shape) -> Params:
    """Weights with variance ``1 / fan_in``, zero biases."""
    inputs = shape.window * shape.features
    return {
        "w1": scaled_normal(rng, inputs, inputs, shape.hidden),
        "b1": np.zeros(shape.hidden),
        "w2": scaled_normal(rng, shape.hidden, shape.hidden),
        "b2": np.zeros(1),
    }


def forward(xp: ModuleType, params: Params, x: Any) -> Any:
    """Return the score of each row."""
    hidden = relu(x.reshape(x.shape[0], -1) @ params["w1"] + params["b1"])
    return hidden @ params["w2"] + params["b2"][0]


def backward(params: Params, x: np.ndarray, ds: np.ndarray) -> Params:
    """Gradients of ``sum(ds * s)``, by hand."""
    flat = x.reshape(x.shape[0], -1)
    pre = flat @ params["w1"] + params["b1"]
    hidden = relu(pre)
    dpre = np.outer(ds, params["w2"]) * (pre > 0)
    return {
        "w1": flat.T @ dpre,
        "b1": dpre.sum(0),
        "w2": hidden.T @ ds,
        "b2": np.array([ds.sum()]),
    }


MLP = MODELS.add(
    "mlp",
    Model(
        name="mlp",
        loss="squared",
        init=init,
        forward=forward,
        backward=backward,
        penalised=("w1", "w2"),
        doc="one hidden ReLU layer of `hidden` units over the window, trained on squared error",
    ),
)
