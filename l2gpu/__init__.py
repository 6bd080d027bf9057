"""l2gpu: a vectorized GPU backtesting engine for Level-2 order-book data.

Importing l2gpu loads neither CuPy, cuDF nor torch; GPU libraries are imported only when an engine
resolves to the GPU or arrays are moved there.
"""

from l2gpu.backend import gpu_status, resolve_engine
from l2gpu.backtest import SweepResult, sweep
from l2gpu.data import Book, BookMeta, BookStoreError, read_book
from l2gpu.data.ingest import IngestError, IngestReport, ingest
from l2gpu.version import __version__

__all__ = [
    "Book",
    "BookMeta",
    "BookStoreError",
    "IngestError",
    "IngestReport",
    "SweepResult",
    "__version__",
    "gpu_status",
    "ingest",
    "read_book",
    "resolve_engine",
    "sweep",
]
