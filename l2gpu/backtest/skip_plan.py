"""Which configs of a CPU sweep skip their flat rows: an estimate of each config's trade density.

Event skipping (:mod:`l2gpu.kernels.sweep_skip`) gives the results of the dense scan exactly,
so the choice is about speed only. A skip costs a descent of the signal's block maxima and a
mark per closed Sharpe bucket; the dense scan costs one step per row. Skipping pays when a
flat config waits long for its entry: the rule estimates the share of rows where its entry
fires (``x >= entry`` for a long, ``x <= -entry`` for a short, as ``direction`` allows) from an
evenly spaced sample of :data:`SAMPLE` rows of its signal, and skips where that share is below
:data:`SKIP_BELOW` (a flat run of more than about 16 rows on average). ``docs/engines.md``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from l2gpu.kernels import sweep_layout as layout

SAMPLE = 4096
"""Rows of each signal the estimate looks at (evenly spaced)."""
SKIP_BELOW = 1 / 16
"""Configs whose entry fires on fewer than this share of the sampled rows skip."""

Skipping = Literal["auto", "always", "never"]


def entry_rates(signals: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Estimated share of rows where each config's entry fires, float64 ``[P]``."""
    rows = signals.shape[1]
    step = max(1, rows // SAMPLE)
    rates = np.zeros(params.shape[0])
    for s in range(signals.shape[0]):
        mine = params[:, layout.P_SIGNAL] == s
        if not mine.any():
            continue
        sample = np.sort(signals[s, ::step])  # NaN sorts last and never fires
        entry, direction = params[mine, layout.P_ENTRY], params[mine, layout.P_DIRECTION]
        longs = sample.size - np.searchsorted(sample, entry, side="left")
        longs -= np.count_nonzero(np.isnan(sample))
        shorts = np.searchsorted(sample, -entry, side="right")
        fires = np.where(direction >= 0, longs, 0) + np.where(direction <= 0, shorts, 0)
        rates[mine] = fires / sample.size
    return rates


def skip_flags(signals: np.ndarray, params: np.ndarray, skipping: Skipping) -> np.ndarray:
    """Return which configs skip, bool ``[P]`` (``"auto"``: the rule of the module doc)."""
    if skipping == "always":
        return np.ones(params.shape[0], bool)
    if skipping == "never":
        return np.zeros(params.shape[0], bool)
    return entry_rates(signals, params) < SKIP_BELOW
