"""The quote family's rules on books small enough to check by hand (docs/quote.md)."""

import dataclasses

import numpy as np
import pytest

from l2gpu.backtest.quote import quote_sweep
from l2gpu.backtest.row_trades import TradesAlignmentError, align_trades
from l2gpu.data.book import Book, BookMeta
from l2gpu.data.trades import Trades

MS = 1_000_000
T0 = 1_700_000_000_000_000_000


def book_of(bid_sizes, bid=100.0, ask=100.5):
    """One level a side, constant prices, the bid's size per row; rows 1 ms apart."""
    rows = len(bid_sizes)
    ts = T0 + np.arange(rows, dtype=np.int64) * MS
    return Book(
        ts,
        ts,
        np.arange(rows, dtype=np.int64),
        np.full((1, rows), bid),
        np.array([bid_sizes], dtype=float),
        np.full((1, rows), ask),
        np.full((1, rows), 5.0),
        meta=BookMeta(tick_size="0.5"),
    )


def trades_of(*rows):
    """Trades as (ms after the first row, price, size, side)."""
    ms, px, sz, side = (np.array(c) for c in zip(*rows, strict=True))
    ts = T0 + (ms * MS).astype(np.int64)
    return Trades(
        ts, ts, px.astype(float), sz.astype(float), side.astype(np.int8), np.arange(len(ms))
    )


JOIN_THE_BID = {"half_spread_ticks": 0.0, "max_position": 1.0, "maker_fee_bps": 0.0}


def bid_fills(result, config=0):
    fills = result.trades(config)
    return fills[fills.maker & (fills.qty > 0)]


def test_a_trade_at_the_price_fills_only_beyond_the_queue_ahead():
    # The bid joins 5.0 ahead at row 0; sells of 3 then 3 at 100.0: the second one fills it.
    book = book_of([5.0] * 6)
    trades = trades_of((1.5, 100.0, 3.0, -1), (2.5, 100.0, 3.0, -1))
    result = quote_sweep(book, trades, params=[JOIN_THE_BID], record=[0])
    fills = bid_fills(result)
    assert list(fills.ts) == [T0 + int(2.5 * MS)] and list(fills.px) == [100.0]
    assert result.table.n_fills[0] == 1


def test_a_trade_equal_to_the_queue_ahead_does_not_fill():
    book = book_of([5.0] * 4)
    trades = trades_of((1.5, 100.0, 5.0, -1))
    assert quote_sweep(book, trades, params=[JOIN_THE_BID]).table.n_fills[0] == 0


def test_a_trade_through_fills_in_full_and_a_buy_never_touches_the_bid():
    book = book_of([5.0] * 4)
    trades = trades_of((1.2, 100.0, 50.0, 1), (1.5, 99.5, 0.1, -1))
    result = quote_sweep(book, trades, params=[dict(JOIN_THE_BID, size=0.7)], record=[0])
    fills = bid_fills(result)
    assert list(fills.qty) == [0.7] and list(fills.ts) == [T0 + int(1.5 * MS)]


def test_partial_fills_take_what_the_trade_has_beyond_the_queue():
    book = book_of([1.0] * 5)
    trades = trades_of((1.5, 100.0, 1.25, -1), (2.5, 100.0, 0.5, -1))
    cfg = dict(JOIN_THE_BID, size=1.0, max_position=2.0, partial_fills=True)
    result = quote_sweep(book, trades, params=[cfg], record=[0])
    np.testing.assert_allclose(bid_fills(result).qty, [0.25, 0.5])


def test_the_probabilistic_queue_moves_up_with_cancellations_and_risk_averse_does_not():
    # 5 ahead at arrival; 4 join behind (9); 3 cancel (6): prob_power n=1 takes 3 * 5/9 off
    # the front (3.33 ahead), risk_averse keeps 5. A sell of 4 then fills only the first.
    book = book_of([5.0, 9.0, 6.0, 6.0, 6.0])
    trades = trades_of((2.5, 100.0, 4.0, -1))
    configs = [
        dict(JOIN_THE_BID, queue="prob_power", queue_power=1.0),
        dict(JOIN_THE_BID, queue="risk_averse"),
    ]
    table = quote_sweep(book, trades, params=configs).table
    assert list(table.n_fills) == [1, 0]


def test_a_quote_that_would_cross_on_arrival_is_rejected():
    # Decided at row 0 against bid 100.0 / ask 100.5; by its arrival (1 row later) the ask is
    # 100.0: post-only, the bid at 100.0 is rejected.
    book = book_of([5.0] * 3)
    book.ask_px[0, 1:] = 100.0
    cfg = dict(JOIN_THE_BID, entry_latency=1, requote="1s")
    assert quote_sweep(book, trades_of((0.5, 100.0, 1.0, 1)), params=[cfg]).table.rejected[0] == 1


