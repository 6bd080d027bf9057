"""Kernel sources, single-source for the CPU and CUDA (``docs/kernels.md``).

Each module holds a factory ``make_*_ops(jit)`` with the scalar body, its CPU driver
(``numba.njit(parallel=True)`` with ``prange`` over independent paths) and a lazily built CUDA
driver (one thread per path). Import as ``l2gpu.kernels.<module>``.
"""
