"""The quote family: passive two-sided quotes with queue position (``docs/quote.md``)."""

from l2gpu.backtest.quote import family
from l2gpu.backtest.quote.params import DEFAULTS, QUEUES
from l2gpu.backtest.quote.result import INTEGER_METRICS, METRICS
from l2gpu.backtest.quote.sweep import quote_sweep

__all__ = ["DEFAULTS", "INTEGER_METRICS", "METRICS", "QUEUES", "family", "quote_sweep"]
