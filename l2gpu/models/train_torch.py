"""The torch trainer (the ``[ml]`` extra): the same gradient steps, by autograd, where the data is.

Features reach torch without a host copy: a CuPy array through DLPack (``torch.from_dlpack``),
a NumPy array through ``torch.from_numpy``; the scores go back the same way. The fold's row
numbers and the starting parameters go up (drawn by NumPy from the seed, so both trainers start
alike); which rows are finite (once), the fitted parameters, the scaling and the loss curves
come down. Imported only when a model is
trained with torch: ``import l2gpu`` never loads torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from l2gpu.backend.arrays import is_device_array
from l2gpu.models.registry import Model, Params, loss_value
from l2gpu.models.train_numpy import FoldFit, Training

NAME = "torch"
xp = torch


def _tensor(values: Any) -> torch.Tensor:
    if not is_device_array(values):
        return torch.from_numpy(np.ascontiguousarray(values))
    if type(values).__module__.split(".")[0] != "cupy":
        raise ValueError(
            "model.backend: torch cannot read the simulated device's arrays; "
            "use model.backend=numpy under the simulator"
        )
    if not torch.cuda.is_available():
        raise ValueError(
            "model.backend: this torch has no CUDA, so it cannot take the GPU's features; "
            "install a CUDA build of torch, or use model.backend=numpy"
        )
    return torch.from_dlpack(values)


def prepare(x: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the inputs and label as tensors on their own device, sharing their memory."""
    return _tensor(x), _tensor(y)


def index(rows: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """Return row numbers on ``like``'s device."""
    return torch.as_tensor(rows, device=like.device)


def host(values: torch.Tensor) -> np.ndarray:
    """Return a host array of a few values (a scaling, fitted parameters)."""
    return values.detach().cpu().numpy()


def full_nan(like: torch.Tensor) -> torch.Tensor:
    """Return a NaN score for every row of ``like``, on its device."""
    return torch.full((like.shape[0],), float("nan"), dtype=torch.float64, device=like.device)


def finish(scores: torch.Tensor, device: str) -> Any:
    """Return the scores as the book's arrays (CuPy through DLPack, else NumPy), no copy."""
    if device == "gpu":
        import cupy

        return cupy.from_dlpack(scores.detach())
    return scores.detach().numpy()


def _ridge(x: torch.Tensor, target: torch.Tensor, l2: float) -> Params:
    flat = x.reshape(x.shape[0], -1)
    mean, target_mean = flat.mean(0), target.mean()
    centred = flat - mean
    eye = torch.eye(flat.shape[1], dtype=flat.dtype, device=flat.device)
    gram = centred.T @ centred / flat.shape[0] + l2 * eye
    w = torch.linalg.solve(gram, centred.T @ (target - target_mean) / flat.shape[0])
    return {"w": w, "b": (target_mean - mean @ w).reshape(1)}


def fit(
    model: Model,
    x_train: torch.Tensor,
    t_train: torch.Tensor,
    x_test: torch.Tensor,
    t_test: torch.Tensor,
    x_score: torch.Tensor,
    training: Training,
) -> FoldFit:
    """Train ``model`` on one fold and score its test rows (see the NumPy trainer)."""
    forward = model.torch_forward or (lambda p, x: model.forward(torch, p, x))
    if model.closed_form:
        fitted = _ridge(x_train, t_train, training.l2)
        train = loss_value(torch, model.loss, forward(fitted, x_train), t_train)
        test = loss_value(torch, model.loss, forward(fitted, x_test), t_test)
        curves = host(torch.stack([train, test]))
        exact = {k: host(v) for k, v in fitted.items()}
        return FoldFit(exact, forward(fitted, x_score), [float(curves[0])], [float(curves[1])])
    start = model.init(np.random.default_rng(training.seed), training.shape)
    device = x_train.device
    params: dict[str, Any] = {
        k: torch.tensor(v, device=device, requires_grad=True) for k, v in start.items()
    }
    curve = []
    for _ in range(training.epochs):
        loss = loss_value(torch, model.loss, forward(params, x_train), t_train)
        penalty = sum(0.5 * training.l2 * (params[k] ** 2).sum() for k in model.penalised)
        (loss + penalty).backward()
        with torch.no_grad():
            test = loss_value(torch, model.loss, forward(params, x_test), t_test)
            curve.append(torch.stack([loss.detach(), test]))
            for p in params.values():
                assert p.grad is not None
                p -= training.learning_rate * p.grad
                p.grad = None
    with torch.no_grad():
        scores = forward(params, x_score)
    losses = host(torch.stack(curve))
    fitted_host = {k: host(v) for k, v in params.items()}
    return FoldFit(fitted_host, scores, losses[:, 0].tolist(), losses[:, 1].tolist())
