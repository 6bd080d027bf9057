"""A 1-D convolution over the window: ``hidden`` channels of ``kernel`` rows, ReLU, mean, linear.

``h[n, j, c] = relu(b[c] + sum_{i, f} w[i * F + f, c] * x[n, j + i, f])`` for the
``window - kernel + 1`` positions ``j``; ``s = mean_j(h) @ v + c0``. The NumPy pass gathers the
patches (``im2col``); the torch pass is ``torch.nn.functional.conv1d`` on the same weights.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from l2gpu.models.registry import MODELS, Model, Params, Shape, relu, scaled_normal


def init(rng: np.random.Generator, shape: Shape) -> Params:
    """Weights with variance ``1 / fan_in``, zero biases."""
    fan_in = shape.kernel * shape.features
    return {
        "w": scaled_normal(rng, fan_in, fan_in, shape.hidden),
        "b": np.zeros(shape.hidden),
        "v": scaled_normal(rng, shape.hidden, shape.hidden),
        "c": np.zeros(1),
    }


def _patches(x: Any, kernel: int) -> Any:
    """``[n, positions, kernel * features]``: each position's rows, time-major."""
    positions = x.shape[1] - kernel + 1
    at = np.arange(positions)[:, None] + np.arange(kernel)[None, :]
    return x[:, at, :].reshape(x.shape[0], positions, kernel * x.shape[2])


def _kernel(params: Params, features: int) -> int:
    return int(params["w"].shape[0]) // features


def forward(xp: ModuleType, params: Params, x: Any) -> Any:
    """Return the score of each row."""
    patches = _patches(x, _kernel(params, x.shape[2]))
    hidden = relu(patches @ params["w"] + params["b"])
    return hidden.mean(1) @ params["v"] + params["c"][0]


def backward(params: Params, x: np.ndarray, ds: np.ndarray) -> Params:
    """Gradients of ``sum(ds * s)``, by hand."""
    patches = _patches(x, _kernel(params, x.shape[2]))
    pre = patches @ params["w"] + params["b"]
    pooled = relu(pre).mean(1)
    dpre = (np.outer(ds, params["v"])[:, None, :] / pre.shape[1]) * (pre > 0)
    channels = pre.shape[2]
    return {
        "w": patches.reshape(-1, patches.shape[2]).T @ dpre.reshape(-1, channels),
        "b": dpre.sum((0, 1)),
        "v": pooled.T @ ds,
        "c": np.array([ds.sum()]),
    }


def torch_forward(params: Params, x: Any) -> Any:
    """Return the same score through ``torch.nn.functional.conv1d`` (channels first)."""
    import torch

    features = x.shape[2]
    kernel = _kernel(params, features)
    weight = params["w"].reshape(kernel, features, -1).permute(2, 1, 0)
    out = torch.nn.functional.conv1d(x.permute(0, 2, 1), weight, params["b"])
    return torch.relu(out).mean(2) @ params["v"] + params["c"][0]


CONV1D = MODELS.add(
    "conv1d",
    Model(
        name="conv1d",
        loss="squared",
        init=init,
        forward=forward,
        backward=backward,
        penalised=("w", "v"),
        torch_forward=torch_forward,
        doc="a 1-D convolution of `hidden` channels and `kernel` rows over the window",
    ),
)
