"""Engine resolution, device detection, array moves between the CPU and the GPU, and their ledger.

See ``docs/engines.md``: what lives where, the strict simulated device and the transfer ledger.
"""

from l2gpu.backend import transfers
from l2gpu.backend.arrays import (
    array_device,
    array_namespace,
    free_device_bytes,
    from_dlpack,
    is_device_array,
    synchronize,
    to_device,
)
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
    "free_device_bytes",
    "from_dlpack",
    "gpu_status",
    "is_device_array",
    "resolve_engine",
    "synchronize",
    "to_device",
    "transfers",
]
