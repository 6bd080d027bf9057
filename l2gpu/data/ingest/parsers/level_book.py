"""Price-level order book on an integer tick grid, for diff feeds (Binance, Tardis incremental).

Each side is a dense ladder of sizes indexed by ``tick - base`` over a window of ``N`` ticks, so
an update at any depth costs O(1); the best level is tracked and re-found by a short scan when it
empties. Prices outside the window (far-away orders, a market that moved) go to a small sorted
overflow per side, keyed ``+tick`` for bids and ``-tick`` for asks so that both are ascending with
the level nearest the touch at the end. A size of 0 deletes the level (deleting an absent level is
a no-op, as on Binance).

Prices arrive as integer units of ``10**-scale``; the ladder needs them on the tick grid
(``units % tick_units == 0``). An update off the grid stops the kernel with
:data:`STATUS_OFF_GRID` and its position, so the caller can refine the grid and resume there.

After each event the top ``K`` levels of both sides are written out, prices converted exactly:
``tick * tick_units / 10**scale`` is the float64 nearest to the decimal price (units < 2**53).
"""

from __future__ import annotations

import math

import numba

BID = 0
ASK = 1
NONE = -1

STATUS_DONE = 0
STATUS_OFF_GRID = 1

# Slots of the int64 state vector.
BASE = 0
TICK_UNITS = 1
BEST_BID = 2
BEST_ASK = 3
LADDER_BIDS = 4
LADDER_ASKS = 5
OVERFLOW_BIDS = 6
OVERFLOW_ASKS = 7
STATE_SLOTS = 8


@numba.njit(cache=True, inline="always")
def _lower_bound_from_end(keys, n, key):
    """First ``i`` in ascending ``keys[:n]`` with ``keys[i] >= key``; gallops from the end."""
    hi = n
    step = 1
    lo = n - step
    while lo > 0 and keys[lo] > key:
        hi = lo
        step *= 2
        lo = n - step
    lo = max(lo, 0)
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, inline="always")
def _set_overflow(keys, sizes, n, key, size):
    """Set the overflow level ``key`` to ``size`` (0 deletes); return the new level count."""
    i = _lower_bound_from_end(keys, n, key)
    if i < n and keys[i] == key:
        if size == 0.0:
            for j in range(i, n - 1):
                keys[j] = keys[j + 1]
                sizes[j] = sizes[j + 1]
            return n - 1
        sizes[i] = size
        return n
    if size == 0.0:
        return n
    for j in range(n, i, -1):
        keys[j] = keys[j - 1]
        sizes[j] = sizes[j - 1]
    keys[i] = key
    sizes[i] = size
    return n + 1


@numba.njit(cache=True, inline="always")
def _set_ladder(ladder, state, s, i, size):
    """Set ladder level ``i`` of side ``s`` to ``size``, keeping the best index and the count."""
    width = ladder.shape[1]
    old = ladder[s, i]
    ladder[s, i] = size
    best_slot = BEST_BID + s
    count_slot = LADDER_BIDS + s
    best = state[best_slot]
    if size > 0.0 and old == 0.0:
        state[count_slot] += 1
        if best == NONE or (s == BID and i > best) or (s == ASK and i < best):
            state[best_slot] = i
    elif size == 0.0 and old > 0.0:
        state[count_slot] -= 1
        if i == best:
            state[best_slot] = NONE
            if state[count_slot] > 0:
                step = -1 if s == BID else 1
                j = i + step
                while 0 <= j < width:
                    if ladder[s, j] > 0.0:
                        state[best_slot] = j
                        break
                    j += step


