"""Probability of Backtest Overfitting by combinatorially symmetric cross-validation (CSCV).

Bailey, Borwein, López de Prado and Zhu (2017). The ``T x N`` matrix of per-bucket returns (time
buckets x configs) is cut into ``S`` contiguous blocks of rows. For every way of choosing ``S/2``
blocks as the in-sample set (the rest is out of sample): pick the config with the best in-sample
Sharpe ratio (the first one on ties), find its rank among all configs out of sample,
``w = rank / (N + 1)``, and its logit ``log(w / (1 - w))``. PBO is the share of splits whose
logit is <= 0: the in-sample winner did no better than the median out of sample.

Splits are evaluated from per-block sums, many at a time (matrix products over the
combinations), on the device the returns live on (NumPy, CuPy or the strict simulated device)
without copying the matrix: it is read a few thousand configs at a time, and every temporary is
bounded by ``memory_budget`` (plus the two ``S x N`` block sums). A pass over the configs keeps
each split's best in-sample config and its out-of-sample Sharpe; a second pass ranks it. The
Sharpe ratio of a column is its mean over its population standard deviation (0 for a flat one).
Block sums run row by row in time order, so they do not depend on the chunking or on the
matrix layout (a C-ordered matrix gives the same bits as ``values[a:b].sum(axis=0)``). The
split sums are matrix products, whose last bit can depend on the shapes BLAS is given; the
winner of a split is ranked against Sharpe ratios from the very products that chose it, so a
chunked run agrees with an unchunked one except where two configs tie to the last bit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from l2gpu.backend.arrays import array_device, array_namespace, to_device

COMBINATIONS_PER_PASS = 512
"""Most splits evaluated per matrix product."""
DEFAULT_MEMORY_BUDGET = 256 * 2**20
"""Bytes the temporaries of :func:`pbo` may take (the input matrix and block sums aside)."""
TEMPORARIES = 12
"""Float64 arrays of (splits x configs) alive at once in a pass, at most (9.3 measured)."""
CHUNK_COPIES = 3
"""Copies of a chunk of the matrix alive while its block sums are taken (2.6 measured)."""


@dataclass(frozen=True)
class PboResult:
    """Outcome of CSCV.

    Attributes
    ----------
    pbo : float
        Probability of backtest overfitting, the share of splits with logit <= 0.
    logits : numpy.ndarray
        One logit per split.
    n_splits : int
        Blocks the rows were cut into, ``S``.
    n_combinations : int
        Splits evaluated, ``C(S, S/2)``.
    """

    pbo: float
    logits: np.ndarray
    n_splits: int
    n_combinations: int


def _sharpe(total: Any, squares: Any, count: Any, xp: Any) -> Any:
    mean = total / count
    variance = xp.maximum(squares / count - mean * mean, 0.0)
    std = xp.sqrt(variance)
    return xp.where(std > 0, mean / xp.where(std > 0, std, 1.0), 0.0)


def config_chunks(configs: int, width: int) -> list[tuple[int, int]]:
    """Column ranges ``[a, b)`` of at most ``width`` configs covering ``0 .. configs-1``."""
    width = max(1, width)
    return [(a, min(a + width, configs)) for a in range(0, configs, width)]


def _block_sums(returns: Any, edges: np.ndarray, xp: Any, budget: int) -> tuple[Any, Any]:
    """Per-block sums and sums of squares, ``[S, N]`` each, reading a chunk of configs at a time.

    NaN counts as 0 (and infinities as the largest finite values), as ``nan_to_num`` does.
    """
    rows, configs = returns.shape
    blocks = len(edges) - 1
    block_sum = xp.empty((blocks, configs))
    block_sq = xp.empty((blocks, configs))
    for a, b in config_chunks(configs, budget // (8 * rows * CHUNK_COPIES)):
        values = xp.nan_to_num(xp.asarray(returns[:, a:b], dtype=xp.float64))
        for block, (first, stop) in enumerate(itertools.pairwise(edges)):
            total = values[first].copy()
            squares = values[first] ** 2
            for row in range(first + 1, stop):
                total += values[row]
                squares += values[row] ** 2
            block_sum[block, a:b] = total
            block_sq[block, a:b] = squares
    return block_sum, block_sq


def _pass_shape(combinations: int, configs: int, budget: int) -> tuple[int, int]:
    """Return splits per pass and configs per chunk whose temporaries fit in ``budget`` bytes."""
    per_pass = min(COMBINATIONS_PER_PASS, combinations)
    width = budget // (per_pass * 8 * TEMPORARIES)
    if width < 2:
        per_pass = max(1, budget // (2 * 8 * TEMPORARIES))
        width = 2
    return per_pass, min(width, configs)


def _logits(ins: Any, block_sum: Any, block_sq: Any, block_n: Any, width: int, xp: Any) -> Any:
    """Logits of the splits whose in-sample blocks are the rows of ``ins`` (0/1, ``[C, S]``)."""
    outs = 1.0 - ins
    count_in = (ins @ block_n)[:, None]
    count_out = (outs @ block_n)[:, None]
    configs = block_sum.shape[1]
    chunks = config_chunks(configs, width)

    def sharpe(chosen: Any, count: Any, a: int, b: int) -> Any:
        return _sharpe(chosen @ block_sum[:, a:b], chosen @ block_sq[:, a:b], count, xp)

    splits = xp.arange(ins.shape[0])
    best_in: Any = None
    best_out: Any = None
    kept_out: Any = None
    for a, b in chunks:
        sr_in = sharpe(ins, count_in, a, b)
        sr_out = sharpe(outs, count_out, a, b)
        local = xp.argmax(sr_in, axis=1)
        value, at_out = sr_in[splits, local], sr_out[splits, local]
        if best_in is None:
            best_in, best_out = value, at_out
        else:  # the first maximum wins, NaN above all, as argmax over the whole row would
            better = (value > best_in) | (xp.isnan(value) & ~xp.isnan(best_in))
            best_in = xp.where(better, value, best_in)
            best_out = xp.where(better, at_out, best_out)
        kept_out = sr_out if len(chunks) == 1 else None
    below: Any = 0
    ties: Any = 0
    for a, b in chunks:
        sr_out = kept_out if kept_out is not None else sharpe(outs, count_out, a, b)
        below = below + (sr_out < best_out[:, None]).sum(axis=1)
        ties = ties + (sr_out == best_out[:, None]).sum(axis=1)
    rank = below + (ties + 1) / 2.0  # 1 = worst; ties share the middle rank
    omega = rank / (configs + 1)
    return xp.log(omega / (1 - omega))


def pbo(returns: Any, n_splits: int = 16, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> PboResult:
    """Probability of Backtest Overfitting of the configs whose returns are the columns.

    Parameters
    ----------
    returns : array [T, N]
        Per-bucket returns (or pnl, quote currency), one column per config; NumPy, CuPy or a
        strict simulated-device array, any layout (the sweep's ``bucket_pnl`` is a transposed
        view). It is never copied whole.
    n_splits : int
        Even number of contiguous blocks, ``S`` (``C(S, S/2)`` splits are evaluated).
    memory_budget : int
        Bytes the temporaries may take, besides the two ``S x N`` float64 block sums.

    Returns
    -------
    PboResult
    """
    xp = array_namespace(returns)
    device = array_device(returns)
    rows, configs = returns.shape
    if n_splits < 2 or n_splits % 2:
        raise ValueError(f"n_splits must be an even number >= 2, got {n_splits}")
    if rows < n_splits:
        raise ValueError(f"{rows} rows cannot be cut into {n_splits} blocks")
    if configs < 2:
        raise ValueError("PBO needs at least two configs")
    edges = np.linspace(0, rows, n_splits + 1).astype(int)
    block_sum, block_sq = _block_sums(returns, edges, xp, memory_budget)
    block_n = to_device(np.diff(edges).astype(np.float64), device, "pbo block sizes")
    combos = list(itertools.combinations(range(n_splits), n_splits // 2))
    per_pass, width = _pass_shape(len(combos), configs, memory_budget)
    logits = np.empty(len(combos))
    for lo in range(0, len(combos), per_pass):
        part = combos[lo : lo + per_pass]
        chosen = np.zeros((len(part), n_splits))
        for i, combo in enumerate(part):
            chosen[i, list(combo)] = 1.0
        found = _logits(
            to_device(chosen, device, "pbo splits"), block_sum, block_sq, block_n, width, xp
        )
        logits[lo : lo + len(part)] = to_device(found, "cpu", "pbo logits")
    return PboResult(float((logits <= 0).mean()), logits, n_splits, len(combos))
