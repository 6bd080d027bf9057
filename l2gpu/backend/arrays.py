"""Array namespace (NumPy or CuPy) and moves between host and device.

Nothing here imports CuPy unless an array is actually moved to, or already lives on, the GPU.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Literal

import numpy as np

from l2gpu.backend.engine import INSTALL_HINT, GpuUnavailableError, gpu_status

Device = Literal["cpu", "gpu"]


def _is_cupy_array(arr: Any) -> bool:
    return type(arr).__module__.split(".")[0] == "cupy"


def array_device(arr: Any) -> Device:
    """Return ``"gpu"`` for a CuPy array and ``"cpu"`` for anything else."""
    return "gpu" if _is_cupy_array(arr) else "cpu"


def array_namespace(arr: Any) -> ModuleType:
    """Return the module whose functions operate on ``arr``: ``numpy`` or ``cupy``."""
    if _is_cupy_array(arr):
        import cupy

        return cupy
    return np


def to_device(arr: Any, device: Device) -> Any:
    """Return ``arr`` on ``device``, copying only when it lives elsewhere.

    Parameters
    ----------
    arr : numpy.ndarray or cupy.ndarray
        The array to move.
    device : {"cpu", "gpu"}
        Where the result should live. ``"gpu"`` needs CuPy and a CUDA device; under the Numba
        simulator there is no device memory, so arrays stay NumPy.

    Returns
    -------
    numpy.ndarray or cupy.ndarray
    """
    if device == "cpu":
        return arr.get() if _is_cupy_array(arr) else arr
    if device != "gpu":
        raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'gpu'")
    if _is_cupy_array(arr):
        return arr
    status = gpu_status()
    if status.simulator:
        return arr
    if not status.has_cupy:
        raise GpuUnavailableError(
            f"cannot move arrays to the GPU: {status.reason}. To fix it, {INSTALL_HINT}."
        )
    import cupy

    return cupy.asarray(arr)


def from_dlpack(arr: Any, library: Literal["numpy", "cupy", "torch"]) -> Any:
    """Hand ``arr`` to another library through DLPack, without a copy through the host.

    Parameters
    ----------
    arr : array supporting ``__dlpack__``
        A NumPy or CuPy array (or a torch tensor).
    library : {"numpy", "cupy", "torch"}
        The consumer. torch is imported here, lazily.

    Returns
    -------
    The consumer's array type, sharing memory with ``arr``.
    """
    if library == "numpy":
        return np.from_dlpack(arr)
    if library == "cupy":
        import cupy

        return cupy.from_dlpack(arr)
    if library == "torch":
        import torch

        return torch.from_dlpack(arr)
    raise ValueError(f"unknown DLPack consumer {library!r}: expected numpy, cupy or torch")
