"""Array namespace (NumPy or CuPy) and the moves between host and device, counted.

Nothing here imports CuPy unless an array is actually moved to, or already lives on, the GPU.
Under Numba's simulator (``NUMBA_ENABLE_CUDASIM=1``) the GPU is the strict simulated device of
:mod:`l2gpu.backend.strict`, imported only then. Every move made here is counted in
:mod:`l2gpu.backend.transfers` (see ``docs/engines.md``).
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any, Literal

import numpy as np

from l2gpu.backend import transfers
from l2gpu.backend.engine import INSTALL_HINT, GpuUnavailableError, gpu_status

Device = Literal["cpu", "gpu"]
_STRICT_MODULE = "l2gpu.backend.strict"


def _is_cupy_array(arr: Any) -> bool:
    return type(arr).__module__.split(".")[0] == "cupy"


def _is_strict_array(arr: Any) -> bool:
    return type(arr).__module__ == _STRICT_MODULE


def is_device_array(arr: Any) -> bool:
    """Whether ``arr`` lives on the GPU: a CuPy array, or a strict simulated-device array."""
    return _is_cupy_array(arr) or _is_strict_array(arr)


def array_device(arr: Any) -> Device:
    """Return ``"gpu"`` for a device array and ``"cpu"`` for anything else."""
    return "gpu" if is_device_array(arr) else "cpu"


def array_namespace(arr: Any) -> ModuleType:
    """Return the module whose functions operate on ``arr``: NumPy, CuPy or the strict device's."""
    if _is_strict_array(arr):
        from l2gpu.backend.strict_namespace import namespace

        return namespace
    if _is_cupy_array(arr):
        import cupy

        return cupy
    return np


def to_device(arr: Any, device: Device, label: str | None = None) -> Any:
    """Return ``arr`` on ``device``, copying (and counting the copy) only when it lives elsewhere.

    Parameters
    ----------
    arr : numpy.ndarray, cupy.ndarray, a strict device array, or a scalar
        The array to move.
    device : {"cpu", "gpu"}
        Where the result should live. ``"gpu"`` needs CuPy and a CUDA device, or the simulator
        (where it gives a strict device array).
    label : str, optional
        What the move is, for the transfer ledger; default: the caller's file and line.

    Returns
    -------
    numpy.ndarray, cupy.ndarray or a strict device array
    """
    if device == "cpu":
        if _is_strict_array(arr):
            return arr.get(label or transfers.call_site())
        if _is_cupy_array(arr):
            transfers.record("d2h", arr.nbytes, label)
            return arr.get()
        return arr
    if device != "gpu":
        raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'gpu'")
    if is_device_array(arr):
        return arr
    status = gpu_status()
    if status.simulator:
        from l2gpu.backend.strict import upload

        return upload(arr, label or transfers.call_site())
    if not status.has_cupy:
        raise GpuUnavailableError(
            f"cannot move arrays to the GPU: {status.reason}. To fix it, {INSTALL_HINT}."
        )
    import cupy

    moved = cupy.asarray(arr)
    transfers.record("h2d", moved.nbytes, label)
    return moved


def synchronize() -> None:
    """Wait until the GPU has finished all queued work (nothing to wait for elsewhere)."""
    if "cupy" not in sys.modules or gpu_status().simulator:
        return
    import cupy

    cupy.cuda.runtime.deviceSynchronize()


def free_device_bytes() -> int:
    """Device memory a new allocation can use now, bytes.

    The driver's free memory plus what CuPy's pool holds unused; under the simulator, the strict
    device's capacity left.
    """
    if gpu_status().simulator:
        from l2gpu.backend.strict_memory import memory

        return memory().free
    import cupy

    free, _ = cupy.cuda.runtime.memGetInfo()
    return int(free) + int(cupy.get_default_memory_pool().free_bytes())


SIMULATED_MULTIPROCESSORS = 132
"""What :func:`multiprocessors` says under the simulator: an H100's or H200's count."""


def multiprocessors() -> int:
    """Streaming multiprocessors of the GPU (:data:`SIMULATED_MULTIPROCESSORS` when simulated)."""
    if gpu_status().simulator:
        return SIMULATED_MULTIPROCESSORS
    import cupy

    return int(cupy.cuda.Device().attributes["MultiProcessorCount"])


def from_dlpack(arr: Any, library: Literal["numpy", "cupy", "torch"]) -> Any:
    """Hand ``arr`` to another library through DLPack, without a copy through the host.

    Parameters
    ----------
    arr : array supporting ``__dlpack__``
        A NumPy or CuPy array (or a torch tensor). A strict simulated-device array goes to
        ``"cupy"`` as itself and is refused by NumPy and torch (it has no real device memory).
    library : {"numpy", "cupy", "torch"}
        The consumer. torch is imported here, lazily.

    Returns
    -------
    The consumer's array type, sharing memory with ``arr``.
    """
    if library == "cupy" and _is_strict_array(arr):
        return arr
    if library == "numpy":
        return np.from_dlpack(arr)
    if library == "cupy":
        import cupy

        return cupy.from_dlpack(arr)
    if library == "torch":
        import torch

        return torch.from_dlpack(arr)
    raise ValueError(f"unknown DLPack consumer {library!r}: expected numpy, cupy or torch")