@numba.njit(cache=True, inline="always")
def _emit_side(ladder, state, keys, sizes, s, price_divisor, out_px, out_sz, row):
    """Write the top ``K`` levels of side ``s`` into column ``row`` of ``out_px``, ``out_sz``."""
    depth = out_px.shape[0]
    width = ladder.shape[1]
    base = state[BASE]
    tick_units = state[TICK_UNITS]
    sign = 1 if s == BID else -1
    n_over = state[OVERFLOW_BIDS + s]
    k = 0
    # Overflow levels nearer the touch than the window: at the end of the sorted keys.
    o = n_over - 1
    while k < depth and o >= 0:
        tick = sign * keys[s, o]
        if (s == BID and tick < base + width) or (s == ASK and tick >= base):
            break
        out_px[k, row] = (tick * tick_units) / price_divisor
        out_sz[k, row] = sizes[s, o]
        k += 1
        o -= 1
    # The ladder, from the best level away from the touch.
    remaining = state[LADDER_BIDS + s]
    j = state[BEST_BID + s]
    step = -1 if s == BID else 1
    while k < depth and remaining > 0 and 0 <= j < width:
        if ladder[s, j] > 0.0:
            out_px[k, row] = ((base + j) * tick_units) / price_divisor
            out_sz[k, row] = ladder[s, j]
            k += 1
            remaining -= 1
        j += step
    # Overflow levels beyond the window on the far side.
    while k < depth and o >= 0:
        tick = sign * keys[s, o]
        out_px[k, row] = (tick * tick_units) / price_divisor
        out_sz[k, row] = sizes[s, o]
        k += 1
        o -= 1
    while k < depth:
        out_px[k, row] = math.nan
        out_sz[k, row] = 0.0
        k += 1


@numba.njit(cache=True, nogil=True)
def apply_events(
    ladder,
    state,
    over_keys,
    over_sizes,
    event_starts,
    event_clear,
    side,
    units,
    size,
    price_divisor,
    position,
    out_bid_px,
    out_bid_sz,
    out_ask_px,
    out_ask_sz,
):
    """Apply events of level updates, writing the top ``K`` levels after each one.

    Parameters
    ----------
    ladder : float64[2, N]
        Sizes by side and ``tick - base`` (0 = empty); updated in place.
    state : int64[STATE_SLOTS]
        ``BASE``, ``TICK_UNITS``, best indices and level counts; updated in place.
    over_keys, over_sizes : int64[2, cap], float64[2, cap]
        Sorted overflow levels per side; ``cap`` must exceed the levels held plus the updates.
    event_starts : int64[E + 1]
        Updates of event ``e`` are ``event_starts[e]:event_starts[e + 1]``.
    event_clear : bool[E]
        Empty the book before event ``e`` (a new snapshot).
    side, units, size : int8[U], int64[U], float64[U]
        Level updates: 0 bid / 1 ask, price in units, absolute new size in base units.
    price_divisor : float
        ``10**scale``.
    position : int64[2]
        In: the event and update to start at. Out: where the kernel stopped.
    out_bid_px, out_bid_sz, out_ask_px, out_ask_sz : float64[K, E]
        Top ``K`` levels after each event (missing level: NaN price, size 0).

    Returns
    -------
    int
        ``STATUS_DONE``, or ``STATUS_OFF_GRID`` with ``position`` at the offending update.
    """
    width = ladder.shape[1]
    tick_units = state[TICK_UNITS]
    u = position[1]
    for e in range(position[0], event_starts.shape[0] - 1):
        if u == event_starts[e] and event_clear[e]:
            ladder[:, :] = 0.0
            state[BEST_BID] = NONE
            state[BEST_ASK] = NONE
            state[LADDER_BIDS] = 0
            state[LADDER_ASKS] = 0
            state[OVERFLOW_BIDS] = 0
            state[OVERFLOW_ASKS] = 0
        while u < event_starts[e + 1]:
            if units[u] % tick_units != 0:
                position[0] = e
                position[1] = u
                return STATUS_OFF_GRID
            s = side[u]
            tick = units[u] // tick_units
            i = tick - state[BASE]
            if 0 <= i < width:
                _set_ladder(ladder, state, s, i, size[u])
            else:
                key = tick if s == BID else -tick
                state[OVERFLOW_BIDS + s] = _set_overflow(
                    over_keys[s], over_sizes[s], state[OVERFLOW_BIDS + s], key, size[u]
                )
            u += 1
        _emit_side(
            ladder, state, over_keys, over_sizes, BID, price_divisor, out_bid_px, out_bid_sz, e
        )
        _emit_side(
            ladder, state, over_keys, over_sizes, ASK, price_divisor, out_ask_px, out_ask_sz, e
        )
    position[0] = event_starts.shape[0] - 1
    position[1] = u
    return STATUS_DONE
