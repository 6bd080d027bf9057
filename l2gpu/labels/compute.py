"""``compute()``: labels by name (the families are in :mod:`l2gpu.labels.families`).

Labels read the future on purpose: they are targets, never inputs (see :mod:`l2gpu.labels.guard`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from l2gpu.backend.arrays import to_device
from l2gpu.data.book import Book
from l2gpu.features import FeatureContext
from l2gpu.labels.registry import parse_label

DEFAULT_TAKER_FEE_BPS = 5.0


def compute(
    book: Book,
    names: Iterable[str],
    engine: str | None = None,
    taker_fee_bps: float = DEFAULT_TAKER_FEE_BPS,
) -> dict[str, Any]:
    """Compute labels by name.

    Parameters
    ----------
    book : Book
        The book; results come back on its device.
    names : iterable of str
        Label names, see :mod:`l2gpu.labels.families`.
    engine : {"auto", "cpu", "gpu"} or None
        Where the work runs.
    taker_fee_bps : float
        Taker fee per side, bps, for ``fwd_class_<h>_cost``.

    Returns
    -------
    dict of str to array
        ``[T]`` float64 per name (NaN where undefined); a triple-barrier name also gives
        ``<name>_touch``, int64 ns (-1 where undefined).
    """
    specs = [parse_label(name) for name in names]
    ctx = FeatureContext.for_book(book, engine)
    out: dict[str, Any] = {}
    for spec in specs:
        family = spec.entry
        values = family.compute(ctx, *spec.args, taker_fee_bps=taker_fee_bps)
        columns = values if len(family.outputs) > 1 else (values,)
        for suffix, column in zip(family.outputs, columns, strict=True):
            out[spec.name + suffix] = column
    return {name: to_device(values, book.device) for name, values in out.items()}
