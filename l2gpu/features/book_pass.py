"""The per-row book features of one ``compute()`` call, in one pass over the book on the CPU.

The planned names of the call (:attr:`FeatureContext.planned`) that are per-row functions of
the book (:data:`KINDS`: prices, spread, imbalance, depth, slope, impact, and the order flow
the ``ofi``/``mlofi`` windows sum) become requests of :func:`l2gpu.kernels.book_pass.book_pass_cpu`,
which reads the book once for all of them. The mid is a request when a planned name reads it
(:data:`MID_READERS`), so a pass runs only when some planned name needs the book and computes
nothing else. A family asks for its result with :func:`fused` and gets the pass's row, the
same floats as its array formula, or the formula itself on the GPU, for a name outside the
plan, or with nothing planned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from l2gpu.core.registry import ParsedName
from l2gpu.features.registry import FeatureContext, parse_name
from l2gpu.kernels import book_pass as kernel

KINDS = {
    "mid": kernel.MID,
    "spread": kernel.SPREAD,
    "spread_bps": kernel.SPREAD_BPS,
    "microprice": kernel.MICROPRICE,
    "wmid": kernel.WMID,
    "imbalance": kernel.IMBALANCE,
    "depth_bid": kernel.DEPTH_BID,
    "depth_ask": kernel.DEPTH_ASK,
    "slope": kernel.SLOPE,
    "impact_buy": kernel.IMPACT_BUY,
    "impact_sell": kernel.IMPACT_SELL,
    "ofi": kernel.FLOW,
    "mlofi": kernel.FLOW,
}
"""Families computed in the pass, and their kernel kind."""
MID_READERS = ("mid", "ret", "rv", "vwap_dev")
"""Families that read the mid (``spread_bps`` and ``impact`` compute theirs inside the pass)."""
LEVEL_SUMS = ("wmid", "imbalance", "depth_bid", "depth_ask", "slope")
"""Families that read the level sums over their ``k`` levels."""


def level_weights(xp: Any, depth: int, decay: float | None) -> Any:
    """Level weights ``decay**i`` for ``i < depth`` (all 1 without ``decay``), float64."""
    if decay is None:
        return xp.ones(depth)
    return decay ** xp.arange(depth, dtype=xp.float64)


def request_key(spec: ParsedName[Any]) -> tuple[Any, ...]:
    """Return the key :func:`fused` looks a planned feature up by: family and parameters.

    ``ofi_w`` and ``mlofi_k_w`` both sum ``("levels_flow", k)``; windows do not enter the pass.
    """
    if spec.family == "ofi":
        return ("levels_flow", 1)
    if spec.family == "mlofi":
        return ("levels_flow", spec.args[0])
    if spec.family == "imbalance":
        return ("imbalance", spec.args[0], spec.options.get("decay"))
    return (spec.family, *spec.args)


def _levels(spec: ParsedName[Any]) -> int:
    """Levels a request reads (1 for the best level only)."""
    return int(spec.args[0]) if spec.family in (*LEVEL_SUMS, "mlofi") else 1


def run_book_pass(ctx: FeatureContext) -> dict[tuple[Any, ...], Any]:
    """Compute every planned book feature in one pass: key -> ``[T]`` float64 row of the pass.

    A feature with a row in the call's ``out`` (:meth:`FeatureContext.claim`) is written there,
    the rest (the mid and the order flow other features read) to a new block. Empty on the GPU
    engine and when nothing planned is in :data:`KINDS` or :data:`MID_READERS`. A name asking
    for more levels than the book has is left out, so that its family raises as it always did.
    """
    book = ctx.book
    specs = [s for s in ctx.planned if s.family in KINDS and 1 <= _levels(s) <= book.depth]
    if any(s.family in MID_READERS for s in ctx.planned):
        specs.insert(0, parse_name("mid"))
    if ctx.engine != "cpu" or not specs:
        return {}
    requests: dict[tuple[Any, ...], ParsedName[Any]] = {}
    for spec in specs:
        requests.setdefault(request_key(spec), spec)
    sum_sets: dict[tuple[int, float | None], int] = {}
    kinds, sum_of, levels, qty = [], [], [], []
    rows: list[int] = []  # a row of ctx.out, or -1 - (a row of the scratch block)
    scratch_rows = 0
    for key, request in requests.items():
        family = request.family
        kinds.append(KINDS[family])
        levels.append(_levels(request))
        qty.append(float(request.args[0]) if family.startswith("impact") else 0.0)
        sums = (levels[-1], key[2] if family == "imbalance" else None)
        sum_of.append(sum_sets.setdefault(sums, len(sum_sets)) if family in LEVEL_SUMS else 0)
        row = (
            None if key[0] == "levels_flow" else ctx.claim(family, *request.args, **request.options)
        )
        if row is None:
            scratch_rows += 1
            row = -scratch_rows
        rows.append(row)
    weights = np.array([level_weights(np, book.depth, d) for _, d in sum_sets]).reshape(
        len(sum_sets), book.depth
    )
    scratch = np.empty((scratch_rows, len(book)))
    out = ctx.out if ctx.out is not None else scratch
    kernel.book_pass_cpu(
        book.bid_px,
        book.bid_sz,
        book.ask_px,
        book.ask_sz,
        weights,
        np.array([k for k, _ in sum_sets], dtype=np.int64),
        np.array(kinds, dtype=np.int64),
        np.array(sum_of, dtype=np.int64),
        np.array(levels, dtype=np.int64),
        np.array(qty),
        np.array(rows, dtype=np.int64),
        out,
        scratch,
    )
    return {
        key: ctx.out_rows[r] if r >= 0 else scratch[-1 - r]
        for key, r in zip(requests, rows, strict=True)
    }


def fused(ctx: FeatureContext, key: tuple[Any, ...], formula: Callable[[], Any]) -> Any:
    """Return the book pass's result for ``key`` (:func:`request_key`), else ``formula()``.

    Both are computed once per :func:`~l2gpu.features.compute` call.
    """
    results = ctx.shared("book_pass", lambda: run_book_pass(ctx))
    if key in results:
        return results[key]
    return ctx.shared(key, formula)
