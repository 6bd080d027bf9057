"""Products that are never fused into a multiply-add, so that both targets round alike.

NVVM contracts ``a * b + c`` into one fused multiply-add (``fma.rn.f64``, rounded once) even
without fastmath, while the CPU rounds the product and then the sum. Money and the decisions
taken on it (a round trip netting exactly zero, a fill price equal to a stop level) would then
differ in the last bits between the engines. Factories that must agree bit for bit take the
product as ``mul(a, b)``: :data:`mul_cpu` here (a plain product, what the CPU always did) or
``mul_cuda`` in :mod:`l2gpu.kernels.unfused_cuda` (``__dmul_rn``, which NVVM never fuses). See
``docs/gpu.md``.
"""

from __future__ import annotations

from l2gpu.kernels.jit import cpu_device_jit


@cpu_device_jit
def mul_cpu(a, b):
    """Return ``a * b`` rounded to float64 (the CPU never fuses it into an addition)."""
    return a * b
