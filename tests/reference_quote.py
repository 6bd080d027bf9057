"""A plain-Python backtest of one quote-family config, written from docs/quote.md.

Nothing here calls the kernels: one event loop over the rows with Python objects (a dict per
quote, lists for the orders in flight and the fills not yet seen), with its own book lookups,
alignment of trades to rows and metrics (those three in ``reference_quote_market``), so that
the kernel can be checked against an obvious implementation. The only things shared with the
kernel are the semantic constants (queue capacities, the size below which a quantity is zero,
the largest power taken as repeated products) and the depth walk of the threshold reference.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np

from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.kernels.quote_layout import MAX_IN_FLIGHT, MAX_UNSEEN
from l2gpu.kernels.quote_orders import QTY_EPS
from l2gpu.kernels.quote_queue import MAX_WHOLE_POWER
from tests.reference_quote_market import Levels, equity_statistics, fraction, span, trades_by_row
from tests.reference_sweep import walk

BID, ASK = 0, 1


def backtest(book: Book, trades: Trades, x, cfg: dict, bucket_ns: int = 10**9):
    """Return (metrics dict, list of fill dicts) for one config."""
    num, den = fraction(book.meta.tick_size)
    tick = num / den
    size = float(cfg.get("size", 1.0))
    half = float(cfg.get("half_spread_ticks", 1.0))
    skew = float(cfg.get("skew_bps", 0.0))
    inv_skew = float(cfg.get("inventory_skew_ticks", 0.0))
    max_pos = cfg.get("max_position")
    max_pos = math.inf if max_pos is None else float(max_pos)
    requote = span(cfg.get("requote", 0))
    latency = span(cfg.get("entry_latency", 0))
    response = span(cfg.get("response_latency", 0))
    queue = cfg.get("queue", "risk_averse")
    power = float(cfg.get("queue_power", 2.0))
    partial = bool(cfg.get("partial_fills", False))
    maker_bps = float(cfg.get("maker_fee_bps", 2.0))
    taker_bps = float(cfg.get("taker_fee_bps", 5.0))
    stop = float(cfg.get("stop_loss_bps", 0.0)) * 1e-4
    max_hold = span(cfg.get("max_hold"))
    cooldown = int(cfg.get("cooldown", 0))
    if x is None:
        x = np.zeros(len(book))

    ts = [int(v) for v in book.ts]
    rows = len(ts)
    mid = [(float(b) + float(a)) / 2 for b, a in zip(book.bid_px[0], book.ask_px[0], strict=True)]
    bids = [Levels(book.bid_px[:, t], book.bid_sz[:, t], tick) for t in range(rows)]
    asks = [Levels(book.ask_px[:, t], book.ask_sz[:, t], tick) for t in range(rows)]
    sides = (bids, asks)

    row_trades = trades_by_row(ts, trades, tick)

    def mid_after(when):
        j = bisect.bisect_left(ts, when + 10**9)
        return mid[j] if j < rows else math.nan

    def price_of(p):
        return (p * num) / den

    acct: dict[str, float] = {"cash": 0.0, "pos": 0.0, "fees": 0.0, "turnover": 0.0, "max_abs": 0.0}
    counts: dict[str, int] = dict(
        fills=0, adverse_n=0, taker_exits=0, rejected=0, throttled=0, seen_early=0
    )
    sums: dict[str, float] = {"maker_volume": 0.0, "placed": 0.0, "adverse": 0.0}
    seen: dict[str, Any] = {"pos": 0.0, "avg": 0.0, "open_ts": 0, "open_row": 0}
    unseen: list[dict[str, Any]] = []  # fills the strategy has not seen yet, oldest first
    book_sides: list[dict[str, Any]] = [
        {"quote": None, "flight": [], "latest": None, "live": False, "sent": 0} for _ in range(2)
    ]
    market: dict[str, Any] = {"state": "none", "qty": 0.0, "target": 0}
    strategy: dict[str, Any] = {"exiting": False, "next_quote_row": 0, "last_decision": None}
    fills: list[dict[str, Any]] = []

    def is_due(target, in_time, t):
        return ts[t] >= target if in_time else t >= target

    def book_fill(qty, price, fee_bps, when, t, maker, oid):
        notional = abs(qty) * price
        fee = fee_bps * 1e-4 * notional
        acct["cash"] -= qty * price + fee
        acct["fees"] += fee
        acct["turnover"] += notional
        acct["pos"] += qty
        if abs(acct["pos"]) < QTY_EPS:
            acct["pos"] = 0.0
        acct["max_abs"] = max(acct["max_abs"], abs(acct["pos"]))
        fills.append(
            dict(
                row=t,
                ts=when,
                maker=maker,
                order_id=oid,
                qty=qty,
                px=price,
                fee=fee,
                position=acct["pos"],
            )
        )

    def see(entry):
        before = seen["pos"]
        after = before + entry["qty"]
        if abs(after) < QTY_EPS:
            after = 0.0
        if before == 0.0 or (after != 0.0 and (after > 0) != (before > 0)):
            seen["avg"], seen["open_ts"], seen["open_row"] = entry["px"], entry["ts"], entry["row"]
        elif (entry["qty"] > 0) == (before > 0):
            seen["avg"] = (seen["avg"] * abs(before) + entry["px"] * abs(entry["qty"])) / (
                abs(before) + abs(entry["qty"])
            )
        if after == 0.0:
            seen["avg"] = 0.0
        seen["pos"] = after
        if entry["what"] == "market":
            market["state"] = "none"
        elif entry["what"] == "completes":
            side = book_sides[entry["side"]]
            if side["sent"] == entry["oid"]:
                side["live"] = False

    def remember(qty, price, when, t, what, side, oid):
        if len(unseen) == MAX_UNSEEN:
            see(unseen.pop(0))
            counts["seen_early"] += 1
        target = when + response[0] if response[1] else t + response[0]
        unseen.append(
            dict(qty=qty, px=price, ts=when, row=t, target=target, what=what, side=side, oid=oid)
        )

    def see_due(t):
        while unseen and is_due(unseen[0]["target"], response[1], t):
            see(unseen.pop(0))

    def maker_fill(s, qty, when, t, future):
        quote = book_sides[s]["quote"]
        price = price_of(quote["px"])
        sign = 1.0 if s == BID else -1.0
        quote["remaining"] -= qty
        done = quote["remaining"] < QTY_EPS
        book_fill(sign * qty, price, maker_bps, when, t, True, quote["oid"])
        remember(sign * qty, price, when, t, "completes" if done else "partial", s, quote["oid"])
        counts["fills"] += 1
        sums["maker_volume"] += qty
        if not math.isnan(future):
            sums["adverse"] += sign * (price - future) / price
            counts["adverse_n"] += 1
        if done:
            book_sides[s]["quote"] = None

    def market_fill(col, when, t):
        qty = market["qty"]
        if qty > 0:
            vwap, _ = walk(book.ask_px, book.ask_sz, col, qty)
        else:
            vwap, _ = walk(book.bid_px, book.bid_sz, col, -qty)
        if math.isnan(vwap):
            market["state"] = "none"
            return
        book_fill(qty, vwap, taker_bps, when, t, False, 0)
        remember(qty, vwap, when, t, "market", None, 0)
        market["state"] = "unseen"

    def reach(s, message, t, col, fresh, arrival):
        """An order at the exchange: its cancel, then its post-only quote."""
        side = book_sides[s]
        side["quote"] = None
        p = message["px"]
        if p is None:
            return
        opposite = sides[1 - s][col].best()
        if opposite is not None and (p >= opposite if s == BID else p <= opposite):
            counts["rejected"] += 1
            if side["sent"] == message["oid"]:
                side["live"] = False
            return
        side["quote"] = dict(
            px=p,
            remaining=size,
            ahead=sides[s][col].shown(p, s == BID),
            arrival=arrival,
            fresh=fresh,
            oid=message["oid"],
            met=0.0,
        )
        sums["placed"] += size

    def send(s, p, t):
        side = book_sides[s]
        wanted_now = side["latest"] if side["live"] else None
        if p == wanted_now:
            return
        if len(side["flight"]) == MAX_IN_FLIGHT:
            counts["throttled"] += 1
            return
        side["sent"] += 1
        side["latest"], side["live"] = p, p is not None
        target = ts[t] + latency[0] if latency[1] else t + latency[0]
        message = {"px": p, "oid": side["sent"], "target": target}
        if latency[0] == 0:
            reach(s, message, t, t, False, ts[t])
        else:
            side["flight"].append(message)

    def meet(trade, t):
        """One trade against the quote on the side it can fill."""
        s = BID if trade["seller"] else ASK
        quote = book_sides[s]["quote"]
        if quote is None or trade["ts"] <= quote["arrival"]:
            return
        through = trade["tick"] < quote["px"] if s == BID else trade["tick"] > quote["px"]
        if through:
            maker_fill(s, quote["remaining"], trade["ts"], t, mid_after(trade["ts"]))
        elif trade["tick"] == quote["px"]:
            v = trade["sz"]
            quote["met"] += v
            ahead = quote["ahead"]
            if v > ahead:
                qty = min(quote["remaining"], v - ahead) if partial else quote["remaining"]
                maker_fill(s, qty, trade["ts"], t, mid_after(trade["ts"]))
            quote["ahead"] = max(ahead - v, 0.0)

    def weight(v):
        if queue == "prob_log":
            return math.log1p(v)
        if power == int(power) and power <= MAX_WHOLE_POWER:
            out = 1.0  # a whole power as repeated products, as the kernel computes it
            for _ in range(int(power)):
                out *= v
            return out
        return v**power

    equities, last_equity = [], 0.0
    bucket_end: dict[int, float] = {}

    def equity_at(m):
        if acct["pos"] == 0.0:
            return acct["cash"]
        if math.isnan(m):
            return last_equity
        return acct["cash"] + acct["pos"] * m

    for t in range(rows):
        # 1-2. orders arriving and trades, in time order: an order arriving at `a` comes
        # after the row's trades with ts <= a (ties among orders: bid, ask, market).
        def arrivals_due(t):
            due = []
            for s in (BID, ASK):
                flight = book_sides[s]["flight"]
                if flight and is_due(flight[0]["target"], latency[1], t):
                    due.append((flight[0]["target"] if latency[1] else ts[t], s))
            if market["state"] == "travelling" and is_due(market["target"], latency[1], t):
                due.append((market["target"] if latency[1] else ts[t], 2))
            return min(due) if due else None

        pending_trades = list(row_trades[t])
        while True:
            first = arrivals_due(t)
            while pending_trades and (first is None or pending_trades[0]["ts"] <= first[0]):
                meet(pending_trades.pop(0), t)
            if first is None:
                break
            when, which = first
            book_row = t if when == ts[t] else t - 1
            if which == 2:
                market_fill(book_row, when, t)
            else:
                message = book_sides[which]["flight"].pop(0)
                reach(which, message, t, book_row, book_row == t, when)
        # 3. book change
        for s in (BID, ASK):
            quote = book_sides[s]["quote"]
            if quote is None:
                continue
            p = quote["px"]
            opposite = sides[1 - s][t].best()
            if opposite is not None and (opposite <= p if s == BID else opposite >= p):
                maker_fill(s, quote["remaining"], ts[t], t, mid_after(ts[t]))
                continue
            now = sides[s][t].shown(p, s == BID)
            if math.isinf(quote["ahead"]):
                quote["ahead"] = now
            elif not quote["fresh"]:
                before = sides[s][t - 1].shown(p, s == BID)
                ahead = quote["ahead"]
                if not (math.isinf(before) or math.isinf(now)):
                    fall = max(before - quote["met"] - now, 0.0)
                    if fall > 0 and queue != "risk_averse":
                        behind = max(before - quote["met"] - ahead, 0.0)
                        fa, fb = weight(ahead), weight(behind)
                        if fa + fb > 0:
                            ahead = max(ahead - fall * fa / (fa + fb), 0.0)
                quote["ahead"] = min(ahead, now)
            quote["met"] = 0.0
            quote["fresh"] = False
        # 5. risk exits on the seen position
        see_due(t)
        if not strategy["exiting"] and seen["pos"] != 0.0:
            hit = False
            if stop > 0 and not math.isnan(mid[t]):
                if seen["pos"] > 0:
                    hit = mid[t] <= seen["avg"] * (1 - stop)
                else:
                    hit = mid[t] >= seen["avg"] * (1 + stop)
            if max_hold is not None:
                held = ts[t] - seen["open_ts"] if max_hold[1] else t - seen["open_row"]
                hit = hit or held >= max_hold[0]
            strategy["exiting"] = hit
        if strategy["exiting"] and market["state"] == "none":
            if seen["pos"] != 0.0:
                market.update(qty=-seen["pos"], state="travelling")
                counts["taker_exits"] += 1
                if latency[0] > 0:
                    market["target"] = ts[t] + latency[0] if latency[1] else t + latency[0]
                else:
                    market_fill(t, ts[t], t)
                    see_due(t)
            if seen["pos"] == 0.0 and market["state"] == "none":
                strategy["exiting"] = False
                strategy["next_quote_row"] = t + cooldown
        # 6. decision
        if strategy["exiting"]:
            send(BID, None, t)
            send(ASK, None, t)
        elif t >= strategy["next_quote_row"] and not math.isnan(mid[t]) and not math.isnan(x[t]):
            last = strategy["last_decision"]
            now_clock = ts[t] if requote[1] else t
            if last is None or now_clock - last >= requote[0]:
                strategy["last_decision"] = now_clock
                pos = seen["pos"]
                centre = mid[t] * (1.0 + skew * 1e-4 * x[t]) - inv_skew * tick * pos / size
                bid = math.floor((centre - half * tick) / tick)
                ask = math.ceil((centre + half * tick) / tick)
                best_ask, best_bid = asks[t].best(), bids[t].best()
                if best_ask is not None:
                    bid = min(bid, best_ask - 1)
                if best_bid is not None:
                    ask = max(ask, best_bid + 1)
                send(BID, bid if abs(pos + size) <= max_pos else None, t)
                send(ASK, ask if abs(pos - size) <= max_pos else None, t)
        # 7. mark
        last_equity = equity_at(mid[t])
        equities.append(last_equity)
        bucket_end[(ts[t] - ts[0]) // bucket_ns] = last_equity

    last = rows - 1
    if acct["pos"] != 0.0:
        counts["taker_exits"] += 1
        qty = -acct["pos"]
        if qty > 0:
            vwap, _ = walk(book.ask_px, book.ask_sz, last, qty)
        else:
            vwap, _ = walk(book.bid_px, book.bid_sz, last, -qty)
        if not math.isnan(vwap):
            book_fill(qty, vwap, taker_bps, ts[last], last, False, 0)
    final = equity_at(mid[last])
    equities.append(final)
    last_bucket = (ts[last] - ts[0]) // bucket_ns
    bucket_end[last_bucket] = final
    changes, sharpe, drawdown = equity_statistics(equities, bucket_end, last_bucket, bucket_ns)
    metrics = {
        "pnl": final,
        "gross_pnl": final + acct["fees"],
        "fees": acct["fees"],
        "max_drawdown": drawdown,
        "sharpe": sharpe,
        "turnover": acct["turnover"],
        "n_fills": counts["fills"],
        "maker_volume": sums["maker_volume"],
        "fill_ratio": sums["maker_volume"] / sums["placed"] if sums["placed"] else math.nan,
        "adverse_selection_bps": 1e4 * sums["adverse"] / counts["adverse_n"]
        if counts["adverse_n"]
        else math.nan,
        "max_abs_position": acct["max_abs"],
        "taker_exits": counts["taker_exits"],
        "rejected": counts["rejected"],
        "throttled": counts["throttled"],
        "seen_early": counts["seen_early"],
        "bucket_changes": changes,
    }
    return metrics, fills
