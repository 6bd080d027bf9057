"""The data stage: the recording ingested once (cached by fingerprint), read onto the device.

The book is read from its store straight onto the engine's device and stays there for every later
stage; the trades stay on the host (the features that need them move what they use).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from l2gpu.backend.engine import ResolvedEngine, gpu_status
from l2gpu.config.schema import DataConfig
from l2gpu.data.book import Book
from l2gpu.data.cache import CachedStores, cached_ingest
from l2gpu.data.ingest.policies import POLICY_CHOICES
from l2gpu.data.samples import resolve_input
from l2gpu.data.store import read_book
from l2gpu.data.trades import Trades, read_trades
from l2gpu.pipeline.progress import Progress


@dataclass(frozen=True)
class BookInputs:
    """What the data stage gives every later stage.

    Attributes
    ----------
    book : Book
        The order book, on the engine's device.
    trades : Trades
        The recording's trades (host arrays).
    stores : CachedStores
        Where the book and trades stores are, their fingerprint, and whether they were rebuilt.
    engine : {"cpu", "gpu"}
        Where the kernels run.
    device : str
        ``"CPU"`` or the GPU's name.
    """

    book: Book
    trades: Trades
    stores: CachedStores
    engine: ResolvedEngine
    device: str

    @property
    def start_ns(self) -> int:
        """Exchange time of the first book row, ns since the Unix epoch."""
        return self.book.span_ns()[0]


def load_data(
    data: DataConfig,
    cache_dir: Path,
    cwd: Path,
    engine: ResolvedEngine,
    progress: Progress,
    max_rows: int | None = None,
) -> BookInputs:
    """Ingest ``data`` on a cache miss, then read its stores onto ``engine``'s device.

    Parameters
    ----------
    data : DataConfig
        The recording and its ingest settings.
    cache_dir : Path
        Folder of cached stores.
    cwd : Path
        Folder the recording's relative paths start from (``sample:`` names a bundled file).
    engine : {"cpu", "gpu"}
        Where the book goes.
    progress : Progress
        Shows the ingest.
    max_rows : int, optional
        Keep only the first rows of the book (``debug.max_rows``).
    """
    settings = {
        "depth": data.depth,
        "symbol": data.symbol,
        **{policy: getattr(data, policy) for policy in POLICY_CHOICES},
    }
    with progress.step(f"ingest {data.name}", unit="bytes") as update:
        stores = cached_ingest(
            data.name,
            [resolve_input(p, cwd) for p in data.paths],
            data.format,
            cache_dir,
            settings,
            progress=update,
        )
    book = read_book(stores.book, engine=engine)
    if max_rows:
        book = book[:max_rows]
    device = gpu_status().device_name if engine == "gpu" else "CPU"
    return BookInputs(book, read_trades(stores.trades), stores, engine, device)
