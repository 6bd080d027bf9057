"""The fewest bytes each default feature must move: its inputs read once, its output written once.

Timing a feature alone against this count gives its effective bandwidth, and against the
device's copy bandwidth the share of the machine a memory-bound family reaches (issue 15, part
4: at least half of it on the GPU). Counts are per book row and per trade, float64 and int64 (8
bytes); the side of a trade is one byte. A feature counted here reads, per book row:

- ``mid``, ``spread``, ``spread_bps``: both best prices (2 arrays);
- ``microprice``: best prices and sizes (4); ``impact_*``: the best prices (the mid) and the
  size of the side it walks (3; deeper levels only where the size reaches them);
- ``wmid_k``: ``k`` levels of prices and sizes (4k); ``imbalance_k``: ``k`` levels of sizes
  (2k); ``depth_*_k``: one side's sizes (k); ``slope_k``: sizes and the ``k``-th prices (2k + 2);
- ``ofi_w``: the best level (4) and ``mlofi_k_w`` ``k`` levels (4k); ``ret_w``, ``rv_w``: the
  mid's two prices; ``intensity_w``: ``ts``; any duration window adds ``ts``;
- trade features: each trade's ``ts``, price, size and side, and the book's ``ts`` (``vwap_dev``
  also the mid's prices).

The sliding volume profile (``vp_*``) is not memory-bound and has no count (``None``).
"""

from __future__ import annotations

from typing import Any

from l2gpu.core.spans import Window
from l2gpu.features.registry import parse_name

WORD = 8
TRADE_BYTES = 3 * WORD + 1
"""ts, price, size and side of one trade."""


def _book_arrays(family: str, args: tuple[Any, ...]) -> int | None:
    """Book arrays a feature of ``family`` reads per row (``None``: not counted)."""
    k = int(args[0]) if args and isinstance(args[0], int) else 0
    per_family = {
        "mid": 2,
        "spread": 2,
        "spread_bps": 2,
        "microprice": 4,
        "impact_buy": 3,
        "impact_sell": 3,
        "wmid": 4 * k,
        "imbalance": 2 * k,
        "depth_bid": k,
        "depth_ask": k,
        "ofi": 4,
        "ret": 2,
        "rv": 2,
        "intensity": 0,
    }
    if family == "slope":
        return 2 * k + 2
    if family == "mlofi":
        return 4 * k
    return per_family.get(family)


def minimum_bytes(name: str, rows: int, trades: int) -> int | None:
    """Fewest bytes feature ``name`` moves over ``rows`` book rows and ``trades`` trades."""
    spec = parse_name(name)
    family, args = spec.family, spec.args
    if family in ("trade_imb", "cvd", "vwap_dev"):
        book_words = 1 + (2 if family == "vwap_dev" else 0)  # ts (and the mid's prices)
        return trades * TRADE_BYTES + rows * WORD * (book_words + 1)
    arrays = _book_arrays(family, args)
    if arrays is None:
        return None
    timed = any(isinstance(a, Window) and a.ns is not None for a in args)
    return rows * WORD * (arrays + (1 if timed else 0) + 1)
