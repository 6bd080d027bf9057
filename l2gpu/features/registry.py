"""Feature families, their name grammar, and the per-call context that shares passes.

Families live in :data:`FAMILIES`, a :class:`~l2gpu.core.registry.Registry`; a family module
registers each with :func:`family`. A feature name is a family followed by its parameters,
joined by ``_``: ``ofi_2s``, ``imbalance_5_decay0.5``, ``impact_buy_0.5``. Parameters are parsed
by kind:

- ``levels``: a positive integer number of book levels;
- ``window``: rows (``100``) or time (``2s``, ``250ms``), see :class:`Window`;
- ``size``: a positive taker size in base units;
- optional, prefixed: ``decay<x>`` (level weights ``x**i``), ``bin<x>`` (a price bin, quote).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from l2gpu.backend.arrays import array_namespace
from l2gpu.backend.engine import resolve_engine
from l2gpu.backend.threads import side_by_side
from l2gpu.core.registry import NameGrammar, ParamParser, ParsedName, Registry, Signature
from l2gpu.core.spans import Window
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.features.rolling import prefix_sum, window_starts


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{text!r} is not a positive whole number of levels")
    return int(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not value > 0:
        raise ValueError(f"{text!r} must be positive")
    return value


PARSERS: dict[str, ParamParser] = {
    "levels": _positive_int,
    "window": Window.parse,
    "size": _positive_float,
}
OPTIONAL_PARSERS: dict[str, ParamParser] = {"decay": _positive_float, "bin": _positive_float}


@dataclass
class FeatureContext:
    """What a family computes from: the book on the engine's device, trades, shared passes.

    ``planned`` holds every name of the :func:`~l2gpu.features.compute` call, so that a pass
    shared by several names (:mod:`l2gpu.features.book_pass`) computes them all at once.
    ``out`` is the call's ``[F, T]`` feature matrix where its kernels write into it, with
    ``out_rows`` its rows and ``destinations`` mapping a planned feature (:func:`result_key`)
    to the row its kernel writes (:meth:`claim`, :meth:`result`).
    """

    book: Book
    xp: ModuleType
    engine: str
    trades: Trades | None
    cache: dict[Any, Any] = field(default_factory=dict)
    planned: tuple[ParsedName[Any], ...] = ()
    out: Any = None
    out_rows: tuple[Any, ...] = ()
    destinations: dict[tuple[Any, ...], int] = field(default_factory=dict)

    @classmethod
    def for_book(
        cls,
        book: Book,
        engine: str | None,
        trades: Trades | None = None,
        planned: tuple[ParsedName[Any], ...] = (),
    ) -> FeatureContext:
        """Return a context on the engine ``engine`` resolves to, moving the book there."""
        where = resolve_engine(engine)
        work = book.to(where)
        return cls(work, array_namespace(work.ts), where, trades, planned=planned)

    def claim(self, family: str, *args: Any, **options: Any) -> int | None:
        """Return the row of ``out`` the feature goes to, once; ``None`` where it has none."""
        return self.destinations.pop(result_key(family, args, options), None)

    def result(self, family: str, *args: Any, **options: Any) -> Any:
        """Return the ``[T]`` float64 array the feature's CPU kernel writes its result to.

        Its row of :func:`~l2gpu.features.compute`'s ``out`` (:meth:`claim`), else a new array.
        """
        row = self.claim(family, *args, **options)
        return np.empty(len(self.book)) if row is None else self.out_rows[row]

    def shared(self, key: Any, build: Callable[[], Any]) -> Any:
        """Return ``build()``, computed once per call of :func:`compute` for ``key``."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]

    def prefix(self, key: Any, values: Callable[[], Any], square: bool = False) -> tuple[Any, Any]:
        """Prefix sums of a per-row quantity (of its square with ``square``), built once.

        Every window over the quantity reads the same sums
        (:func:`~l2gpu.features.rolling.prefix_sum`). On the CPU the first call also builds
        those of the other planned names (each family's :attr:`Family.prefix`), side by side
        on Numba's threads: each sum is one serial chain of additions, and the chains of
        different quantities are independent.
        """
        if ("prefix", key) not in self.cache:
            wanted = {key: (values, square)}
            if self.xp is np:
                for spec in self.planned:
                    reads = spec.entry.prefix(self, *spec.args) if spec.entry.prefix else None
                    if reads is not None and ("prefix", reads.key) not in self.cache:
                        wanted.setdefault(reads.key, (reads.values, reads.square))
            keys = list(wanted)
            series = [wanted[k][0]() for k in keys]  # in this thread: they share passes
            built = side_by_side(
                [
                    lambda x=x, sq=wanted[k][1]: prefix_sum(x, self.xp, sq)  # type: ignore[misc]
                    for k, x in zip(keys, series, strict=True)
                ]
            )
            for k, sums in zip(keys, built, strict=True):
                self.cache[("prefix", k)] = sums
        return self.cache[("prefix", key)]

    def starts(self, window: Window) -> Any:
        """First row of the trailing ``window`` at each row, computed once per window."""
        return self.shared(
            ("starts", window.text), lambda: window_starts(window, self.book.ts, self.xp)
        )

    def require_trades(self, name: str) -> Trades:
        """Return the trades, or raise saying ``name`` needs them."""
        if self.trades is None:
            raise ValueError(f"feature {name!r} needs trades: pass trades=read_trades(...)")
        return self.trades


def result_key(family: str, args: tuple[Any, ...], options: dict[str, Any]) -> tuple[Any, ...]:
    """Return the key of a feature among a call's destinations: family, parameters, options.

    An option left at ``None`` is the option not given.
    """
    given = tuple(sorted((k, v) for k, v in options.items() if v is not None))
    return (family, args, given)


@dataclass(frozen=True)
class PrefixRead:
    """A prefix sum a feature reads: its key, the per-row quantity, whether squared."""

    key: Any
    values: Callable[[], Any]
    square: bool = False


@dataclass(frozen=True)
class Family:
    """A feature family: its parameters, whether it is causal, and how to compute it.

    ``prefix(ctx, *params)``, where given, names the prefix sum a feature of the family reads
    (or ``None``), so that :meth:`FeatureContext.prefix` builds a call's sums together.
    """

    name: str
    signature: Signature
    causal: bool
    compute: Callable[..., Any]
    doc: str
    prefix: Callable[..., PrefixRead | None] | None = None


FAMILIES: Registry[Family] = Registry("feature")
GRAMMAR = NameGrammar(PARSERS, OPTIONAL_PARSERS)


def family(
    name: str,
    params: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    causal: bool = True,
    prefix: Callable[..., PrefixRead | None] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a family computed by ``fn(ctx, *params, **optional)``.

    ``prefix(ctx, *params)`` names the prefix sum a feature reads (:class:`Family`).
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        FAMILIES.add(name, Family(name, Signature(params, optional), causal, fn, doc, prefix))
        return fn

    return register


def known_families() -> str:
    """Return the registered families with their parameters, for error messages and help."""
    return FAMILIES.listing()


def parse_name(name: str) -> ParsedName[Family]:
    """Parse a feature name; an unknown family or a bad parameter is a ``ValueError``."""
    return GRAMMAR.parse(name, FAMILIES)
