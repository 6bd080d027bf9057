"""Stop ladders: the configs of a CPU sweep that differ only in their stop-loss.

A grid that crosses stop levels with everything else has, for every other combination, a
ladder of configs that take the same decisions until a stop fires; the CPU driver runs each
ladder as one config until then (:mod:`l2gpu.kernels.sweep_ladder`, ``docs/engines.md``).
"""

from __future__ import annotations

import numpy as np

from l2gpu.kernels import sweep_layout as layout


def stop_ladders(params: np.ndarray, flags: np.ndarray) -> list[np.ndarray]:
    """Group the configs into ladders; return each as int64 configs, leader first.

    Configs share a ladder where their parameters (``[P, N_PARAMS]``) are the same bits but
    for ``P_STOP_BPS`` and their skip ``flags`` (``[P]``) are equal. The leader has the loosest
    stop (an off stop, ``<= 0``, is the loosest of all); the members follow, tightest stop
    first, ties in config order. A config alone is a ladder of one. The ladders come in the
    order of their first configs (a grid's neighbours stay neighbours).
    """
    configs = params.shape[0]
    if configs == 0:
        return []
    key = np.column_stack([params, flags.astype(np.float64)])
    key[:, layout.P_STOP_BPS] = 0.0
    rows = np.ascontiguousarray(key).view(np.dtype((np.void, key.shape[1] * 8))).ravel()
    _, group = np.unique(rows, return_inverse=True)
    stop = params[:, layout.P_STOP_BPS]
    tightness = np.where(stop > 0.0, stop, np.inf)
    ranked = np.lexsort((np.arange(configs), tightness, group))
    bounds = np.flatnonzero(np.diff(group[ranked])) + 1
    ladders = [
        np.concatenate([ladder[-1:], ladder[:-1]])
        for ladder in np.split(ranked.astype(np.int64), bounds)
    ]
    return sorted(ladders, key=lambda ladder: int(ladder.min()))
