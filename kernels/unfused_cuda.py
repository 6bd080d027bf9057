"""CUDA twin of :mod:`l2gpu.kernels.unfused`: ``__dmul_rn``, a product NVVM never fuses.

Under Numba's simulator (Python arithmetic, nothing is fused) the product is a plain one.
"""

from __future__ import annotations

from numba import cuda
from numba.core import config

if config.ENABLE_CUDASIM:  # type: ignore[attr-defined]  # read from the environment by numba

    @cuda.jit(device=True)
    def mul_cuda(a, b):
        """Return ``a * b`` (the simulator runs Python arithmetic)."""
        return a * b

else:
    from numba.cuda import libdevice

    @cuda.jit(device=True)
    def mul_cuda(a, b):
        """Return ``a * b`` rounded to nearest, never contracted into a multiply-add."""
        return libdevice.dmul_rn(a, b)
