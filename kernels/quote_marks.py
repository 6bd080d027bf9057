"""Mark-to-mid equity of a quote config: drawdown and the per-bucket changes behind the Sharpe.

Single-source device functions composed by :mod:`l2gpu.kernels.quote` (step 7 of
``docs/quote.md``), with the conventions of the threshold family: equity is cash plus the
position at the mid (the cash alone when flat; the last equity while the mid is missing); each
Sharpe bucket's equity change enters a running mean and variance (Welford), empty buckets as
zero changes, and ``buckets[bucket]`` when per-bucket pnl is asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from l2gpu.kernels.quote_layout import (
    F_BUCKET_START_EQUITY,
    F_CASH,
    F_LAST_EQUITY,
    F_MAX_DRAWDOWN,
    F_PEAK,
    F_POSITION,
    F_SHARPE_M2,
    F_SHARPE_MEAN,
    I_BUCKET,
    I_BUCKETS,
)


def make_mark_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile with ``jit``; return ``(equity, mark, add_buckets)``.

    ``mul`` is the target's unfused product (see :func:`l2gpu.kernels.quote.make_quote_ops`).
    """

    @jit
    def add_buckets(fs, ist, change, zeros, buckets):
        """Welford update with a closed bucket's ``change``, then ``zeros`` empty buckets."""
        if buckets.shape[0] > 0:
            buckets[ist[I_BUCKET]] = change
        n = ist[I_BUCKETS] + 1
        delta = change - fs[F_SHARPE_MEAN]
        fs[F_SHARPE_MEAN] += delta / n
        fs[F_SHARPE_M2] += mul(delta, change - fs[F_SHARPE_MEAN])
        ist[I_BUCKETS] = n
        if zeros > 0:
            total = n + zeros
            delta = -fs[F_SHARPE_MEAN]
            fs[F_SHARPE_MEAN] += delta * zeros / total
            fs[F_SHARPE_M2] += delta * delta * n * zeros / total
            ist[I_BUCKETS] = total

    @jit
    def equity(mid_t, fs):
        """Cash plus the position at the mid; flat, the cash; no mid, the last equity."""
        if fs[F_POSITION] == 0.0:
            return fs[F_CASH]
        if math.isnan(mid_t):
            return fs[F_LAST_EQUITY]
        return fs[F_CASH] + mul(fs[F_POSITION], mid_t)

    @jit
    def mark(bucket, value, fs, ist, buckets):
        """Step 7: mark equity ``value``: drawdown from its peak, per-bucket changes."""
        if value > fs[F_PEAK]:
            fs[F_PEAK] = value
        if fs[F_PEAK] - value > fs[F_MAX_DRAWDOWN]:
            fs[F_MAX_DRAWDOWN] = fs[F_PEAK] - value
        if bucket != ist[I_BUCKET]:
            change = fs[F_LAST_EQUITY] - fs[F_BUCKET_START_EQUITY]
            add_buckets(fs, ist, change, bucket - ist[I_BUCKET] - 1, buckets)
            fs[F_BUCKET_START_EQUITY] = fs[F_LAST_EQUITY]
            ist[I_BUCKET] = bucket
        fs[F_LAST_EQUITY] = value

    return equity, mark, add_buckets
