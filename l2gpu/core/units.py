"""Units shared across l2gpu: times are int64 ns, prices quote currency, sizes base units.

Fees, thresholds and returns quoted in basis points convert with :data:`BPS`; annualised
ratios use a 365-day year of continuous trading (crypto venues never close).
"""

NS_PER_S = 1_000_000_000
"""Nanoseconds per second: every timestamp and duration is int64 ns."""
BPS = 1e-4
"""One basis point as a fraction: ``fee = fee_bps * BPS * notional``."""
SECONDS_PER_YEAR = 365 * 86_400
"""The year behind annualised Sharpe, Sortino and Calmar ratios (365 days of 24 h)."""
