"""Rolling sums over trailing windows: a prefix sum and ``searchsorted``, never a scan per row.

A window that holds a NaN sums to NaN: a quantity that is undefined on some row (a mid with an
empty side) is not silently treated as zero. Windows are :class:`l2gpu.core.spans.Window`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


def prefix_sum(values: Any, xp: ModuleType) -> tuple[Any, Any]:
    """Prefix sums of ``values`` with NaN counted aside: (sum of finite values, NaN count).

    Both have a leading 0, so the sum over rows ``a .. b-1`` is ``P[b] - P[a]``.
    """
    missing = xp.isnan(values)
    total = xp.concatenate((xp.zeros(1), xp.cumsum(xp.where(missing, 0.0, values))))
    count = xp.concatenate((xp.zeros(1, dtype=xp.int64), xp.cumsum(missing, dtype=xp.int64)))
    return total, count


def window_sum(prefix: tuple[Any, Any], starts: Any, xp: ModuleType) -> Any:
    """Sum over rows ``starts[t] .. t`` from :func:`prefix_sum`; NaN where the window has a NaN."""
    total, count = prefix
    ends = xp.arange(1, total.shape[0], dtype=xp.int64)
    sums = total[ends] - total[starts]
    return xp.where(count[ends] - count[starts] > 0, xp.nan, sums)
