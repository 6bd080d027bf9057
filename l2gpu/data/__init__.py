"""Order-book data: the ``Book``, the Parquet book store, and synthetic books."""

from l2gpu.data.book import Book, BookMeta
from l2gpu.data.store import (
    BookStoreError,
    BookStoreNotFoundError,
    BookWriter,
    book_metadata,
    read_book,
    write_book,
)
from l2gpu.data.synthetic import (
    SyntheticSpec,
    iter_synthetic,
    synthetic,
    synthetic_trades,
    write_synthetic,
)
from l2gpu.data.trades import Trades, read_trades

__all__ = [
    "Book",
    "BookMeta",
    "BookStoreError",
    "BookStoreNotFoundError",
    "BookWriter",
    "SyntheticSpec",
    "Trades",
    "book_metadata",
    "iter_synthetic",
    "read_book",
    "read_trades",
    "synthetic",
    "synthetic_trades",
    "write_book",
    "write_synthetic",
]
