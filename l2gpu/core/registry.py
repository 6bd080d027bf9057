"""Registries: the one pattern behind every extensible kind of thing in l2gpu.

Feature families, labels, ingest formats, strategy families and execution models each live in a
:class:`Registry`. An entry registers itself where it is defined, with a decorator::

    FORMATS = Registry[FormatReader]("ingest format")

    @FORMATS.register("lobster")
    def read_lobster(request): ...

so adding one touches its own module and one registration. A name that is not registered is an
:class:`UnknownNameError` that lists what is (the same listing ``l2gpu --help`` prints).

Entries whose names carry parameters (``ofi_2s``, ``imbalance_5_decay0.5``, ``fwd_class_2s_cost``)
declare them with :class:`Signature`; :class:`NameGrammar` parses such names (see
``docs/registries.md``): the family is the longest registered prefix, then one ``_``-separated
field per required parameter, parsed by its kind, then optional fields written as a prefix and
a number (``decay0.5``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
ParamParser = Callable[[str], Any]


class UnknownNameError(ValueError):
    """A name that no entry of a registry carries; the message lists the known ones."""


class Registry(Generic[T]):
    """Named entries of one kind, in registration order.

    Parameters
    ----------
    kind : str
        What an entry is, for messages: ``"feature family"``, ``"ingest format"``.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` under ``name``; a name registered twice is an error."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def remove(self, name: str) -> T:
        """Unregister ``name`` (a test's toy entry) and return its entry."""
        return self._entries.pop(name)

    def register(self, name: str) -> Callable[[T], T]:
        """Return a decorator that registers its object under ``name`` and returns it unchanged."""

        def decorate(entry: T) -> T:
            return self.add(name, entry)

        return decorate

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; known: {self.listing()}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, T]]:
        """Return ``(name, entry)`` pairs in registration order."""
        return list(self._entries.items())

    def names(self) -> list[str]:
        """Return the registered names in registration order."""
        return list(self._entries)

    def listing(self, show: Callable[[str, T], str] | None = None) -> str:
        """Return the entries as one comma-separated line, sorted by name.

        ``show(name, entry)`` writes one entry (default: its signature when it has one, else
        its name).
        """
        show = show or _default_show
        return ", ".join(show(name, self._entries[name]) for name in sorted(self._entries))


@dataclass(frozen=True)
class Signature:
    """The parameters a parametrised name carries after its family name.

    Attributes
    ----------
    params : tuple of str
        Kinds of the required parameters, in order (keys of the grammar's parsers).
    optional : tuple of str
        Prefixes of the optional parameters (``decay`` in ``decay0.5``).
    """

    params: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def shown(self, name: str) -> str:
        """Return the form of a name, e.g. ``imbalance_<levels>_[decay<x>]``."""
        return "_".join(
            [name, *[f"<{p}>" for p in self.params], *[f"[{o}<x>]" for o in self.optional]]
        )


def _default_show(name: str, entry: Any) -> str:
    signature = getattr(entry, "signature", None)
    return signature.shown(name) if isinstance(signature, Signature) else name


@dataclass(frozen=True)
class ParsedName(Generic[T]):
    """A parametrised name split into its entry and parsed parameters."""

    name: str
    family: str
    entry: T
    args: tuple[Any, ...]
    options: dict[str, Any]


class NameGrammar:
    """Parse ``<family>_<p1>_..._<pn>[_<opt><x>]`` against a registry of signed entries.

    Parameters
    ----------
    parsers : mapping of str to callable
        One parser per required-parameter kind; each raises ``ValueError`` on bad text.
    optional_parsers : mapping of str to callable
        One parser per optional prefix, given the text after the prefix.
    """

    def __init__(
        self,
        parsers: Mapping[str, ParamParser],
        optional_parsers: Mapping[str, ParamParser] | None = None,
    ) -> None:
        self.parsers = dict(parsers)
        self.optional_parsers = dict(optional_parsers or {})

    def parse(self, name: str, registry: Registry[Any]) -> ParsedName[Any]:
        """Parse ``name``; an unknown family or a bad parameter is a ``ValueError``.

        Every entry of ``registry`` must have a ``signature`` attribute.
        """
        family = next(
            (
                f
                for f in sorted(registry, key=len, reverse=True)
                if name == f or name.startswith(f + "_")
            ),
            None,
        )
        if family is None:
            raise UnknownNameError(f"unknown {registry.kind} {name!r}; known: {registry.listing()}")
        entry = registry[family]
        signature: Signature = entry.signature
        fields = name[len(family) + 1 :].split("_") if name != family else []
        required, extra = fields[: len(signature.params)], fields[len(signature.params) :]
        if len(required) < len(signature.params):
            raise ValueError(
                f"{registry.kind} {name!r} needs parameters: {signature.shown(family)}"
            )
        try:
            args = tuple(
                self.parsers[kind](text)
                for kind, text in zip(signature.params, required, strict=True)
            )
            options = {}
            for text in extra:
                key = next(
                    (o for o in signature.optional if re.fullmatch(rf"{o}[0-9.]+", text)), None
                )
                if key is None:
                    raise ValueError(f"unexpected parameter {text!r}")
                options[key] = self.optional_parsers[key](text[len(key) :])
        except ValueError as exc:
            raise ValueError(
                f"{registry.kind} {name!r}: {exc} (its form is {signature.shown(family)})"
            ) from None
        return ParsedName(name, family, entry, args, options)
