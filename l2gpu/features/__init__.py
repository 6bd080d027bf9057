"""Microstructure features computed by kernels over a :class:`~l2gpu.data.Book`."""

from l2gpu.features.top_of_book import top_of_book

__all__ = ["top_of_book"]