def test_a_cancel_still_travelling_lets_an_earlier_trade_fill_the_quote():
    # The bid decided at row 0 rests at 100.0 from 0.5 ms; the decision at row 2 (2 ms) moves it
    # to 101.0, and its cancel arrives at 2.5 ms: a sell through 100.0 at 2.2 ms, which the
    # book shows only at row 3, comes before that and fills it.
    book = book_of([5.0] * 5)
    book.bid_px[0, 2:] = 101.0
    book.ask_px[0, 2:] = 101.5
    trades = trades_of((2.2, 99.5, 1.0, -1))
    cfg = dict(JOIN_THE_BID, entry_latency="0.5ms", requote="2ms")
    result = quote_sweep(book, trades, params=[cfg], record=[0])
    assert list(bid_fills(result).ts) == [T0 + int(2.2 * MS)]


def test_trades_are_aligned_to_the_rows_between_their_times():
    rng = np.random.default_rng(4)
    book_ts = np.sort(rng.integers(0, 50, 30)).astype(np.int64)
    trade_ts = np.sort(rng.integers(-5, 60, 80)).astype(np.int64)
    trades = Trades(
        trade_ts, trade_ts, np.full(80, 10.0), np.ones(80), np.ones(80, np.int8), np.arange(80)
    )
    aligned = align_trades(book_ts, trades, 0.5)
    for t in range(30):
        lower = -np.inf if t == 0 else book_ts[t - 1]
        want = [i for i in range(80) if lower < trade_ts[i] <= book_ts[t]]
        assert list(range(aligned.first[t], aligned.first[t + 1])) == want, t
    assert (aligned.tick == 20).all()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("ts", None, r"trade 2 \(id 2, ts 5\): time goes back from 7"),
        ("px", 10.2, r"trade 2 \(id 2, ts 7\): price 10.2 is not a positive multiple of tick 0.5"),
        ("sz", 0.0, r"trade 2 \(id 2, ts 7\): size 0.0 is not a positive number"),
        ("side", 0, r"trade 2 \(id 2, ts 7\): side 0 is not \+1"),
    ],
)
def test_bad_trades_are_refused_with_the_trade_and_the_problem(column, value, message):
    ts = np.array([1, 3, 7, 9], np.int64)
    columns = {"px": np.full(4, 10.0), "sz": np.ones(4), "side": np.ones(4, np.int8)}
    if column == "ts":
        ts = np.array([1, 7, 5, 9], np.int64)
    else:
        columns[column][2] = value
    trades = Trades(ts, ts, columns["px"], columns["sz"], columns["side"], np.arange(4))
    with pytest.raises(TradesAlignmentError, match=message):
        align_trades(np.array([2, 8], np.int64), trades, 0.5)


def test_bad_configs_are_refused_with_their_row():
    book, trades = book_of([5.0] * 3), trades_of((0.5, 100.0, 1.0, 1))
    cases = [
        ({"half_spread": 1}, r"unknown parameter\(s\) \['half_spread'\]"),
        ({"queue": "fifo"}, "config 1: queue 'fifo' is not one of risk_averse"),
        ({"size": 0}, "config 1: size must be > 0"),
        ({"skew_bps": 2.0}, "config 1: skew_bps=2.0 needs a signal"),
        ({"signal": "obi"}, "config 1: signal 'obi' is not among the signals"),
        ({"max_position": 0.5}, "config 1: max_position=0.5 is below size=1.0"),
        ({"entry_latency": "5x"}, "config 1: entry_latency: '5x' is not a window"),
        ({"partial_fills": "yes"}, "config 1: partial_fills='yes' must be True or False"),
        ({"cooldown": -1}, "config 1: cooldown must be a whole number"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message):
            quote_sweep(book, trades, params=[{}, bad])
    with pytest.raises(ValueError, match="the book has no tick size"):
        quote_sweep(dataclasses.replace(book, meta=BookMeta()), trades, params=[{}])
    with pytest.raises(KeyError, match="was not recorded"):
        quote_sweep(book, trades, params=[{}]).trades(0)


def test_a_stop_cancels_the_quotes_sells_at_market_and_waits_out_the_cooldown():
    # Bought 1 at 100.0 by a trade-through at 1.5 ms; from row 3 the book is 98.0 / 98.5, past
    # the 0.5% stop: a market sell at 98.0 (5 bps fee), then no quote until row 3 + 5.
    book = book_of([5.0] * 10)
    book.bid_px[0, 3:] = 98.0
    book.ask_px[0, 3:] = 98.5
    cfg = dict(JOIN_THE_BID, stop_loss_bps=50.0, cooldown=5, taker_fee_bps=5.0)
    result = quote_sweep(book, trades_of((1.5, 99.5, 1.0, -1)), params=[cfg], record=[0])
    fills = result.trades(0)
    assert list(fills.maker) == [True, False]
    assert list(fills.qty) == [1.0, -1.0] and list(fills.px) == [100.0, 98.0]
    assert list(fills.row) == [2, 3]
    row = result.table.iloc[0]
    assert row.taker_exits == 1 and row.n_fills == 1
    np.testing.assert_allclose(row.pnl, -2.0 - 98.0 * 5e-4, rtol=1e-12)
    # Quotes rest again from row 8 only: the bid and ask of row 0 and of row 8 came to rest
    # (at row 2 the ask already stands at its price and a full position may not bid).
    np.testing.assert_allclose(row.fill_ratio, 1.0 / 4.0)
