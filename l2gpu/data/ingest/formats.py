"""Ingest formats: one registry, one reader interface.

A format is a function that reads its inputs into the :class:`~l2gpu.data.ingest.sink.BookSink`
of an :class:`IngestRequest`; it registers itself where it is defined::

    @ingest_format("lobster", "LOBSTER message + orderbook CSV pair, any level count")
    def read_lobster(request: IngestRequest) -> None: ...

:data:`FORMATS` lists them for ``ingest()``, its errors and ``l2gpu ingest --help``. How to add
one is in ``docs/formats.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from l2gpu.core.registry import Registry
from l2gpu.data.ingest.policies import Policies
from l2gpu.data.ingest.report import IngestReport
from l2gpu.data.ingest.sink import BookSink


@dataclass
class IngestRequest:
    """Everything a reader gets.

    Attributes
    ----------
    paths : list of Path
        The inputs, as given (each exists and is not empty).
    sink : BookSink
        Where book rows and trades go: it applies the store checks and the policies. A reader
        sets ``sink.depth`` (levels per side) before the first row when its format has a depth
        of its own, and may ``sink.refine_meta(...)`` provenance (exchange, symbol, tick size).
    policies : Policies
        The repairs the caller allows; the reader applies those about its raw input (bad lines,
        gaps, other symbols) and counts them in ``report``.
    report : IngestReport
        Counts of what was read and repaired.
    depth : int or None
        Levels per side asked for; ``None`` means the format's own (or ``sink.depth``).
    progress : callable
        Call with the bytes of input read so far, across all inputs.
    symbol : str or None
        The instrument the caller named, if any (then the metadata keeps it).
    bbo_out : Path or None
        A best-bid/ask store to write, for formats that carry one (Binance ``bookTicker``).
    """

    paths: list[Path]
    sink: BookSink
    policies: Policies
    report: IngestReport
    depth: int | None
    progress: Callable[[int], None]
    symbol: str | None = None
    bbo_out: Path | None = None

    def single_input(self, format_name: str) -> Path:
        """Return the one input path, or raise saying the format reads one file at a time."""
        if len(self.paths) != 1:
            raise ValueError(
                f"format {format_name!r} reads one file at a time, got {len(self.paths)}"
            )
        return self.paths[0]

    def refuse_bbo(self, format_name: str) -> None:
        """Raise when a best-bid/ask store was asked of a format that has none."""
        if self.bbo_out is not None:
            raise ValueError(f"bbo_out is for format 'binance'; {format_name!r} has no bookTicker")


Reader = Callable[[IngestRequest], None]


@dataclass(frozen=True)
class IngestFormat:
    """A registered format: its reader and a one-line summary of its inputs."""

    name: str
    read: Reader
    summary: str


FORMATS: Registry[IngestFormat] = Registry("ingest format")


def ingest_format(name: str, summary: str) -> Callable[[Reader], Reader]:
    """Register ``read(request)`` as the ingest format ``name``; return it unchanged."""

    def register(read: Reader) -> Reader:
        FORMATS.add(name, IngestFormat(name, read, summary))
        return read

    return register


def format_help() -> str:
    """Return one line per format, ``name: summary``, for ``--help``."""
    return "; ".join(f"{name}: {entry.summary}" for name, entry in FORMATS.items())
