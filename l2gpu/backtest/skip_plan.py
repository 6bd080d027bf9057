"""What each config of a CPU sweep skips: an estimate of how long it waits for its next decision.

Event skipping (:mod:`l2gpu.kernels.sweep_skip` for flat rows, :mod:`l2gpu.kernels.sweep_hold`
for the rows of a position) gives the results of the dense scan exactly, so the choice is about
speed only. A skip costs a few descents of block maxima and a mark per closed Sharpe bucket; the
dense scan costs one step per row. Skipping pays when the wait is long (more than about 16 rows
on average), which the rule estimates from an evenly spaced sample of :data:`SAMPLE` rows:

- flat rows (``SKIP_FLAT``): the share of sampled rows where the config's entry fires
  (``x >= entry`` for a long, ``x <= -entry`` for a short, as ``direction`` allows) is below
  :data:`SKIP_BELOW`;
- rows in a position (``SKIP_HOLD``): the share where its signal exit fires (``x <= exit`` for
  a long, ``x >= -exit`` for a short; the larger of the two where both are allowed) is below
  :data:`SKIP_BELOW`, and ``max_hold``, if set, is at least ``1 / SKIP_BELOW`` rows (a time
  hold in rows at the sample's median spacing of ``ts``).

The same sample decides where a signal gets candidate lists (:func:`search_bases`,
:mod:`l2gpu.kernels.candidates`): for each sign, the rows at or above the lowest level its
skipping configs search for, unless that is more than :data:`LIST_AT_MOST` of the sampled rows
(near a decision anyway, a search is short without a list).

The same estimate deals the configs to the threads (:func:`thread_plan`): a grid's slow
configs (a low entry on a busy signal) tend to sit side by side, and each thread should get a
like share of them.

``docs/engines.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from l2gpu.backtest.ladders import stop_ladders
from l2gpu.kernels import sweep_layout as layout
from l2gpu.kernels.sweep_args import SKIP_FLAT, SKIP_HOLD, ThreadPlan

SAMPLE = 4096
"""Rows of each signal the estimate looks at (evenly spaced)."""
SKIP_BELOW = 1 / 16
"""Configs whose next decision comes on fewer than this share of the sampled rows skip."""

LIST_AT_MOST = 1 / 4
"""A signal's candidate list of a sign is built where it holds at most this share of the rows."""

Skipping = Literal["auto", "always", "never"]


