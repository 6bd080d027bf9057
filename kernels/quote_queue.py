"""Queue position of a resting quote: displayed size at its price and the fall of the queue.

Single-source device functions (``docs/quote.md``, "Queue position"), composed by
:mod:`l2gpu.kernels.quote`:

- ``displayed(px, sz, col, p, tick, sign)``: ``D(p)``, the size shown at ``p`` ticks on one side
  of book row ``col`` (``sign`` +1 for bids, -1 for asks): the level's size where a visible level
  sits at ``p``, 0 where ``p`` is inside the spread or between visible levels, ``inf`` (unknown)
  where ``p`` lies beyond the last visible level or the side is empty;
- ``best_tick(px, col, tick)``: level 0 in ticks, or ``NO_PRICE`` for an empty side;
- ``fallen(model, power, ahead, d_prev, met, d_now)``: the size ahead after the displayed size
  fell from ``d_prev`` to ``d_now`` with ``met`` traded at the price this row.

Prices become ticks as ``floor(px / tick + 0.5)``; every comparison is between integers. A whole
``queue_power`` n (up to :data:`MAX_WHOLE_POWER`) is computed as n products, which round alike
on both targets; a fractional n and ``prob_log`` call the target's ``pow`` and ``log1p``, which
may differ between the CPU's libm and CUDA's libdevice in the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from l2gpu.kernels.quote_layout import NO_PRICE, QUEUE_PROB_POWER, QUEUE_RISK_AVERSE

MAX_WHOLE_POWER = 16


def make_queue_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile with ``jit``; return ``(to_tick, best_tick, displayed, fallen)``.

    ``mul`` is the target's unfused product (see :func:`l2gpu.kernels.quote.make_quote_ops`).
    """

    @jit
    def to_tick(price, tick):
        return int(math.floor(price / tick + 0.5))  # noqa: RUF046 (a float on CUDA)

    @jit
    def best_tick(px, col, tick):
        price = px[0, col]
        if math.isnan(price):
            return NO_PRICE
        return to_tick(price, tick)

    @jit
    def displayed(px, sz, col, p, tick, sign):
        for k in range(px.shape[0]):
            price = px[k, col]
            if math.isnan(price):
                return math.inf
            q = to_tick(price, tick)
            if q == p:
                return sz[k, col]
            if sign * (q - p) < 0:
                return 0.0
        return math.inf

    @jit
    def weight(model, power, v):
        if model == QUEUE_PROB_POWER:
            whole = int(power)
            if whole == power and whole <= MAX_WHOLE_POWER:
                out = 1.0
                for _ in range(whole):
                    out = mul(out, v)
                return out
            return v**power
        return math.log1p(v)

    @jit
    def fallen(model, power, ahead, d_prev, met, d_now):
        if math.isinf(d_prev) or math.isinf(d_now):
            return min(ahead, d_now)
        fall = max(d_prev - met - d_now, 0.0)
        if fall > 0.0 and model != QUEUE_RISK_AVERSE:
            behind = max(d_prev - met - ahead, 0.0)
            front = weight(model, power, ahead)
            back = weight(model, power, behind)
            if front + back > 0.0:
                ahead = max(ahead - fall * front / (front + back), 0.0)
        return min(ahead, d_now)

    return to_tick, best_tick, displayed, fallen
