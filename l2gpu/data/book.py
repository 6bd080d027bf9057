"""``Book``: the order book as columnar arrays on one device (``docs/engines.md``).

Times are ``ts``, ``local_ts`` and ``seq``, each ``[T]`` int64. Levels are four level-major
``[K, T]`` float64 arrays, C-contiguous, so a thread per row reads ``bid_px[k, t]`` across adjacent
``t`` and a thread per config reads one row shared by its block. A missing level has price NaN and
size 0.

A book on the GPU also keeps its timestamps on the host (:meth:`Book.host_ts`): taken for free
when the book was uploaded from the host, else downloaded once. Time bounds, row ranges and
folds are found there, so slicing a device book or reading its span moves nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from l2gpu.backend.arrays import Device, array_device, array_namespace, to_device
from l2gpu.data.schema import SIDES, TIME_COLUMNS
from l2gpu.version import __version__


@dataclass(frozen=True)
class BookMeta:
    """Provenance of a book, stored as Parquet key-value metadata (``l2gpu.*``)."""

    source: str = ""
    exchange: str = ""
    symbol: str = ""
    tick_size: str = ""
    input_sha256: str = ""
    version: str = __version__


@dataclass(frozen=True, eq=False)
class Book:
    """Top ``K`` levels of an order book after each book-changing event, on one device.

    Attributes
    ----------
    ts : array of int64, shape [T]
        Exchange time, ns since the Unix epoch (UTC); non-decreasing.
    local_ts : array of int64, shape [T]
        Receive time, ns (equals ``ts`` where the source has none).
    seq : array of int64, shape [T]
        The source's sequence number of the event.
    bid_px, bid_sz, ask_px, ask_sz : array of float64, shape [K, T]
        Level ``k`` at row ``t``; level 0 is the best. Prices in quote currency, sizes in
        base units.
    meta : BookMeta
        Provenance.
    """

    ts: Any
    local_ts: Any
    seq: Any
    bid_px: Any
    bid_sz: Any
    ask_px: Any
    ask_sz: Any
    meta: BookMeta = field(default_factory=BookMeta)
    _host_ts: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        xp = array_namespace(self.ts)
        rows = self.ts.shape[0] if self.ts.ndim == 1 else -1
        for name in TIME_COLUMNS:
            arr = getattr(self, name)
            if arr.ndim != 1 or arr.shape[0] != rows or arr.dtype != np.int64:
                raise ValueError(
                    f"Book.{name} must be int64 of shape [{rows}], got {arr.dtype}{list(arr.shape)}"
                )
        depth = self.bid_px.shape[0] if self.bid_px.ndim == 2 else -1
        for name in SIDES:
            arr = getattr(self, name)
            if arr.ndim != 2 or arr.shape != (depth, rows) or arr.dtype != np.float64:
                raise ValueError(
                    f"Book.{name} must be float64 of shape [{depth}, {rows}], got "
                    f"{arr.dtype}{list(arr.shape)}"
                )
        devices = {array_device(getattr(self, n)) for n in (*TIME_COLUMNS, *SIDES)}
        if len(devices) != 1:
            raise ValueError(f"Book arrays live on several devices: {sorted(devices)}")
        for name in (*TIME_COLUMNS, *SIDES):
            object.__setattr__(self, name, xp.ascontiguousarray(getattr(self, name)))
        object.__setattr__(self, "_host_ts", self.ts if self.device == "cpu" else None)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def depth(self) -> int:
        """Number of levels per side, ``K``."""
        return int(self.bid_px.shape[0])

    @property
    def device(self) -> Device:
        """``"cpu"`` (NumPy arrays) or ``"gpu"`` (CuPy arrays)."""
        return array_device(self.ts)

    def host_ts(self) -> np.ndarray:
        """Return ``ts`` on the host, int64 ``[T]`` ns (do not modify it).

        On the CPU it is ``ts`` itself. On the GPU it is the host copy kept when the book was
        uploaded (or sliced from one that had it), else one download made now and kept.
        """
        host = self._host_ts
        if host is None:
            host = to_device(self.ts, "cpu", "Book.host_ts")
            object.__setattr__(self, "_host_ts", host)
        return host

    def span_ns(self) -> tuple[int, int]:
        """Return the first and last ``ts`` (ns) from :meth:`host_ts`; the book must have rows."""
        if len(self) == 0:
            raise ValueError("the book is empty")
        ts = self.host_ts()
        return int(ts[0]), int(ts[-1])

    def _with_host_ts(self, host_ts: np.ndarray | None) -> Book:
        if host_ts is not None and self._host_ts is None:
            object.__setattr__(self, "_host_ts", host_ts)
        return self

    def arrays(self) -> dict[str, Any]:
        """Return the seven arrays by name, time columns first."""
        return {name: getattr(self, name) for name in (*TIME_COLUMNS, *SIDES)}

    def to(self, device: Device, label: str = "Book") -> Book:
        """Return this book on ``device`` (itself when it is already there).

        Each array's move is recorded in the transfer ledger as ``<label>.<array>``.
        """
        if device == self.device:
            return self
        moved = {
            name: to_device(arr, device, f"{label}.{name}") for name, arr in self.arrays().items()
        }
        return dataclasses.replace(self, **moved)._with_host_ts(self._host_ts)

    def __getitem__(self, rows: slice) -> Book:
        """Return rows ``rows`` (a slice with step 1) as a new, contiguous book."""
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            raise TypeError("a Book is sliced by a row range with step 1, e.g. book[100:200]")
        cut = {name: getattr(self, name)[rows] for name in TIME_COLUMNS}
        cut.update({name: getattr(self, name)[:, rows] for name in SIDES})
        host_ts = None if self._host_ts is None else self._host_ts[rows]
        return dataclasses.replace(self, **cut)._with_host_ts(host_ts)

    def between(self, start_ns: int | None = None, end_ns: int | None = None) -> Book:
        """Return the rows with ``start_ns <= ts < end_ns`` (either bound may be ``None``).

        Parameters
        ----------
        start_ns, end_ns : int or None
            Exchange-time bounds in ns since the Unix epoch.
        """
        ts = self.host_ts()
        lo = 0 if start_ns is None else int(np.searchsorted(ts, start_ns, side="left"))
        hi = len(self) if end_ns is None else int(np.searchsorted(ts, end_ns, side="left"))
        return self[lo : max(lo, hi)]

    def crossed_rows(self) -> Any:
        """Return the row indices where the best bid is at or above the best ask."""
        xp = array_namespace(self.ts)
        return xp.flatnonzero(self.bid_px[0] >= self.ask_px[0]) if self.depth else xp.zeros(0, int)

    def write(self, path: str | Path) -> Path:
        """Write this book to a Parquet book store (see :func:`l2gpu.data.write_book`)."""
        from l2gpu.data.store import write_book

        return write_book(self, path)

    @classmethod
    def concat(cls, books: Sequence[Book]) -> Book:
        """Join books of equal depth end to end; the first book's metadata is kept."""
        if not books:
            raise ValueError("Book.concat needs at least one book")
        xp = array_namespace(books[0].ts)
        parts: dict[str, Any] = {}
        for name in TIME_COLUMNS:
            parts[name] = xp.concatenate([getattr(b, name) for b in books])
        for name in SIDES:
            parts[name] = xp.concatenate([getattr(b, name) for b in books], axis=1)
        return cls(**parts, meta=books[0].meta)
