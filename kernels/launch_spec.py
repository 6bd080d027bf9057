"""What each CUDA kernel is launched with: argument types, block size and register budget.

Beside every ``@cuda.jit`` kernel of ``kernels/*_cuda.py`` stands one :class:`LaunchSpec`, e.g.::

    SWEEP_LAUNCH = LaunchSpec(
        "_sweep_kernel",
        (I64_1D, F64_1D, F64_2D, ...),  # exactly as its driver passes them
        register_budget=64,
    )

``make gpu-compile`` compiles each kernel offline with these types (``tools/gpu_compile.py``) and
fails on a compile error, on spills or stack use, on more registers than the budget and, unless
``allow_fma`` says why, on fused multiply-adds. ``tests/kernels/test_launch_types.py`` records the
types of every launch under the simulator and compares them with the declaration, so a driver
change that forgets the declaration fails CI. The format is documented in ``docs/gpu.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numba import types
from numba.np.numpy_support import from_dtype

from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK

F64 = types.float64
I64 = types.int64
F64_1D = types.Array(types.float64, 1, "C")
F64_2D = types.Array(types.float64, 2, "C")
I64_1D = types.Array(types.int64, 1, "C")
I64_2D = types.Array(types.int64, 2, "C")
F64_3D = types.Array(types.float64, 3, "C")
I64_3D = types.Array(types.int64, 3, "C")
BOOL_1D = types.Array(types.boolean, 1, "C")


def named_tuple(cls: type, *members: Any) -> Any:
    """Return the numba type of a named tuple of class ``cls`` with member types ``members``."""
    return types.BaseTuple.from_types(list(members), cls)


@dataclass(frozen=True)
class LaunchSpec:
    """The launch of one ``@cuda.jit`` kernel, as its driver makes it.

    Attributes
    ----------
    kernel : str
        Name of the kernel in its module.
    arg_types : tuple of numba types
        The type of each argument, in order: what :func:`arg_type` gives for the values the
        driver passes (C-contiguous arrays are ``F64_2D`` and the like; a Python int is ``I64``,
        a float ``F64``; a tuple of arrays is ``types.UniTuple(F64_2D, 4)`` or ``types.Tuple``,
        a named tuple :func:`named_tuple` of its class and member types).
    register_budget : int
        Registers per thread the kernel may use (what ``ptxas`` reports must not exceed it).
    threads_per_block : int
        Block size of the launch, for the occupancy in the compile table.
    allow_fma : str
        Empty: the kernel must contain no fused multiply-add (its results must match the CPU's
        bit for bit). Otherwise the reason fused ones are acceptable.
    """

    kernel: str
    arg_types: tuple[Any, ...]
    register_budget: int
    threads_per_block: int = DEFAULT_THREADS_PER_BLOCK
    allow_fma: str = ""


def arg_type(value: Any) -> Any:
    """Return the numba type a CUDA launch gives ``value``.

    NumPy arrays and scalars as :func:`numba.typeof` types them; objects exposing
    ``__cuda_array_interface__`` (CuPy, Numba device arrays) by their dtype, shape and strides;
    tuples element by element.
    """
    if isinstance(value, tuple):
        named = type(value) if hasattr(value, "_fields") else None
        return types.BaseTuple.from_types([arg_type(v) for v in value], named)
    interface = getattr(value, "__cuda_array_interface__", None)
    if interface is not None and not isinstance(value, np.ndarray):
        dtype = np.dtype(interface["typestr"])
        shape = tuple(interface["shape"])
        strides = interface.get("strides")
        layout: Literal["C", "F", "A"] = "C"
        if strides is not None:
            layout = _layout(shape, tuple(strides), dtype.itemsize)
        readonly = bool(interface["data"][1])
        return types.Array(from_dtype(dtype), len(shape), layout, readonly=readonly)
    from numba import typeof

    return typeof(value)


def _contiguous_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Strides in bytes of a C-contiguous array of ``shape``."""
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


def _layout(
    shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int
) -> Literal["C", "F", "A"]:
    """``"C"``, ``"F"`` or ``"A"`` for explicit strides (in bytes)."""
    if strides == _contiguous_strides(shape, itemsize):
        return "C"
    if strides == tuple(reversed(_contiguous_strides(shape[::-1], itemsize))):
        return "F"
    return "A"
