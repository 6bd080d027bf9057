"""Microstructure features computed by kernels over a :class:`~l2gpu.data.Book`.

``compute(book, names)`` returns features by name; the families register themselves on import.
"""

from l2gpu.features import book_shape, execution, flow, trade_flow, volatility
from l2gpu.features.compute import DEFAULT_FEATURES, compute, is_causal
from l2gpu.features.registry import FAMILIES, known_families, parse_name
from l2gpu.features.top_of_book import top_of_book

__all__ = [
    "DEFAULT_FEATURES",
    "FAMILIES",
    "book_shape",
    "compute",
    "execution",
    "flow",
    "is_causal",
    "known_families",
    "parse_name",
    "top_of_book",
    "trade_flow",
    "volatility",
]
