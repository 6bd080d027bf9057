"""Overfitting statistics over a sweep: the Deflated Sharpe Ratio and the PBO."""

from l2gpu.metrics.deflated_sharpe import deflated_sharpe, expected_max_sharpe
from l2gpu.metrics.overfitting import Overfitting, overfitting
from l2gpu.metrics.pbo import PboResult, pbo

__all__ = [
    "Overfitting",
    "PboResult",
    "deflated_sharpe",
    "expected_max_sharpe",
    "overfitting",
    "pbo",
]