def _sample(signals: np.ndarray) -> np.ndarray:
    """Each signal's evenly spaced sample, sorted (NaN last), ``[S, n]``."""
    return np.sort(signals[:, :: max(1, signals.shape[1] // SAMPLE)], axis=1)


def _share_at_least(sample: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Share of the sorted ``sample`` at or above each of ``levels`` (NaN never counting)."""
    above = sample.size - np.searchsorted(sample, levels, side="left")
    return (above - np.count_nonzero(np.isnan(sample))) / sample.size


def _share_at_most(sample: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Share of the sorted ``sample`` at or below each of ``levels``."""
    return np.searchsorted(sample, levels, side="right") / sample.size


def _per_config(
    signals: np.ndarray,
    params: np.ndarray,
    column: int,
    share: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """``share(sample, levels, direction)`` of each config, on its signal's sample, ``[P]``.

    ``levels`` are the configs' ``params[:, column]``, ``direction`` their ``P_DIRECTION``.
    """
    rates = np.zeros(params.shape[0])
    for s, sample in enumerate(_sample(signals)):
        mine = params[:, layout.P_SIGNAL] == s
        rates[mine] = share(sample, params[mine, column], params[mine, layout.P_DIRECTION])
    return rates


def _entry_share(sample: np.ndarray, entry: np.ndarray, direction: np.ndarray) -> np.ndarray:
    longs = np.where(direction >= 0, _share_at_least(sample, entry), 0.0)
    shorts = np.where(direction <= 0, _share_at_most(sample, -entry), 0.0)
    return longs + shorts


def _exit_share(sample: np.ndarray, exit_at: np.ndarray, direction: np.ndarray) -> np.ndarray:
    longs = np.where(direction >= 0, _share_at_most(sample, exit_at), 0.0)
    shorts = np.where(direction <= 0, _share_at_least(sample, -exit_at), 0.0)
    return np.maximum(longs, shorts)


def entry_rates(signals: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Estimated share of rows where each config's entry fires, float64 ``[P]``."""
    return _per_config(signals, params, layout.P_ENTRY, _entry_share)


def exit_rates(signals: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Estimated share of rows where each config's signal exit fires, float64 ``[P]``."""
    return _per_config(signals, params, layout.P_EXIT, _exit_share)


def hold_rows(ts: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Each config's ``max_hold`` in rows (a time hold at the median row spacing), inf if off."""
    hold = params[:, layout.P_MAX_HOLD]
    gaps = np.diff(ts[:: max(1, ts.shape[0] // SAMPLE)]) / max(1, ts.shape[0] // SAMPLE)
    spacing = float(np.median(gaps)) if gaps.size else 0.0
    rows = np.where(params[:, layout.P_MAX_HOLD_IS_TIME] > 0, hold / max(spacing, 1e-9), hold)
    return np.where(hold < 0, np.inf, rows)


def skip_flags(
    ts: np.ndarray, signals: np.ndarray, params: np.ndarray, skipping: Skipping
) -> np.ndarray:
    """Return what each config skips, uint8 ``[P]`` (``"auto"``: the rule of the module doc).

    A time hold is searched for on ``ts``: configs with one skip no position where ``ts``
    decreases somewhere.
    """
    configs = params.shape[0]
    if skipping == "never":
        return np.zeros(configs, np.uint8)
    flat = np.ones(configs, bool)
    hold = np.ones(configs, bool)
    if skipping == "auto":
        flat = entry_rates(signals, params) < SKIP_BELOW
        hold = (exit_rates(signals, params) < SKIP_BELOW) & (
            hold_rows(ts, params) >= 1 / SKIP_BELOW
        )
    if ts.shape[0] > 1 and bool(np.any(ts[1:] < ts[:-1])):
        hold &= params[:, layout.P_MAX_HOLD_IS_TIME] <= 0
    return (np.where(flat, SKIP_FLAT, 0) | np.where(hold, SKIP_HOLD, 0)).astype(np.uint8)


def search_bases(signals: np.ndarray, params: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Return the base of each signal's candidate lists, float64 ``[S, 2]`` (``inf``: no list).

    ``base[s, 0]`` is the lowest level searched for as ``x >= level`` on signal ``s`` (the
    entries of longs that skip flat rows, ``-exit`` of shorts that skip positions),
    ``base[s, 1]`` the lowest searched for as ``-x >= level`` (entries of shorts, ``-exit`` of
    longs); NaN levels, which no row reaches, are left out. A list that would hold more than
    :data:`LIST_AT_MOST` of the sampled rows is not built.
    """
    base = np.full((signals.shape[0], 2), np.inf)
    signal = params[:, layout.P_SIGNAL].astype(np.int64)
    direction = params[:, layout.P_DIRECTION]
    flat, hold = (flags & SKIP_FLAT) > 0, (flags & SKIP_HOLD) > 0
    searches = (
        (0, flat & (direction >= 0), params[:, layout.P_ENTRY]),
        (1, flat & (direction <= 0), params[:, layout.P_ENTRY]),
        (1, hold & (direction >= 0), -params[:, layout.P_EXIT]),
        (0, hold & (direction <= 0), -params[:, layout.P_EXIT]),
    )
    for k, mine, level in searches:
        np.fmin.at(base[:, k], signal[mine], level[mine])
    for s, sample in enumerate(_sample(signals)):
        listed = (_share_at_least(sample, base[s, 0]), _share_at_most(sample, -base[s, 1]))
        base[s, np.asarray(listed) > LIST_AT_MOST] = np.inf
    return base


def thread_plan(
    signals: np.ndarray, params: np.ndarray, flags: np.ndarray, threads: int, ladders: bool
) -> ThreadPlan:
    """Return which configs each of ``threads`` threads runs, and in which order.

    Configs are sorted by their estimated cost (rows stepped: all of them for a config that
    does not skip its flat rows, the rows where its entry fires otherwise) and dealt in turn to
    ``threads`` runs, so that each thread gets a like share of the slow ones. With ``ladders``,
    the configs that differ only in their stop are dealt as one, their stop ladder
    (:func:`l2gpu.backtest.ladders.stop_ladders`): leader first, its members after it.
    """
    configs = params.shape[0]
    if ladders:
        groups = stop_ladders(params, flags)
    else:
        groups = [np.array([p], np.int64) for p in range(configs)]
    leaders = np.array([group[0] for group in groups], np.int64)
    cost = np.where(flags & SKIP_FLAT, entry_rates(signals, params), 1.0)[leaders]
    ranked = np.argsort(-cost, kind="stable")
    runs = [ranked[k::threads] for k in range(max(1, threads))]
    order, followers, shares = [], [], [0]
    for run in runs:
        for g in run:
            order.extend(groups[g])
            followers.extend([len(groups[g]) - 1] + [0] * (len(groups[g]) - 1))
        shares.append(len(order))
    return ThreadPlan(
        np.array(order, np.int64),
        np.array(shares, np.int64),
        np.array(followers, np.int64),
        np.zeros(configs, np.int64),
    )
