"""Ingest once: the book store is rebuilt only when the inputs or the ingest settings change.

The cache key is a fingerprint: SHA-256 over each input file's SHA-256, the ingest settings and
the l2gpu version. A cached store sits in ``<cache_dir>/<name>-<fingerprint[:16]>/``; it is
built aside and renamed into place, so parallel jobs share it safely.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
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
    # Build in a private folder and rename it into place, so parallel jobs never read a store
    # another job is still writing; the loser of a race keeps the winner's store.
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{folder.name}-") as tmp:
        report = ingest(
            paths,
            format=format,
            out=Path(tmp) / book.name,
            trades_out=Path(tmp) / trades.name,
            progress=progress,
            **settings,
        )
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (book.exists() and trades.exists()):
                raise
        else:
            Path(tmp).mkdir()  # TemporaryDirectory removes its folder on exit
    return CachedStores(book, trades, key, inputs, True, report)
