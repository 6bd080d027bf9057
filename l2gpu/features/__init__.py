"""Microstructure features computed by kernels over a :class:`~l2gpu.data.Book`.

``compute(book, names)`` returns features by name; the families register themselves on import.
``FeatureContext`` and the functions below are the public building blocks other packages (labels,
models) compute from.
"""

from l2gpu.features import book_shape, execution, flow, trade_flow, volatility
from l2gpu.features.book_shape import mid, ratio, spread
from l2gpu.features.compute import DEFAULT_FEATURES, compute, is_causal
from l2gpu.features.registry import FAMILIES, FeatureContext, family, known_families, parse_name
from l2gpu.features.top_of_book import top_of_book
from l2gpu.features.volatility import rv

__all__ = [
    "DEFAULT_FEATURES",
    "FAMILIES",
    "FeatureContext",
    "book_shape",
    "compute",
    "execution",
    "family",
    "flow",
    "is_causal",
    "known_families",
    "mid",
    "parse_name",
    "ratio",
    "rv",
    "spread",
    "top_of_book",
    "trade_flow",
    "volatility",
]
