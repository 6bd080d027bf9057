"""The model registry and what a model is: parameters, a forward pass, a loss (``docs/models.md``).

A model maps a window of standardised features ``x`` (``[n, window, features]``) to one score per
row. Its forward pass is written once against an array namespace ``xp`` (NumPy or torch: only
indexing, ``@``, ``reshape``, ``sum``/``mean`` over a positional axis and ``logaddexp``), so
torch's autograd differentiates the very function whose gradient the NumPy trainer writes out
by hand in ``backward``. ``loss`` is ``"squared"`` (the label standardised on the training
rows) or ``"logistic"`` (the label's sign, rows with a zero label left out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from l2gpu.core.registry import Registry

Params = dict[str, Any]
LOSSES = ("squared", "logistic")


@dataclass(frozen=True)
class Shape:
    """The sizes a model is built for: inputs per row, rows per window, its own sizes."""

    features: int
    window: int
    hidden: int
    kernel: int


@dataclass(frozen=True)
class Model:
    """One registered model.

    Attributes
    ----------
    name : str
        Its registry name; its score signal is ``model_<name>``.
    loss : {"squared", "logistic"}
        What it is trained to minimise (plus ``l2 / 2`` times the squared weights).
    init : callable
        ``init(rng, shape) -> Params``: the starting parameters, NumPy float64.
    forward : callable
        ``forward(xp, params, x) -> scores [n]`` for ``x`` ``[n, window, features]``.
    backward : callable
        ``backward(params, x, dscores) -> grads``: the gradient of ``sum(dscores * scores)``
        with respect to every parameter (NumPy).
    penalised : tuple of str
        The parameters the ``l2`` penalty applies to (weights, not biases).
    closed_form : bool
        Fitted exactly by its normal equations instead of gradient steps (ridge).
    torch_forward : callable, optional
        A forward pass written with torch's own layers, used by the torch trainer instead of
        ``forward`` (the tests compare the two).
    doc : str
        One line: what it is.
    """

    name: str
    loss: str
    init: Callable[[np.random.Generator, Shape], Params]
    forward: Callable[[ModuleType, Params, Any], Any]
    backward: Callable[[Params, Any, Any], Params]
    penalised: tuple[str, ...]
    doc: str
    closed_form: bool = False
    torch_forward: Callable[[Params, Any], Any] | None = None


MODELS: Registry[Model] = Registry("model")


def relu(x: Any) -> Any:
    """``max(x, 0)`` in any namespace (a product with the mask, so torch differentiates it)."""
    return x * (x > 0)


def loss_value(xp: ModuleType, kind: str, scores: Any, target: Any) -> Any:
    """Mean loss of ``scores`` against ``target``: ``(s - y)^2 / 2`` or ``softplus(s) - y s``."""
    if kind == "squared":
        return (0.5 * (scores - target) ** 2).mean()
    softplus = xp.logaddexp(scores, 0 * scores)  # smooth at 0, where autograd needs it
    return (softplus - target * scores).mean()


def loss_gradient(kind: str, scores: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Gradient of :func:`loss_value` with respect to each score (NumPy)."""
    n = scores.shape[0]
    if kind == "squared":
        return (scores - target) / n
    return (0.5 * (1.0 + np.tanh(scores / 2)) - target) / n  # the sigmoid, without overflow


def scaled_normal(rng: np.random.Generator, fan_in: int, *shape: int) -> np.ndarray:
    """Draw normals with variance ``1 / fan_in`` (float64)."""
    return rng.standard_normal(shape) / np.sqrt(fan_in)
