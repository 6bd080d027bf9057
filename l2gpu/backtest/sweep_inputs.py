"""The sweep drivers' bundled inputs, built in one place, where the book lives.

:func:`book_arrays` gives the :class:`~l2gpu.kernels.sweep_args.BookArrays` of a book (``mid``
and each row's Sharpe bucket computed once for all configs, on the book's device) and
:func:`signal_matrix` the ``[S, T]`` float64 signal matrix on the same device. The state and
output bundles are allocated by the drivers (:mod:`l2gpu.backtest.cpu_driver`,
:mod:`l2gpu.backtest.gpu_driver`) on the device they run on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from l2gpu.backend.arrays import Device, array_namespace, to_device
from l2gpu.data.book import Book
from l2gpu.kernels.sweep_args import BookArrays
from l2gpu.kernels.sweep_cpu import row_inputs_cpu


def book_arrays(book: Book, bucket_ns: int) -> BookArrays:
    """Per-row inputs of the sweep on the book's device.

    Parameters
    ----------
    book : Book
        A book with at least one row.
    bucket_ns : int
        Length of a Sharpe bucket, ns; row ``t`` falls in bucket ``(ts_t - ts_0) // bucket_ns``.
    """
    first_ns, _ = book.span_ns()
    if isinstance(book.ts, np.ndarray):  # one compiled pass on the host
        rows = book.ts.shape[0]
        mid, row_bucket = np.empty(rows), np.empty(rows, np.int64)
        row_inputs_cpu(
            book.ts, book.bid_px[0], book.ask_px[0], first_ns, bucket_ns, mid, row_bucket
        )
    else:
        mid = (book.bid_px[0] + book.ask_px[0]) * 0.5
        row_bucket = (book.ts - first_ns) // bucket_ns
    return BookArrays(
        book.ts,
        mid,
        row_bucket,
        book.bid_px,
        book.bid_sz,
        book.ask_px,
        book.ask_sz,
    )


def signal_matrix(signals: Mapping[str, Any], rows: int, device: Device) -> tuple[list[str], Any]:
    """Stack the signals into a float64 ``[S, T]`` matrix on ``device``; return names and matrix.

    A signal elsewhere is moved once (counted in the transfer ledger); one of another length is
    a ``ValueError`` naming it.
    """
    if not signals:
        raise ValueError("sweep needs at least one signal")
    names = list(signals)
    columns = []
    for name in names:
        moved = to_device(signals[name], device, f"signal {name}")
        xp = array_namespace(moved)
        values = xp.asarray(moved, dtype=xp.float64)
        if values.shape != (rows,):
            raise ValueError(f"signal {name!r} has shape {values.shape}, the book has {rows} rows")
        columns.append(values)
    if device == "cpu":
        matrix = np.empty((len(names), rows))
        for i, values in enumerate(columns):
            matrix[i] = values
        return names, matrix
    return names, array_namespace(columns[0]).stack(columns)
