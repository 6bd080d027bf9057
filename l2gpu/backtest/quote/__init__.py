"""The quote family: passive two-sided quotes with queue position (``docs/quote.md``)."""

from l2gpu.backtest.quote.params import DEFAULTS, QUEUES
from l2gpu.backtest.quote.result import METRICS, QuoteResult
from l2gpu.backtest.quote.sweep import quote_sweep

__all__ = ["DEFAULTS", "METRICS", "QUEUES", "QuoteResult", "quote_sweep"]
