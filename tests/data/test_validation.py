"""The store invariants against their plain-loop references, on corrupted books and trades."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2gpu.data import Book, Trades, synthetic, synthetic_trades
from l2gpu.data.validation import (
    BOOK_CHECKS,
    LEVEL_CHECKS,
    TRADE_CHECKS,
    book_violations,
    level_failures,
    trades_violations,
)
from tests.reference_validation import book_failing_rows, trades_failing_rows

ROWS, DEPTH = 60, 4
CLEAN = synthetic(ROWS, DEPTH, seed=9)
CLEAN_TRADES = synthetic_trades(CLEAN, per_row=1.0, seed=9)
CELL_VALUES = [np.nan, np.inf, -np.inf, 0.0, -1.0, 1e9, 1e-9]
FAST = settings(max_examples=60, deadline=None, derandomize=True)


@st.composite
def corrupted_books(draw):
    arrays = {name: a.copy() for name, a in CLEAN.arrays().items()}
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "swap", "ts"]))
        t = draw(st.integers(0, ROWS - 1))
        side = draw(st.sampled_from(["bid", "ask"]))
        if kind == "cell":
            name = f"{side}_{draw(st.sampled_from(['px', 'sz']))}"
            arrays[name][draw(st.integers(0, DEPTH - 1)), t] = draw(st.sampled_from(CELL_VALUES))
        elif kind == "swap":
            k = draw(st.integers(0, DEPTH - 2))
            for name in (f"{side}_px", f"{side}_sz"):
                arrays[name][[k, k + 1], t] = arrays[name][[k + 1, k], t]
        else:
            arrays["ts"][t] -= draw(st.integers(1, 10**10))
    return Book(**arrays)


@FAST
@given(corrupted_books())
def test_book_violations_equal_the_reference(book):
    expected = book_failing_rows(book)
    got = {v.check: v for v in book_violations(book)}
    assert set(got) == set(expected)
    for name, rows in expected.items():
        assert (got[name].row, got[name].count) == (rows[0], len(rows)), name
    order = [c.name for c in BOOK_CHECKS]
    assert list(got) == sorted(got, key=order.index), "violations come in table order"


@st.composite
def corrupted_trades(draw):
    columns = {
        name: getattr(CLEAN_TRADES, name).copy()
        for name in ("ts", "local_ts", "px", "sz", "side", "trade_id")
    }
    n = columns["ts"].size
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(1, n - 1))
        kind = draw(st.sampled_from(["px", "sz", "side", "id", "ts"]))
        if kind in ("px", "sz"):
            columns[kind][i] = draw(st.sampled_from(CELL_VALUES))
        elif kind == "side":
            columns["side"][i] = draw(st.sampled_from([0, 2, -2]))
        elif kind == "id":
            columns["trade_id"][i] = columns["trade_id"][draw(st.integers(0, i - 1))]
        else:
            columns["ts"][i] -= draw(st.sampled_from([1, 60 * 10**9]))
    return Trades(**columns)


@FAST
@given(corrupted_trades())
def test_trades_violations_equal_the_reference(trades):
    expected = trades_failing_rows(trades)
    got = {v.check: v for v in trades_violations(trades)}
    assert set(got) == set(expected)
    for name, rows in expected.items():
        assert (got[name].row, got[name].count) == (rows[0], len(rows)), name


@settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(st.text(max_size=3), min_size=2, max_size=30))
def test_string_trade_ids_are_checked_for_copies(ids):
    n = len(ids)
    trades = Trades(
        ts=np.arange(n, dtype=np.int64),
        local_ts=np.arange(n, dtype=np.int64),
        px=np.ones(n),
        sz=np.ones(n),
        side=np.ones(n, np.int8),
        trade_id=np.array(ids, dtype=object),
    )
    assert {v.check for v in trades_violations(trades)} == set(trades_failing_rows(trades))


def test_valid_stores_pass_and_every_check_has_a_name():
    assert book_violations(CLEAN) == [] and trades_violations(CLEAN_TRADES) == []
    assert set(LEVEL_CHECKS) < {c.name for c in BOOK_CHECKS}
    assert len({c.name for c in BOOK_CHECKS + TRADE_CHECKS}) == len(BOOK_CHECKS + TRADE_CHECKS)
    assert level_failures(CLEAN.bid_px, CLEAN.bid_sz, CLEAN.ask_px, CLEAN.ask_sz) == {}


def test_a_book_is_checked_across_blocks(monkeypatch):
    from l2gpu.data import validation

    monkeypatch.setattr(validation, "BLOCK_ROWS", 7)
    ts = CLEAN.ts.copy()
    ts[21] = ts[20] - 1  # the first row of a block goes back from the last row of the one before
    bid_sz = CLEAN.bid_sz.copy()
    bid_sz[0, [13, 50]] = -1.0
    book = Book(**{**CLEAN.arrays(), "ts": ts, "bid_sz": bid_sz})
    got = {v.check: (v.row, v.count) for v in book_violations(book)}
    assert got == {"ts_order": (21, 1), "level_size_positive": (13, 2)}
