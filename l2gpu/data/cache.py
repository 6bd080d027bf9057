"""Ingest once: the book store is rebuilt only when the inputs or the ingest settings change.

The cache key is a fingerprint: SHA-256 over each input file's SHA-256, the ingest settings and
the l2gpu version. A cached store sits in ``<cache_dir>/<name>-<fingerprint[:16]>/``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from l2gpu.data.ingest import IngestReport, ingest
from l2gpu.data.ingest.api import Progress
from l2gpu.version import __version__


@dataclass(frozen=True)
class CachedStores:
    """Where the book and trades stores are, and whether they were built now."""

    book: Path
    trades: Path
    fingerprint: str
    inputs: dict[str, str]
    rebuilt: bool
    report: IngestReport | None


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, hex."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def fingerprint(inputs: dict[str, str], settings: dict[str, Any]) -> str:
    """Return the cache key of an ingest: input hashes, settings and the l2gpu version."""
    payload = json.dumps(
        {"inputs": inputs, "settings": settings, "version": __version__}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def cached_ingest(
    name: str,
    paths: list[Path],
    format: str,
    cache_dir: Path,
    settings: dict[str, Any],
    progress: Progress | None = None,
) -> CachedStores:
    """Return the book and trades stores of ``paths``, ingesting only on a cache miss."""
    inputs = {str(p): file_sha256(p) for p in paths}
    key = fingerprint(inputs, {"format": format, **settings})
    folder = cache_dir / f"{name}-{key[:16]}"
    book, trades = folder / "book.parquet", folder / "trades.parquet"
    if book.exists() and trades.exists():
        return CachedStores(book, trades, key, inputs, False, None)
    folder.mkdir(parents=True, exist_ok=True)
    report = ingest(
        paths, format=format, out=book, trades_out=trades, progress=progress, **settings
    )
    return CachedStores(book, trades, key, inputs, True, report)
