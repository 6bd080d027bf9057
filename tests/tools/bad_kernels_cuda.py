"""Kernels with one defect each, for the tests of ``tools/gpu_compile.py`` (never launched)."""

from numba import cuda, float64

from l2gpu.kernels.launch_spec import F64, F64_1D, I64_1D, LaunchSpec

FUSED_LAUNCH = LaunchSpec("fused", (F64_1D, F64_1D, F64_1D), register_budget=64)


@cuda.jit
def fused(a, b, out):
    i = cuda.grid(1)
    if i < out.shape[0]:
        out[i] = a[i] * b[i] + out[i]


# Declares a scalar where the kernel indexes an array: a typing error.
WRONG_TYPES_LAUNCH = LaunchSpec("wrong_types", (F64, F64_1D), register_budget=64)


@cuda.jit
def wrong_types(a, out):
    i = cuda.grid(1)
    if i < out.shape[0]:
        out[i] = a[i]


OVER_BUDGET_LAUNCH = LaunchSpec("over_budget", (F64_1D,), register_budget=2)


@cuda.jit
def over_budget(out):
    i = cuda.grid(1)
    if i < out.shape[0]:
        out[i] = i * 0.5


STACK_LAUNCH = LaunchSpec("uses_stack", (F64_1D, I64_1D), register_budget=255)


@cuda.jit
def uses_stack(out, index):
    scratch = cuda.local.array(64, float64)
    for k in range(64):
        scratch[k] = out[k]
    i = cuda.grid(1)
    if i < out.shape[0]:
        out[i] = scratch[index[i] % 64]


@cuda.jit
def undeclared(out):
    out[0] = 1.0
