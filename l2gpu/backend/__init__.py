"""Engine resolution, device detection and array moves between the CPU and the GPU."""

from l2gpu.backend.arrays import array_device, array_namespace, from_dlpack, to_device
from l2gpu.backend.engine import (
    Engine,
    GpuStatus,
    GpuUnavailableError,
    ResolvedEngine,
    gpu_status,
    resolve_engine,
)

__all__ = [
    "Engine",
    "GpuStatus",
    "GpuUnavailableError",
    "ResolvedEngine",
    "array_device",
    "array_namespace",
    "from_dlpack",
    "gpu_status",
    "resolve_engine",
    "to_device",
]
