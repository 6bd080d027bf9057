"""Execution models, the pieces the strategy families' kernel factories compose.

Single-source like every kernel (``docs/kernels.md``): each factory takes the decorator and the
target's unfused product ``mul``.

- **Taker fill** (:func:`make_taker_fill_ops`): a market order of ``qty`` base units walks the
  side it takes (asks for a buy, bids for a sell) from the best level; ``(vwap, exhausted)``,
  NaN on an empty side (:mod:`l2gpu.kernels.depth_walk`).
- **Fees** (:func:`make_fee_ops`): ``fee_bps * 1e-4 * notional``, quote currency; a negative
  ``fee_bps`` is a rebate. The maker and taker fees of a family are two parameters of it.
- **Latency** (:func:`make_latency_ops`): something sent at row ``t`` (time ``ts_t``) with a
  latency of ``amount`` rows (or ns, ``is_time``) is due at row ``t + amount`` or at the first
  row with ``ts >= ts_t + amount``. A family may have one latency (threshold: decision to fill)
  or several (quote: entry latency to the exchange, response latency back to the strategy).

The maker queue (where a resting quote stands and what fills it) is the quote family's own
execution model, :mod:`l2gpu.kernels.quote_queue`. Semantics: ``docs/semantics.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from l2gpu.kernels.depth_walk import make_depth_walk_ops


def make_taker_fill_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile the taker fill with ``jit``; return ``taker_fill``.

    ``taker_fill(side, qty, col, bid_px, bid_sz, ask_px, ask_sz) -> (vwap, exhausted)`` for a
    buy (``side > 0``) or a sell of ``qty`` against book column ``col``.
    """
    fill_price = make_depth_walk_ops(jit, mul)

    @jit
    def taker_fill(side, qty, col, bid_px, bid_sz, ask_px, ask_sz):
        if side > 0:
            return fill_price(ask_px, ask_sz, col, qty)
        return fill_price(bid_px, bid_sz, col, qty)

    return taker_fill


def make_fee_ops(jit: Callable[[Any], Any], mul: Any) -> Any:
    """Compile the fee model with ``jit``; return ``fee(notional, fee_bps)``, quote currency."""

    @jit
    def fee(notional, fee_bps):
        return mul(fee_bps * 1e-4, notional)

    return fee


def make_latency_ops(jit: Callable[[Any], Any]) -> Any:
    """Compile the latency model with ``jit``; return ``(due_at, is_due)``.

    ``due_at(t, ts_t, amount, is_time)`` is the row (``is_time`` 0) or the time in ns (``is_time``
    1) at which something sent at row ``t`` arrives; ``is_due(t, ts_t, target, is_time)`` says
    whether row ``t`` is at or past it.
    """

    @jit
    def due_at(t, ts_t, amount, is_time):
        if is_time > 0:
            return ts_t + int(amount)
        return t + int(amount)

    @jit
    def is_due(t, ts_t, target, is_time):
        if is_time > 0:
            return ts_t >= target
        return t >= target

    return due_at, is_due
