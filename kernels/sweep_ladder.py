"""Stop ladders on the CPU: configs that differ only in their stop-loss share one path.

Configs whose parameters are the same bits but for ``stop_loss_bps`` (a *ladder*,
:func:`l2gpu.backtest.ladders.stop_ladders`) take the same decisions at every row until one of
their stops fires, so they run as one: the *leader* (the loosest stop) steps the rows, and the
other configs (the *members*, tightest stop first) wait. A stop fires only at a row where a
position with no order pending is marked, after its entry row (``docs/semantics.md``), and a
tighter stop fires wherever a looser one does (the stop level ``entry_px * (1 - stop)`` of a
long falls as ``stop`` grows, rounding included, for a positive ``entry_px``). So at each such
row, before stepping it, the leader checks the tightest waiting member's stop
(:func:`stop_fires`); where it fires, every waiting member whose stop fires there takes a copy
of the leader's state (:func:`split_off`) and runs alone from that row on, with its own stop.
The leader searches its exits with the tightest waiting stop, so a jump over the rows of a
position never passes a row where a member splits. After the last row the members still
waiting take the leader's state (:func:`release_cpu`) and are closed like any other config.

The results are the dense scan's for every config, bit for bit: up to its split, a member's
state would have been the leader's in every field; after it, it runs its own rows.
``entry_px <= 0`` (where the ordering of the stop levels turns around) splits every waiting
member at once. CPU only: the GPU runs every config on its own thread.
"""

from __future__ import annotations

import numba

from l2gpu.kernels.jit import cpu_device_jit
from l2gpu.kernels.sweep_layout import F_ENTRY_PX, F_POSITION, I_BUCKET, I_TRADES, P_STOP_BPS
from l2gpu.kernels.unfused import mul_cpu

WAITING = 1 << 62
"""The next row of a member that waits on its leader: past every row."""


@cpu_device_jit
def stop_frac(par):
    """Return the stop of parameters ``par`` as a fraction of the entry price (as ``load`` does)."""
    return mul_cpu(par[P_STOP_BPS], 1e-4)


@cpu_device_jit
def stop_fires(position, entry_px, mid_t, frac):
    """Whether a stop of ``frac`` fires at a row of mid ``mid_t`` for ``position``.

    The comparisons are the state machine's (a stop of ``frac <= 0`` is off); ``entry_px <= 0``
    counts as firing (see the module doc).
    """
    if entry_px <= 0.0:
        return True
    if not frac > 0.0:
        return False
    if position > 0.0:
        return mid_t <= entry_px * (1.0 - frac)
    return mid_t >= entry_px * (1.0 + frac)


@cpu_device_jit
def copy_config(src, dst, state, out):
    """Give config ``dst`` config ``src``'s state, its recorded trades and its closed buckets."""
    _, fstate, istate = state
    rec_f, rec_i, bucket_pnl = out
    fstate[dst, :] = fstate[src, :]
    istate[dst, :] = istate[src, :]
    buckets = min(istate[src, I_BUCKET] + 1, bucket_pnl.shape[1])
    bucket_pnl[dst, :buckets] = bucket_pnl[src, :buckets]
    trades = min(istate[src, I_TRADES] + 1, rec_f.shape[1])  # and an open trade's entry
    rec_f[dst, :trades] = rec_f[src, :trades]
    rec_i[dst, :trades] = rec_i[src, :trades]


@cpu_device_jit
def split_off(leader, members, split, mid_t, state, out):
    """Split the waiting members whose stop fires at a row of mid ``mid_t``; return the new count.

    ``members`` are the leader's members, tightest stop first, of which the first ``split``
    have split off already; the leader's state rows hold its state before the row.
    """
    params, fstate, _ = state
    position, entry_px = fstate[leader, F_POSITION], fstate[leader, F_ENTRY_PX]
    while split < members.shape[0]:
        member = members[split]
        if not stop_fires(position, entry_px, mid_t, stop_frac(params[member])):
            break
        copy_config(leader, member, state, out)
        split += 1
    return split


@numba.njit(cache=True)
def release_cpu(state, out, plan):
    """After the last row: every member still waiting takes its leader's state."""
    order, _, followers, split = plan
    for k in range(order.shape[0]):
        leader = order[k]
        for j in range(split[leader], followers[k]):
            copy_config(leader, order[k + 1 + j], state, out)
