"""The array namespace of the strict simulated device: the subset of CuPy that l2gpu uses.

Every function takes device arrays (:class:`~l2gpu.backend.strict.StrictArray`) and scalars and
returns device arrays (a reduction gives a 0-d array, as in CuPy). A NumPy array among the
arguments is refused, as CuPy refuses it; the creation functions that take host data
(``asarray``, ``array``, ``ascontiguousarray``, ``asnumpy``) are explicit moves and are counted.
``searchsorted`` wants device arrays on both sides, as CuPy's does. Results of a data-dependent
size (``flatnonzero``, ``nonzero``, ``argwhere``, ``unique``) count the size sync CuPy makes.
A name CuPy has but this module lacks is an ``AttributeError`` that says where to add it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from l2gpu.backend import transfers
from l2gpu.backend.strict import StrictArray, record_size_sync, unwrap, upload, wrap

_COMPUTE = (
    "abs",
    "absolute",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "array_equal",
    "ceil",
    "clip",
    "concatenate",
    "corrcoef",
    "count_nonzero",
    "cumsum",
    "diff",
    "divide",
    "exp",
    "floor",
    "floor_divide",
    "hstack",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "log",
    "log1p",
    "logical_and",
    "logical_not",
    "logical_or",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "min",
    "minimum",
    "multiply",
    "nan_to_num",
    "percentile",
    "power",
    "prod",
    "quantile",
    "ravel",
    "reshape",
    "round",
    "sign",
    "sort",
    "sqrt",
    "square",
    "stack",
    "std",
    "subtract",
    "sum",
    "take",
    "transpose",
    "true_divide",
    "var",
    "vstack",
    "where",
)
_ALLOCATE = ("arange", "empty", "eye", "full", "linspace", "ones", "zeros")
_LIKE = ("empty_like", "full_like", "ones_like", "zeros_like")
_SIZED = ("argwhere", "flatnonzero", "nonzero", "unique")
_CONSTANTS = (
    "bool_",
    "dtype",
    "e",
    "finfo",
    "float32",
    "float64",
    "iinfo",
    "inf",
    "int8",
    "int32",
    "int64",
    "nan",
    "newaxis",
    "pi",
    "uint8",
)


def _compute(name: str) -> Callable[..., Any]:
    function = getattr(np, name)

    def call(*args: Any, **kwargs: Any) -> Any:
        what = f"xp.{name}()"
        return wrap(
            function(*unwrap(args, what), **{k: unwrap(v, what) for k, v in kwargs.items()})
        )

    call.__name__ = name
    call.__doc__ = f"``numpy.{name}`` on device arrays."
    return call


def _sized(name: str) -> Callable[..., Any]:
    compute = _compute(name)

    def call(*args: Any, **kwargs: Any) -> Any:
        record_size_sync(f"xp.{name}()")
        return compute(*args, **kwargs)

    call.__name__ = name
    return call


def _allocate(name: str) -> Callable[..., Any]:
    function = getattr(np, name)

    def call(*args: Any, **kwargs: Any) -> StrictArray:
        what = f"xp.{name}()"
        buffer = function(*unwrap(args, what), **{k: unwrap(v, what) for k, v in kwargs.items()})
        return StrictArray(np.asarray(buffer))

    call.__name__ = name
    call.__doc__ = f"``numpy.{name}`` allocating on the device (no transfer)."
    return call


def asarray(value: Any, dtype: Any = None, order: Any = None) -> StrictArray:
    """Return ``value`` on the device: itself for a device array, an upload of host data."""
    if isinstance(value, StrictArray):
        same = dtype is None or np.dtype(dtype) == value.dtype
        return value if same and order is None else wrap(np.asarray(unwrap(value, ""), dtype))
    return upload(value, None, dtype)


def array(value: Any, dtype: Any = None, copy: bool = True) -> StrictArray:
    """Return a device copy of ``value`` (an upload of host data)."""
    if isinstance(value, StrictArray):
        buffer = unwrap(value, "xp.array()")
        return StrictArray(np.array(buffer, dtype=dtype, copy=True)) if copy else asarray(value)
    return upload(value, None, dtype)


def ascontiguousarray(value: Any, dtype: Any = None) -> StrictArray:
    """Return a C-contiguous device array of ``value`` (an upload of host data)."""
    if isinstance(value, StrictArray):
        buffer = unwrap(value, "xp.ascontiguousarray()")
        out = np.ascontiguousarray(buffer, dtype=dtype)
        return value if out is buffer else StrictArray(out)
    return upload(value, None, dtype)


def asnumpy(value: Any) -> Any:
    """CuPy's explicit download: a host copy of a device array (counted)."""
    return value.get(transfers.call_site()) if isinstance(value, StrictArray) else value


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> StrictArray:
    """``numpy.searchsorted`` with both ``a`` and ``v`` on the device, as CuPy requires."""
    for name, arg in (("a", a), ("v", v)):
        if not isinstance(arg, StrictArray):
            raise NotImplementedError(
                f"searchsorted: {name} must be a device array, got {type(arg).__name__} (CuPy "
                "refuses scalars and host arrays here; upload the values first)"
            )
    sorter = unwrap(sorter, "xp.searchsorted()")
    return wrap(np.searchsorted(unwrap(a, ""), unwrap(v, ""), side=side, sorter=sorter))  # type: ignore[call-overload]


def _build() -> ModuleType:
    module = ModuleType("l2gpu.backend.strict_namespace.namespace", __doc__)
    for name in _COMPUTE:
        setattr(module, name, _compute(name))
    for name in _ALLOCATE + _LIKE:
        setattr(module, name, _allocate(name))
    for name in _SIZED:
        setattr(module, name, _sized(name))
    for name in _CONSTANTS:
        setattr(module, name, getattr(np, name))
    for function in (asarray, array, ascontiguousarray, asnumpy, searchsorted):
        setattr(module, function.__name__, function)
    module.ndarray = StrictArray  # type: ignore[attr-defined]

    def missing(name: str) -> Any:
        raise AttributeError(
            f"the strict device's namespace has no {name!r}: it models the part of CuPy l2gpu "
            "uses (add it in l2gpu.backend.strict_namespace if CuPy has it)"
        )

    module.__getattr__ = missing  # type: ignore[method-assign]
    return module


namespace = _build()
"""The module-like namespace ``array_namespace`` returns for strict device arrays."""
