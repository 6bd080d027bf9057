"""The strict simulated device: arrays "on the GPU" under ``NUMBA_ENABLE_CUDASIM=1``.

Numba's simulator runs CUDA kernels on host memory, so without a stand-in every array of the GPU
route would be a NumPy array, and code that silently copies device data to the host (which CuPy
refuses, or pays for with a hidden sync) would pass the tests. A :class:`StrictArray` holds its
data in a private NumPy buffer and behaves like a CuPy array at the host boundary, only
stricter:

- refused with ``TypeError``: ``np.asarray(a)`` and every other route through ``__array__``,
  NumPy functions and ufuncs applied to it (``__array_function__`` refuses,
  ``__array_ufunc__ = None``), ``float(a)``, ``int(a)``, ``bool(a)``, ``a.__index__()`` (0-d
  included: a scalar sync must be explicit), ``a.tolist()``, iteration, ``str(a)`` and f-strings,
  pickling, DLPack, mixing a NumPy array into arithmetic, indexing or assignment;
- explicit and counted in :mod:`l2gpu.backend.transfers`: :func:`upload` (what
  ``to_device(x, "gpu")`` and ``xp.asarray(host)`` call), ``a.get()``, ``a.item()``;
- counted as implicit syncs (``explicit=False``): the size of a boolean selection and of
  ``nonzero``-like results, which CuPy fetches from the device behind the caller's back.

Its namespace (:data:`l2gpu.backend.strict_namespace.namespace`, what ``array_namespace``
returns) models the subset of CuPy l2gpu uses. Kernels launched through the ``*_cuda.py``
wrappers receive the private buffer (:func:`l2gpu.backend.launch.kernel_arg`): a launch is not a
transfer. Device memory is modelled too (:mod:`l2gpu.backend.strict_memory`): live bytes, the
peak and a capacity, so chunk sizing and memory bounds can be tested without a GPU.

This module is imported only under the simulator; on a real GPU CuPy arrays pass through
untouched. See ``docs/engines.md``.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from l2gpu.backend import transfers
from l2gpu.backend.strict_memory import track

SIZE_SYNC_BYTES = 8
"""Bytes CuPy copies back to learn a data-dependent size."""

_HINT = "move it explicitly with .get(), .item() or l2gpu.backend.to_device(a, 'cpu')"
_SCALARS = (bool, int, float, complex, np.generic)


def refuse(what: str) -> NoReturn:
    """Raise the ``TypeError`` of an implicit device-to-host conversion."""
    raise TypeError(f"{what} would copy a device array to the host implicitly; {_HINT}")


def refuse_host(what: str) -> NoReturn:
    """Raise the ``TypeError`` of host data mixed into device work."""
    raise TypeError(
        f"{what}: host data (a NumPy array or a list) mixed with device arrays is an implicit "
        "upload (CuPy refuses it in arithmetic and uploads it silently elsewhere); upload it "
        "once with l2gpu.backend.to_device(x, 'gpu')"
    )


def unwrap(value: Any, what: str) -> Any:
    """Return the buffer of a device array (sequences element by element); refuse host arrays."""
    if isinstance(value, StrictArray):
        return value._buffer
    if isinstance(value, np.ndarray):
        refuse_host(what)
    if isinstance(value, list | tuple):
        return type(value)(unwrap(v, what) for v in value)
    return value


def wrap(value: Any) -> Any:
    """Results of NumPy work on buffers, as device arrays (a NumPy scalar becomes 0-d)."""
    if isinstance(value, np.ndarray):
        return StrictArray(value)
    if isinstance(value, np.generic):
        return StrictArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(wrap(v) for v in value)
    return value


def record_size_sync(what: str) -> None:
    """Count the hidden sync CuPy makes to learn a data-dependent size."""
    transfers.record("d2h", SIZE_SYNC_BYTES, f"size of {what} ({transfers.call_site()})", False)


def upload(host: Any, label: str | None = None, dtype: Any = None) -> StrictArray:
    """Copy host data (an array, a list, a scalar) to the device, counting the bytes."""
    buffer = np.array(host, dtype=dtype, copy=True, order="C")
    transfers.record("h2d", buffer.nbytes, label)
    return StrictArray(buffer)


def _key(key: Any) -> Any:
    """Return an index for the buffer: device arrays unwrapped, host arrays and lists refused."""
    parts = key if isinstance(key, tuple) else (key,)
    for part in parts:
        if isinstance(part, np.ndarray | list):
            refuse_host("indexing a device array with host data")
        if isinstance(part, StrictArray) and part.dtype == np.bool_:
            record_size_sync("a boolean selection")
    return unwrap(key, "indexing")


def _binary(op: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[..., Any]:
    def method(self: StrictArray, other: Any) -> Any:
        value: Any
        if isinstance(other, StrictArray):
            value = other._buffer
        elif isinstance(other, np.ndarray):
            refuse_host(f"arithmetic ({op.__name__})")
        elif isinstance(other, _SCALARS):
            value = other
        else:
            return NotImplemented
        return wrap(op(value, self._buffer) if reflected else op(self._buffer, value))

    return method


def _inplace(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def method(self: StrictArray, other: Any) -> Any:
        if isinstance(other, np.ndarray):
            refuse_host(f"arithmetic ({op.__name__})")
        op(self._buffer, unwrap(other, op.__name__))
        return self

    return method


_METHODS = frozenset(
    {
        "all",
        "any",
        "argmax",
        "argmin",
        "argsort",
        "astype",
        "clip",
        "copy",
        "cumsum",
        "dot",
        "fill",
        "flatten",
        "max",
        "mean",
        "min",
        "prod",
        "ravel",
        "reshape",
        "round",
        "sort",
        "squeeze",
        "std",
        "sum",
        "swapaxes",
        "take",
        "transpose",
        "var",
        "view",
    }
)


class StrictArray:
    """A device array of the strict simulated device (see the module doc).

    Create one with :func:`upload` (or ``to_device(x, "gpu")``) or through the namespace; never
    wrap a buffer by hand outside this module.
    """

    __slots__ = ("__weakref__", "_buffer")
    __array_ufunc__ = None  # NumPy ufuncs refuse; NumPy operators defer to the methods below

    def __init__(self, buffer: np.ndarray) -> None:
        # NumPy hands back scalars for operations on 0-d arrays; CuPy keeps 0-d arrays.
        buffer = buffer if isinstance(buffer, np.ndarray) else np.asarray(buffer)
        track(buffer)
        self._buffer = buffer

    # Metadata lives on the host in CuPy too: reading it moves nothing.
    @property
    def shape(self) -> tuple[int, ...]:
        """Dimensions."""
        return self._buffer.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        """Element type."""
        return self._buffer.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._buffer.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return self._buffer.size

    @property
    def nbytes(self) -> int:
        """Bytes of the elements."""
        return self._buffer.nbytes

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._buffer.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        """Bytes between elements along each dimension."""
        return self._buffer.strides

    @property
    def flags(self) -> Any:
        """Layout flags (``c_contiguous``, ``f_contiguous``)."""
        return self._buffer.flags

    @property
    def T(self) -> StrictArray:  # noqa: N802 - the array attribute's name
        """Transposed view."""
        return StrictArray(self._buffer.T)

    def __len__(self) -> int:
        return len(self._buffer)

    def __repr__(self) -> str:
        return f"StrictArray(shape={self.shape}, dtype={self.dtype})"

    # Explicit moves, counted.
    def get(self, label: str | None = None) -> np.ndarray:
        """Copy to a new C-ordered host array (counted as a device-to-host move)."""
        transfers.record("d2h", self._buffer.nbytes, label)
        return np.array(self._buffer, copy=True, order="C")

    def item(self) -> Any:
        """Return the one element as a Python scalar (counted as a device-to-host move)."""
        if self._buffer.size != 1:
            raise ValueError(f"item() needs an array of one element, this one has {self.size}")
        transfers.record("d2h", self._buffer.itemsize, None)
        return self._buffer.item()

    # Refusals.
    def __array__(self, dtype: Any = None, copy: Any = None) -> NoReturn:
        refuse("np.asarray() (or another conversion through __array__)")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> NoReturn:
        name = getattr(func, "__name__", str(func))
        raise TypeError(
            f"numpy.{name} was given a device array; call array_namespace(a).{name} (or {_HINT})"
        )

    def __float__(self) -> NoReturn:
        refuse("float()")

    def __int__(self) -> NoReturn:
        refuse("int()")

    def __index__(self) -> NoReturn:
        refuse("using it as a Python index")

    def __complex__(self) -> NoReturn:
        refuse("complex()")

    def __bool__(self) -> NoReturn:
        refuse("bool() (an if, and, or, not, or assert on it)")

    def __iter__(self) -> NoReturn:
        refuse("iterating over it")

    def __str__(self) -> NoReturn:
        refuse("str() or an f-string")

    def __format__(self, spec: str) -> NoReturn:
        refuse("formatting it")

    def tolist(self) -> NoReturn:
        """Refused: a host list of device data is an implicit copy."""
        refuse("tolist()")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        refuse("pickling")

    def __dlpack__(self, *args: Any, **kwargs: Any) -> NoReturn:
        refuse("DLPack export from the simulated device")

    def __copy__(self) -> StrictArray:
        return StrictArray(self._buffer.copy())

    def __deepcopy__(self, memo: Any) -> StrictArray:
        return StrictArray(copy.deepcopy(self._buffer, memo))

    # Indexing.
    def __getitem__(self, key: Any) -> StrictArray:
        index = _key(key)
        out = self._buffer[index]
        if not isinstance(out, np.ndarray):
            parts = index if isinstance(index, tuple) else (index,)
            # A 0-d view, as CuPy's indexing returns (a copy where the key already has "...").
            out = (
                np.asarray(out)
                if any(p is Ellipsis for p in parts)
                else self._buffer[(*parts, Ellipsis)]
            )
        return StrictArray(out)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, np.ndarray | list):
            refuse_host("assigning host data into a device array")
        self._buffer[unwrap(key, "indexing")] = unwrap(value, "assignment")

    def __getattr__(self, name: str) -> Any:
        if name not in _METHODS:
            raise AttributeError(
                f"the strict device array has no attribute {name!r}: it models the part of "
                "CuPy that l2gpu uses (add it in l2gpu.backend.strict if CuPy has it)"
            )
        method = getattr(self._buffer, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            args = unwrap(args, f"{name}()")
            kwargs = {k: unwrap(v, f"{name}()") for k, v in kwargs.items()}
            return wrap(method(*args, **kwargs))

        return call

    # Arithmetic and comparisons: device arrays and scalars only.
    __add__ = _binary(operator.add)
    __radd__ = _binary(operator.add, reflected=True)
    __sub__ = _binary(operator.sub)
    __rsub__ = _binary(operator.sub, reflected=True)
    __mul__ = _binary(operator.mul)
    __rmul__ = _binary(operator.mul, reflected=True)
    __truediv__ = _binary(operator.truediv)
    __rtruediv__ = _binary(operator.truediv, reflected=True)
    __floordiv__ = _binary(operator.floordiv)
    __rfloordiv__ = _binary(operator.floordiv, reflected=True)
    __mod__ = _binary(operator.mod)
    __rmod__ = _binary(operator.mod, reflected=True)
    __pow__ = _binary(operator.pow)
    __rpow__ = _binary(operator.pow, reflected=True)
    __matmul__ = _binary(operator.matmul)
    __rmatmul__ = _binary(operator.matmul, reflected=True)
    __and__ = _binary(operator.and_)
    __rand__ = _binary(operator.and_, reflected=True)
    __or__ = _binary(operator.or_)
    __ror__ = _binary(operator.or_, reflected=True)
    __xor__ = _binary(operator.xor)
    __rxor__ = _binary(operator.xor, reflected=True)
    __lt__ = _binary(operator.lt)
    __le__ = _binary(operator.le)
    __gt__ = _binary(operator.gt)
    __ge__ = _binary(operator.ge)
    __eq__ = _binary(operator.eq)
    __ne__ = _binary(operator.ne)
    __hash__ = None  # type: ignore[assignment]
    __iadd__ = _inplace(operator.iadd)
    __isub__ = _inplace(operator.isub)
    __imul__ = _inplace(operator.imul)
    __itruediv__ = _inplace(operator.itruediv)
    __ifloordiv__ = _inplace(operator.ifloordiv)
    __iand__ = _inplace(operator.iand)
    __ior__ = _inplace(operator.ior)

    def __neg__(self) -> StrictArray:
        return StrictArray(-self._buffer)

    def __pos__(self) -> StrictArray:
        return StrictArray(+self._buffer)

    def __abs__(self) -> StrictArray:
        return StrictArray(abs(self._buffer))

    def __invert__(self) -> StrictArray:
        return StrictArray(~self._buffer)


def kernel_buffer(array: StrictArray) -> np.ndarray:
    """Return the buffer a simulated kernel reads and writes in place (not a transfer)."""
    return array._buffer
