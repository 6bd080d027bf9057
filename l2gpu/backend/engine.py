"""Which engine runs a computation: ``"auto"``, ``"cpu"`` or ``"gpu"``.

Detection is lazy (nothing GPU-related is imported until an engine is resolved), cached for the
life of the process, and never raises. It tries, in order:

1. ``NUMBA_ENABLE_CUDASIM=1``: Numba's CUDA simulator. CUDA kernels run on the host on NumPy
   arrays; it is for tests on tiny inputs, so ``"auto"`` never picks it, only ``"gpu"`` does.
2. CuPy: ``cupy.cuda.runtime.getDeviceCount()`` and a tiny allocation.
3. ``numba.cuda.is_available()``.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

Engine = Literal["auto", "cpu", "gpu"]
ResolvedEngine = Literal["cpu", "gpu"]
ENGINES: tuple[str, ...] = ("auto", "cpu", "gpu")

INSTALL_HINT = (
    "install the GPU extra with `pip install 'l2gpu[gpu]'` on a Linux machine with an NVIDIA GPU "
    "and driver, or use engine='cpu' (or 'auto')"
)


class GpuUnavailableError(RuntimeError):
    """``engine="gpu"`` was asked for but no usable CUDA device (or simulator) was found."""


@dataclass(frozen=True)
class GpuStatus:
    """What device detection found.

    Attributes
    ----------
    usable : bool
        CUDA kernels can run (on a device or under the simulator).
    simulator : bool
        ``NUMBA_ENABLE_CUDASIM=1``: kernels run under Numba's simulator on host arrays.
    has_cupy : bool
        CuPy imported and allocated on a device, so arrays can live in device memory.
    device_name : str
        Name of device 0, or ``""``.
    reason : str
        Why the GPU is not usable (what was missing), or ``""``.
    """

    usable: bool
    simulator: bool
    has_cupy: bool
    device_name: str
    reason: str


def _simulator_enabled() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _probe_cupy() -> tuple[bool, str, str]:
    """Return (ok, device_name, reason) for CuPy with a tiny allocation on device 0."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising anything
        return False, "", f"cupy is not importable ({type(exc).__name__}: {exc})"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return False, "", "cupy found no CUDA device"
        cupy.zeros(1).sum().item()
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return True, name.decode() if isinstance(name, bytes) else str(name), ""
    except Exception as exc:
        return False, "", f"cupy could not use a CUDA device ({type(exc).__name__}: {exc})"


def _probe_numba_cuda() -> tuple[bool, str]:
    try:
        from numba import cuda

        if cuda.is_available():
            return True, ""
        return False, "numba.cuda.is_available() is False (no driver or device)"
    except Exception as exc:
        return False, f"numba.cuda is not usable ({type(exc).__name__}: {exc})"


@functools.cache
def gpu_status() -> GpuStatus:
    """Detect the GPU once per process; never raises.

    Returns
    -------
    GpuStatus
        The detection result, cached.
    """
    if _simulator_enabled():
        return GpuStatus(True, True, False, "Numba CUDA simulator", "")
    cupy_ok, name, cupy_reason = _probe_cupy()
    numba_ok, numba_reason = _probe_numba_cuda()
    if cupy_ok and numba_ok:
        return GpuStatus(True, False, True, name, "")
    reasons = "; ".join(r for r in (cupy_reason, numba_reason) if r)
    return GpuStatus(False, False, cupy_ok, name, reasons)


@functools.cache
def _log_fallback_once(reason: str) -> None:
    log.info("engine='auto' runs on the CPU: %s", reason)


def resolve_engine(engine: str | None = None) -> ResolvedEngine:
    """Turn ``"auto" | "cpu" | "gpu"`` (``None`` means ``"auto"``) into ``"cpu"`` or ``"gpu"``.

    Parameters
    ----------
    engine : {"auto", "cpu", "gpu"} or None
        ``"auto"`` picks a real GPU when one is usable and otherwise falls back to the CPU, logging
        why once per process. ``"gpu"`` without a usable device raises.

    Returns
    -------
    {"cpu", "gpu"}

    Raises
    ------
    ValueError
        For an unknown engine name.
    GpuUnavailableError
        For ``"gpu"`` when neither a CUDA device nor the simulator is usable.
    """
    name = "auto" if engine is None else engine
    if name not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if name == "cpu":
        return "cpu"
    status = gpu_status()
    if name == "gpu":
        if not status.usable:
            raise GpuUnavailableError(
                f"engine='gpu' but no usable CUDA device: {status.reason}. "
                f"To fix it, {INSTALL_HINT}."
            )
        return "gpu"
    if status.usable and not status.simulator:
        return "gpu"
    _log_fallback_once(status.reason or "the CUDA simulator is on; ask for engine='gpu' to use it")
    return "cpu"
