"""The grid-quoting strategy of the comparison, run in hftbacktest (a ``[bench]`` dependency).

Feed: hftbacktest's own Binance USD-M converter reads the recorder file from the line of the
first depth diff that l2gpu applies (the one that straddles the REST snapshot). Every event
keeps its exchange time as its local time, so the strategy sees the book at exchange time, as
l2gpu's does (no feed latency).

Strategy, at each decision time (the times l2gpu's ``requote`` clock decides at): bid
``floor((mid - h * tick) / tick)`` and ask ``ceil((mid + h * tick) / tick)`` ticks, kept one tick
off the opposite best; a side quotes only while ``|position ± size| <= max_position``; a side
whose wanted price differs from the latest order it believes stands there cancels that order and
sends a post-only (GTX) quote. Fills are read from the orders the strategy knows are filled.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
from hftbacktest import BUY, EXPIRED, FILLED, GTX, LIMIT
from numba import njit

FILL_CAPACITY = 100_000


def feed(path: Path, first_u: int, tmp: Path) -> np.ndarray:
    """Return hftbacktest's events (its ``event_dtype``) from l2gpu's first applied diff on.

    ``first_u`` is the final update id of the first diff l2gpu applies (its first row's
    ``seq``). The converter turns the REST snapshot line, which follows that diff in the file,
    into a depth clear and snapshot events at the snapshot's time, so both engines start from
    the snapshot with the same diffs applied.
    """
    from hftbacktest.data.utils import binancefutures
    from hftbacktest.types import EXCH_EVENT, LOCAL_EVENT

    with gzip.open(path, "rt") as fh:
        lines = fh.readlines()
    start = None
    for i, line in enumerate(lines):
        data = json.loads(line.split(" ", 1)[1]).get("data", {})
        if data.get("e") == "depthUpdate" and data["u"] == first_u:
            start = i
            break
    assert start is not None, f"no depth diff with u={first_u}"
    kept = tmp / "from_first_diff.gz"
    with gzip.open(kept, "wt") as fh:
        fh.writelines(lines[start:])
    converted = binancefutures.convert(str(kept))
    # Exchange-ordered events, each seen locally at its exchange time: no feed latency.
    events = converted[(converted["ev"] & EXCH_EVENT) > 0].copy()
    events["local_ts"] = events["exch_ts"]
    events["ev"] |= LOCAL_EVENT
    return events[np.argsort(events["exch_ts"], kind="stable")]


def build(events: np.ndarray, cfg: dict[str, Any]) -> Any:
    """Return an hftbacktest backtester over ``events`` with the config's latencies, queue, fees."""
    from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest

    asset = (
        BacktestAsset()
        .data(events)
        .linear_asset(1.0)
        .constant_latency(cfg["entry_latency_ns"], cfg["response_latency_ns"])
        .no_partial_fill_exchange()
        .trading_value_fee_model(cfg["maker_fee_bps"] * 1e-4, cfg["taker_fee_bps"] * 1e-4)
        .tick_size(cfg["tick"])
        .lot_size(cfg["lot"])
        .last_trades_capacity(0)
    )
    queue = cfg["queue"]
    if queue == "risk_averse":
        asset = asset.risk_adverse_queue_model()
    elif queue == "prob_power":
        asset = asset.power_prob_queue_model(cfg["queue_power"])
    else:
        asset = asset.log_prob_queue_model()
    return HashMapMarketDepthBacktest([asset])


@njit
def _side_wanted(want, sent_px, sent_id, live, buy, hbt, next_id, size, tick):
    """Send the side's order when the wanted price differs from what it believes stands."""
    believed = sent_px if live else -1
    if want == believed:
        return sent_px, sent_id, live, next_id
    if live:
        hbt.cancel(0, sent_id, False)
    if want < 0:
        return -1, sent_id, False, next_id
    if buy:
        hbt.submit_buy_order(0, next_id, want * tick, size, GTX, LIMIT, False)
    else:
        hbt.submit_sell_order(0, next_id, want * tick, size, GTX, LIMIT, False)
    return want, next_id, True, next_id + 1


@njit
def run_grid(hbt, decisions, half, size, max_position, tick, fill_ts, fills, best):
    """Quote at each decision time; writes ``fill_ts`` [N] (ns), ``fills`` [N, 2] (qty, px).

    ``best`` [D, 3] receives the best bid and ask ticks and the position at each decision.
    Returns the number of fills, the number of decisions made (the replay ends at the last
    event, so a decision at that very time is not reached) and the final (balance, position,
    fee).
    """
    hbt.elapse(0)  # the clock starts at the first event
    n = 0
    bid_px, bid_id, bid_live = -1, 0, False
    ask_px, ask_id, ask_live = -1, 0, False
    next_id = 1
    made = 0
    for k in range(decisions.shape[0]):
        wait = decisions[k] - hbt.current_timestamp
        if wait > 0 and hbt.elapse(wait) != 0:
            break
        made += 1
        values = hbt.orders(0).values()
        while True:
            order = values.next()
            if order is None:
                break
            if order.status == FILLED:  # as the strategy knows it
                qty = order.exec_qty if order.side == BUY else -order.exec_qty
                fill_ts[n] = order.exch_timestamp
                fills[n, 0] = qty
                fills[n, 1] = order.exec_price_tick * tick
                n += 1
                if order.order_id == bid_id:
                    bid_live = False
                if order.order_id == ask_id:
                    ask_live = False
            elif order.status == EXPIRED:  # a post-only quote that would have crossed
                if order.order_id == bid_id:
                    bid_live = False
                if order.order_id == ask_id:
                    ask_live = False
        hbt.clear_inactive_orders(0)
        depth = hbt.depth(0)
        best_bid, best_ask = depth.best_bid_tick, depth.best_ask_tick
        position = hbt.position(0)
        best[k, 0], best[k, 1], best[k, 2] = best_bid, best_ask, position
        mid = (depth.best_bid + depth.best_ask) / 2.0
        bid = int(np.floor((mid - half * tick) / tick))
        ask = int(np.ceil((mid + half * tick) / tick))
        bid = min(bid, best_ask - 1)
        ask = max(ask, best_bid + 1)
        if abs(position + size) > max_position + 1e-12:
            bid = -1
        if abs(position - size) > max_position + 1e-12:
            ask = -1
        bid_px, bid_id, bid_live, next_id = _side_wanted(
            bid, bid_px, bid_id, bid_live, True, hbt, next_id, size, tick
        )
        ask_px, ask_id, ask_live, next_id = _side_wanted(
            ask, ask_px, ask_id, ask_live, False, hbt, next_id, size, tick
        )
    values = hbt.state_values(0)
    return n, made, values.balance, values.position, values.fee
