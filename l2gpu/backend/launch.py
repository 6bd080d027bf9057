"""Arguments of a CUDA kernel launch: device arrays as the kernel must receive them.

- a strict simulated-device array gives its buffer: the simulated kernel reads and writes the
  device's memory in place, so a launch is not a transfer (a lone argument goes in the
  simulator's own device-array wrapper, which the simulator neither copies nor writes back);
- a CuPy array (anything with ``__cuda_array_interface__``) gives a zero-copy Numba device view,
  because Numba types a tuple of arrays only when its members are Numba's own device arrays
  (numba/numba#8483); an empty one gives a new empty Numba array, since CuPy gives empty arrays
  a null pointer that the view cannot be made from (numba/numba#4140, cupy/cupy#2104);
- a tuple (a named tuple of kernel arguments) is converted member by member, keeping its type;
- anything else (a scalar, a NumPy array under the simulator) passes as it is.
"""

from __future__ import annotations

import sys
from typing import Any

_STRICT_MODULE = "l2gpu.backend.strict"


def kernel_arg(value: Any, member: bool = False) -> Any:
    """Return ``value`` as a CUDA kernel (or the simulator) must receive it (see the module doc).

    ``member`` says that ``value`` sits in a tuple argument, which the simulator passes as is.
    """
    strict = sys.modules.get(_STRICT_MODULE)
    if strict is not None and isinstance(value, strict.StrictArray):
        if member:
            return strict.kernel_buffer(value)
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

        return FakeCUDAArray(strict.kernel_buffer(value))
    if isinstance(value, tuple):
        converted = [kernel_arg(v, member=True) for v in value]
        return type(value)(*converted) if hasattr(value, "_fields") else tuple(converted)
    if hasattr(value, "__cuda_array_interface__"):
        from numba import cuda

        if value.size == 0:
            return cuda.device_array(value.shape, value.dtype)
        return cuda.as_cuda_array(value)
    return value


def kernel_args(*values: Any) -> tuple[Any, ...]:
    """:func:`kernel_arg` of each value."""
    return tuple(kernel_arg(v) for v in values)
