"""Probability of Backtest Overfitting by combinatorially symmetric cross-validation (CSCV).

Bailey, Borwein, López de Prado and Zhu (2017). The ``T x N`` matrix of per-bucket returns (time
buckets x configs) is cut into ``S`` contiguous blocks of rows. For every way of choosing ``S/2``
blocks as the in-sample set (the rest is out of sample): pick the config with the best in-sample
Sharpe ratio, find its rank among all configs out of sample, ``w = rank / (N + 1)``, and its logit
``log(w / (1 - w))``. PBO is the share of splits whose logit is <= 0: the in-sample winner did no
better than the median out of sample.

Splits are evaluated from per-block sums, many at a time (matrix products over the
combinations), on the GPU when the returns live there (CuPy) and with NumPy otherwise. The
Sharpe ratio of a column is its mean over its population standard deviation (0 for a flat one).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from l2gpu.backend.arrays import array_namespace, to_device

COMBINATIONS_PER_PASS = 512
"""Splits evaluated per matrix product, bounding memory at 2 x 512 x configs float64."""


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


def pbo(returns: Any, n_splits: int = 16) -> PboResult:
    """Probability of Backtest Overfitting of the configs whose returns are the columns.

    Parameters
    ----------
    returns : array [T, N]
        Per-bucket returns (or pnl), one column per config; NumPy or CuPy.
    n_splits : int
        Even number of contiguous blocks, ``S`` (``C(S, S/2)`` splits are evaluated).

    Returns
    -------
    PboResult
    """
    xp = array_namespace(returns)
    rows, configs = returns.shape
    if n_splits < 2 or n_splits % 2:
        raise ValueError(f"n_splits must be an even number >= 2, got {n_splits}")
    if rows < n_splits:
        raise ValueError(f"{rows} rows cannot be cut into {n_splits} blocks")
    if configs < 2:
        raise ValueError("PBO needs at least two configs")
    edges = np.linspace(0, rows, n_splits + 1).astype(int)
    values = xp.nan_to_num(xp.asarray(returns, dtype=xp.float64))
    block_sum = xp.stack([values[a:b].sum(axis=0) for a, b in itertools.pairwise(edges)])
    block_sq = xp.stack([(values[a:b] ** 2).sum(axis=0) for a, b in itertools.pairwise(edges)])
    block_n = xp.asarray(np.diff(edges).astype(np.float64))
    combos = list(itertools.combinations(range(n_splits), n_splits // 2))
    logits = np.empty(len(combos))
    for lo in range(0, len(combos), COMBINATIONS_PER_PASS):
        part = combos[lo : lo + COMBINATIONS_PER_PASS]
        chosen = np.zeros((len(part), n_splits))
        for i, combo in enumerate(part):
            chosen[i, list(combo)] = 1.0
        ins = xp.asarray(chosen)
        outs = 1.0 - ins
        sr_in = _sharpe(ins @ block_sum, ins @ block_sq, (ins @ block_n)[:, None], xp)
        sr_out = _sharpe(outs @ block_sum, outs @ block_sq, (outs @ block_n)[:, None], xp)
        best = xp.argmax(sr_in, axis=1)
        best_out = sr_out[xp.arange(len(part)), best]
        below = (sr_out < best_out[:, None]).sum(axis=1)
        ties = (sr_out == best_out[:, None]).sum(axis=1)
        rank = below + (ties + 1) / 2.0  # 1 = worst; ties share the middle rank
        omega = rank / (configs + 1)
        logits[lo : lo + len(part)] = np.asarray(to_device(xp.log(omega / (1 - omega)), "cpu"))
    return PboResult(float((logits <= 0).mean()), logits, n_splits, len(combos))
