"""``ingest()``: one entry point for every registered source format (see ``docs/formats.md``)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from l2gpu.data.book import BookMeta
from l2gpu.data.ingest import binance, lobster, tardis  # noqa: F401  (they register the formats)
from l2gpu.data.ingest.formats import FORMATS, IngestRequest
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.report import IngestReport
from l2gpu.data.ingest.sink import BookSink

DEFAULT_DEPTH = 20
"""Levels per side of the sink unless the format or the caller sets them."""

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, total bytes) across all inputs."""


def _sha256(paths: Sequence[Path]) -> str:
    """SHA-256 of the input; for several inputs, of their hex digests joined in order."""
    digests = []
    for path in paths:
        with path.open("rb") as fh:
            digests.append(hashlib.file_digest(fh, "sha256").hexdigest())
    return (
        digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()
    )


def _check_inputs(paths: Sequence[Path]) -> None:
    if not paths:
        raise ValueError("ingest needs at least one input path")
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such input file")
        if path.stat().st_size == 0:
            raise IngestError(path, "whole input", "the file is empty", "readable_input")


def _policies(options: dict[str, Any]) -> Policies:
    known = {f.name for f in fields(Policies)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(
            f"unknown ingest option(s) {unknown}: the policies are {', '.join(sorted(known))}"
        )
    return Policies(**options)


def ingest(
    paths: str | Path | Sequence[str | Path],
    format: str,
    out: str | Path,
    depth: int | None = None,
    trades_out: str | Path | None = None,
    bbo_out: str | Path | None = None,
    symbol: str | None = None,
    progress: Progress | None = None,
    **policies: str,
) -> IngestReport:
    """Rebuild the book of a raw recording and write it to a Parquet book store.

    Parameters
    ----------
    paths : path or list of paths
        Inputs. ``"binance"``: one ``.gz`` (or plain) recorder file. ``"lobster"``: the message
        and the orderbook file (told apart by their names). ``"tardis"``: one
        ``incremental_book_L2``, ``book_snapshot_N`` or ``trades`` CSV (optionally ``.gz``).
    format : str
        A registered format (:data:`~l2gpu.data.ingest.formats.FORMATS`): ``"binance"``,
        ``"lobster"``, ``"tardis"`` or one a user registered.
    out : path
        Book store to write.
    depth : int, optional
        Levels per side in the store, ``K``. By default the file's own (LOBSTER, Tardis
        snapshots) or :data:`DEFAULT_DEPTH` for diff feeds.
    trades_out : path, optional
        Trades store to write.
    bbo_out : path, optional
        Binance only: the ``bookTicker`` stream as a best-bid/ask store, for audits.
    symbol : str, optional
        Instrument name for the metadata (taken from the data or the file name otherwise).
    progress : callable, optional
        Called with (bytes read, total bytes).
    **policies : str
        ``on_gap``, ``on_crossed``, ``on_bad_line``, ``on_time_backwards``,
        ``on_trade_backwards``, ``on_duplicate_trade``, ``on_other_symbol``,
        ``on_inconsistent``; see :class:`~l2gpu.data.ingest.policies.Policies` and
        ``docs/validation.md``.

    Returns
    -------
    IngestReport
        Counts of what was read, written, repaired and checked.
    """
    reader = FORMATS[format]
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    inputs = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
    _check_inputs(inputs)
    rules = _policies(policies)
    out = Path(out)
    report = IngestReport(
        source=format, inputs=inputs, out=out, trades_out=Path(trades_out) if trades_out else None
    )
    total = sum(p.stat().st_size for p in inputs)
    tell = progress or (lambda done, all_bytes: None)
    meta = BookMeta(
        source=format,
        input_sha256=_sha256(inputs),
        symbol=symbol or inputs[0].name.split("_")[0].upper(),
    )
    sink = BookSink(out, report.trades_out, depth or DEFAULT_DEPTH, meta, rules, report, inputs[0])
    request = IngestRequest(
        paths=inputs,
        sink=sink,
        policies=rules,
        report=report,
        depth=depth,
        progress=lambda done: tell(done, total),
        symbol=symbol,
        bbo_out=Path(bbo_out) if bbo_out else None,
    )
    started = time.perf_counter()
    try:
        reader.read(request)
        sink.close()
    except BaseException:
        sink.abort()
        raise
    report.seconds = time.perf_counter() - started
    return report
