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
from l2gpu.data.synthetic import SyntheticSpec, iter_synthetic, synthetic, write_synthetic

__all__ = [
    "Book",
    "BookMeta",
    "BookStoreError",
    "BookStoreNotFoundError",
    "BookWriter",
    "SyntheticSpec",
    "book_metadata",
    "iter_synthetic",
    "read_book",
    "synthetic",
    "write_book",
    "write_synthetic",
]
