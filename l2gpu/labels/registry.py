"""Label families, their name grammar, and the registry the leakage guard reads.

A label name is a family followed by its parameters, joined by ``_`` as for features (see
:mod:`l2gpu.core.registry`); the first parameter of every label is its horizon. Parameter kinds:

- ``horizon``, ``window``: rows (``100``) or time (``2s``), see :class:`~l2gpu.core.spans.Window`;
- ``threshold``: ``cost`` (the round trip at the row, see ``fwd_class``) or a number of bps;
- ``barrier``: a multiple and what it multiplies, ``2spread`` or ``1.5vol``.

The families and their exact meaning are in :mod:`l2gpu.labels.families` and
``docs/semantics.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from l2gpu.core.registry import NameGrammar, ParsedName, Registry, Signature
from l2gpu.core.spans import Window

TOUCH_SUFFIX = "_touch"
_BARRIER = re.compile(r"^(\d+(?:\.\d+)?)(spread|vol)$")


def _threshold(text: str) -> float | None:
    """``None`` for ``cost``, else a threshold in bps."""
    if text == "cost":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not 'cost' or a number of bps") from None
    if not value >= 0:
        raise ValueError(f"threshold {text!r} bps must be >= 0")
    return value


def _barrier(text: str) -> tuple[float, str]:
    match = _BARRIER.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a barrier such as '2spread' or '1.5vol'")
    return float(match[1]), match[2]


@dataclass(frozen=True)
class LabelFamily:
    """A label family: its parameters, its outputs and how to compute them.

    Attributes
    ----------
    name : str
        The family name.
    signature : Signature
        Its parameters; the first is the horizon.
    compute : callable
        ``fn(ctx, *args, taker_fee_bps=...)``: one array per output, a tuple when there are
        several.
    outputs : tuple of str
        Suffixes of the columns it gives (``""`` is the label itself).
    doc : str
        First line of its docstring.
    """

    name: str
    signature: Signature
    compute: Callable[..., Any]
    outputs: tuple[str, ...]
    doc: str


LABELS: Registry[LabelFamily] = Registry("label")
GRAMMAR = NameGrammar(
    {"horizon": Window.parse, "window": Window.parse, "threshold": _threshold, "barrier": _barrier}
)


def label(
    name: str, params: tuple[str, ...], outputs: tuple[str, ...] = ("",)
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a label family computed by ``fn(ctx, *params, taker_fee_bps=...)``."""
    if not params or params[0] != "horizon":
        raise ValueError(f"label {name!r}: the first parameter must be its horizon")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        LABELS.add(name, LabelFamily(name, Signature(params), fn, outputs, doc))
        return fn

    return register


def parse_label(name: str) -> ParsedName[LabelFamily]:
    """Parse a label name; an unknown one is a ``ValueError`` listing the known forms."""
    return GRAMMAR.parse(name, LABELS)


def label_horizon(name: str) -> Window:
    """Return the horizon of the label ``name``: how far ahead it reads, rows or time."""
    horizon: Window = parse_label(name).args[0]
    return horizon


def is_label(name: str) -> bool:
    """Whether ``name`` is a label name (or a label's touch-time companion)."""
    base = name[: -len(TOUCH_SUFFIX)] if name.endswith(TOUCH_SUFFIX) else name
    try:
        parse_label(base)
    except ValueError:
        return False
    return True
