"""The strict simulated device's memory: bytes held by live device arrays, their peak, a capacity.

Each device array's root allocation is counted once, from its creation until it is collected
(views share their parent's). An allocation past the capacity raises
:class:`DeviceMemoryError`, as CuPy raises ``OutOfMemoryError``; ``free_device_bytes()`` reads
what is left under the simulator. See :mod:`l2gpu.backend.strict`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

DEFAULT_CAPACITY = 16 * 2**30
"""Simulated device memory, bytes (an H100 has 80 GiB; small enough to notice a runaway)."""


class DeviceMemoryError(MemoryError):
    """An allocation on the simulated device exceeds its capacity (CuPy's OutOfMemoryError)."""


@dataclass
class DeviceMemory:
    """Bytes held by live device arrays, their peak, and the simulated capacity."""

    capacity: int = DEFAULT_CAPACITY
    live: int = 0
    peak: int = 0

    @property
    def free(self) -> int:
        """Capacity left, bytes."""
        return max(self.capacity - self.live, 0)

    def reset_peak(self) -> None:
        """Start measuring the peak from the bytes live now."""
        self.peak = self.live


_MEMORY = DeviceMemory()
_TRACKED: dict[int, int] = {}


def memory() -> DeviceMemory:
    """Return the simulated device's memory account."""
    return _MEMORY


@contextmanager
def capacity(nbytes: int) -> Iterator[DeviceMemory]:
    """Shrink (or grow) the simulated device to ``nbytes`` inside the ``with`` block."""
    before = _MEMORY.capacity
    _MEMORY.capacity = int(nbytes)
    try:
        yield _MEMORY
    finally:
        _MEMORY.capacity = before


def _release(key: int, nbytes: int) -> None:
    if _TRACKED.pop(key, None) is not None:
        _MEMORY.live -= nbytes


def track(buffer: np.ndarray) -> None:
    """Count the memory of ``buffer``'s root allocation once, until it is collected."""
    root = buffer
    while isinstance(root.base, np.ndarray):
        root = root.base
    key = id(root)
    if key in _TRACKED:
        return
    if _MEMORY.live + root.nbytes > _MEMORY.capacity:
        raise DeviceMemoryError(
            f"out of simulated device memory: allocating {root.nbytes:,} bytes with "
            f"{_MEMORY.live:,} of {_MEMORY.capacity:,} in use"
        )
    _TRACKED[key] = root.nbytes
    _MEMORY.live += root.nbytes
    _MEMORY.peak = max(_MEMORY.peak, _MEMORY.live)
    weakref.finalize(root, _release, key, root.nbytes)
