"""Each stress scenario against a small book worked by hand (``docs/stress.md``).

The device test runs on the strict simulated device (``NUMBA_ENABLE_CUDASIM=1 pytest -m
cuda_kernel``): each scenario there moves nothing down and equals the CPU.

The book: 11 rows one second apart, two levels a side on a 0.5 tick, bids 99.5 / 99.0 (sizes 2 and
4), asks 100.5 / 101.0 (sizes 2 and 4); row 5 has no asks. With ``seed=0`` the first draw of
``numpy.random.default_rng(0).random()`` is 0.6369616873214543, so one window of 2 s in the
book's 10 s starts at ``floor(0.6369616873214543 * 8e9) = 5_095_693_498`` ns after the first row.
"""

import numpy as np
import pytest

from l2gpu.backend import transfers
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.data.validation import book_violations
from l2gpu.stress import SCENARIOS
from l2gpu.stress.scenario import seeded_windows
from tests.books import hand_book, random_book

T0 = 1_700_000_000_000_000_000
S = 1_000_000_000
NAN = np.nan
ROWS = 11
START = T0 + 5_095_693_498
"""Where seed 0 puts one 2 s window in the hand book (see the module doc)."""
SHORT = {
    "flash_crash": {"fall": "1s", "hold": "0s", "recovery": "1s"},
    "latency_spike": {"stall": "100ms"},
    "stale_gaps": {"width": "200ms"},
    "bursts": {"width": "200ms"},
}
"""Windows that fit the few seconds of a random book."""


def _book() -> Book:
    missing = [5]
    ask_px = [[NAN if t in missing else px for t in range(ROWS)] for px in (100.5, 101.0)]
    ask_sz = [[0.0 if t in missing else sz for t in range(ROWS)] for sz in (2.0, 4.0)]
    return hand_book(
        [T0 + t * S for t in range(ROWS)],
        [[99.5] * ROWS, [99.0] * ROWS],
        [[2.0] * ROWS, [4.0] * ROWS],
        ask_px,
        ask_sz,
    )


def _trades(ts: list[int], px: list[float]) -> Trades:
    n = len(ts)
    times = np.asarray(ts, dtype=np.int64)
    return Trades(
        times,
        times + 7,
        np.asarray(px, dtype=np.float64),
        np.ones(n),
        np.ones(n, dtype=np.int8),
        np.arange(n, dtype=np.int64),
    )


def _assert_levels(book: Book, bid_px, bid_sz, ask_px, ask_sz) -> None:
    for name, expected in (
        ("bid_px", bid_px),
        ("bid_sz", bid_sz),
        ("ask_px", ask_px),
        ("ask_sz", ask_sz),
    ):
        np.testing.assert_array_equal(getattr(book, name), np.asarray(expected), err_msg=name)
    assert book_violations(book) == []


def test_seeded_windows_cut_the_span_into_segments_and_place_one_in_each():
    # 10 s in 2 segments of 5 s; a 1 s window starts floor(u_i * 4 s) into segment i.
    starts = seeded_windows(_book(), 2, S, np.random.default_rng(0), "test")
    assert starts.tolist() == [T0 + 2_547_846_749, T0 + 5 * S + 1_079_146_855]
    with pytest.raises(ValueError, match="do not fit"):
        seeded_windows(_book(), 3, 4 * S, np.random.default_rng(0), "test")


def test_liquidity_drought_scales_every_size():
    book = _book()
    out = SCENARIOS["liquidity_drought"].apply(book, None, 0, {"factor": 0.25}).book
    asks_sz = [[0.0 if t == 5 else sz for t in range(ROWS)] for sz in (0.5, 1.0)]
    _assert_levels(out, book.bid_px, [[0.5] * ROWS, [1.0] * ROWS], book.ask_px, asks_sz)
    np.testing.assert_array_equal(out.ts, book.ts)
    with pytest.raises(ValueError, match="factor must be in"):
        SCENARIOS["liquidity_drought"].apply(book, None, 0, {"factor": 0.0})


def test_spread_widening_moves_bids_down_and_asks_up_by_whole_ticks():
    book = _book()
    out = SCENARIOS["spread_widening"].apply(book, None, 0, {"ticks": 2}).book
    ask_px = [[NAN if t == 5 else px for t in range(ROWS)] for px in (101.5, 102.0)]
    _assert_levels(out, [[98.5] * ROWS, [98.0] * ROWS], book.bid_sz, ask_px, book.ask_sz)


def test_spread_widening_makes_a_bid_pushed_to_zero_missing():
    book = hand_book([T0], [[1.0], [0.5]], [[1.0], [3.0]], [[1.5], [2.0]], [[1.0], [1.0]])
    out = SCENARIOS["spread_widening"].apply(book, None, 0, {"ticks": 1}).book
    _assert_levels(out, [[0.5], [NAN]], [[1.0], [0.0]], [[2.0], [2.5]], [[1.0], [1.0]])


def test_flash_crash_falls_holds_recovers_and_withdraws_the_touch():
    # fall 4 s + hold 2 s + recovery 4 s fill the 10 s span: the crash starts at the first row.
    # Intensity per row: 0 .25 .5 .75 1 1 1 .75 .5 .25 0; 200 bps of a 100 mid is 4 ticks.
    book = _book()
    trades = _trades([T0 + S, T0 + 4 * S + S // 2, T0 + 12 * S], [100.0, 101.0, 100.0])
    out = SCENARIOS["flash_crash"].apply(
        book,
        trades,
        0,
        {
            "shock_bps": 200.0,
            "fall": "4s",
            "hold": "2s",
            "recovery": "4s",
            "withdraw": 0.5,
            "levels": 1,
        },
    )
    ticks = np.array([0, -1, -2, -3, -4, -4, -4, -3, -2, -1, 0])
    bid0 = 99.5 + 0.5 * ticks
    ask0 = 100.5 + 0.5 * ticks
    ask0[5] = NAN  # no asks in row 5: its bid (99.5) is the reference, 3.98 ticks -> 4
    touch = [2.0, 1.75, 1.5, 1.25, 1.0, 1.0, 1.0, 1.25, 1.5, 1.75, 2.0]
    ask_touch = list(touch)
    ask_touch[5] = 0.0
    _assert_levels(
        out.book,
        [bid0, bid0 - 0.5],
        [touch, [4.0] * ROWS],
        [ask0, np.where(np.isnan(ask0), NAN, ask0 + 0.5)],
        [ask_touch, [0.0 if t == 5 else 4.0 for t in range(ROWS)]],
    )
    assert out.trades is not None
    # 1 s: 0.25 * 200 bps of 100 = 1 tick; 4.5 s: 200 bps of 101 = 4.04 -> 4 ticks; 12 s: after.
    np.testing.assert_array_equal(out.trades.px, [99.5, 99.0, 100.0])
    np.testing.assert_array_equal(out.trades.ts, trades.ts)


def test_latency_spike_stops_the_clock_for_the_stall():
    book = _book()
    trades = _trades([T0 + 6 * S + S // 2, T0 + 9 * S], [100.0, 100.0])
    out = SCENARIOS["latency_spike"].apply(book, trades, 0, {"count": 1, "stall": "2s"})
    # Rows at 6 s and 7 s fall in the stall [START, START + 2 s): they read START. From 8 s on the
    # clock runs 2 s behind.
    expected = [T0 + t * S for t in range(6)] + [START, START] + [T0 + t * S for t in (6, 7, 8)]
    np.testing.assert_array_equal(out.book.ts, expected)
    np.testing.assert_array_equal(out.book.local_ts, np.asarray(expected) + 1000)
    np.testing.assert_array_equal(out.book.bid_px, book.bid_px)
    assert out.trades is not None
    np.testing.assert_array_equal(out.trades.ts, [START, T0 + 7 * S])
    np.testing.assert_array_equal(out.trades.local_ts, [START + 7, T0 + 7 * S + 7])


def test_stale_gaps_remove_the_rows_of_the_window():
    book = _book()
    trades = _trades([T0 + 6 * S], [100.0])
    out = SCENARIOS["stale_gaps"].apply(book, trades, 0, {"count": 1, "width": "2s"})
    kept = [0, 1, 2, 3, 4, 5, 8, 9, 10]  # rows at 6 s and 7 s are in [START, START + 2 s)
    np.testing.assert_array_equal(out.book.ts, [T0 + t * S for t in kept])
    np.testing.assert_array_equal(out.book.seq, kept)
    _assert_levels(
        out.book,
        book.bid_px[:, kept],
        book.bid_sz[:, kept],
        book.ask_px[:, kept],
        book.ask_sz[:, kept],
    )
    assert out.trades is trades


def test_bursts_squeeze_the_window_toward_its_end_and_repeat_its_rows():
    book = _book()
    trades = _trades([T0 + 6 * S + S // 2, T0 + 9 * S], [100.0, 100.0])
    out = SCENARIOS["bursts"].apply(
        book, trades, 0, {"count": 1, "width": "2s", "compress": 4, "repeat": 3}
    )
    # The window ends at END = T0 + 7_095_693_498. Row 6 s: END - (1_095_693_498 // 4);
    # row 7 s: END - (95_693_498 // 4); each delivered 3 times.
    six, seven = T0 + 6_821_770_124, T0 + 7_071_770_124
    rows = [0, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 7, 8, 9, 10]
    times = [T0 + t * S for t in range(6)] + [six] * 3 + [seven] * 3
    np.testing.assert_array_equal(out.book.ts, times + [T0 + t * S for t in (8, 9, 10)])
    np.testing.assert_array_equal(out.book.seq, rows)
    np.testing.assert_array_equal(out.book.ask_px, book.ask_px[:, rows])
    assert book_violations(out.book) == []
    assert out.trades is not None
    # The trade at 6.5 s: END - (595_693_498 // 4); the one at 9 s is outside.
    np.testing.assert_array_equal(out.trades.ts, [T0 + 6_946_770_124, T0 + 9 * S])


def test_unknown_parameters_and_names_are_one_line_errors():
    with pytest.raises(ValueError, match=r"has no parameter\(s\) \['shock'\]"):
        SCENARIOS["flash_crash"].apply(_book(), None, 0, {"shock": 1})
    with pytest.raises(ValueError, match="unknown stress scenario 'tsunami'; known: bursts"):
        SCENARIOS["tsunami"]
    with pytest.raises(ValueError, match="no tick size"):
        untick = hand_book([T0], [[1.0]], [[1.0]], [[2.0]], [[1.0]], tick="")
        SCENARIOS["spread_widening"].apply(untick)


@pytest.mark.parametrize("name", SCENARIOS.names())
def test_every_scenario_keeps_random_books_valid_is_seeded_and_pure(name):
    book = random_book(np.random.default_rng(3), 4_000, 5)
    before = {k: v.copy() for k, v in book.arrays().items()}
    scenario = SCENARIOS[name]
    params = SHORT.get(name, {})
    one = scenario.apply(book, None, 5, params).book
    same = scenario.apply(book, None, 5, params).book
    # The random book's edge cases (zero sizes) already fail some checks; none may be added.
    assert {v.check for v in book_violations(one)} <= {v.check for v in book_violations(book)}
    assert len(one.crossed_rows()) == len(book.crossed_rows()) == 0
    assert np.all(np.diff(one.ts) >= 0)
    for key, value in one.arrays().items():
        np.testing.assert_array_equal(value, same.arrays()[key], err_msg=key)
        np.testing.assert_array_equal(book.arrays()[key], before[key], err_msg=f"{key} modified")


@pytest.mark.cuda_kernel
@pytest.mark.parametrize("name", SCENARIOS.names())
def test_on_the_strict_device_each_scenario_moves_nothing_down_and_equals_the_cpu(name):
    book = random_book(np.random.default_rng(4), 3_000, 4)
    device = book.to("gpu")  # the strict device under the simulator; it keeps the host ts
    with transfers.recording() as moves:
        out = SCENARIOS[name].apply(device, None, 2, SHORT.get(name)).book
    assert out.device == "gpu" and moves.count("d2h") == 0, moves.summary()
    expected = SCENARIOS[name].apply(book, None, 2, SHORT.get(name)).book
    for key, value in out.to("cpu").arrays().items():
        np.testing.assert_array_equal(value, expected.arrays()[key], err_msg=key)
    np.testing.assert_array_equal(out.host_ts(), expected.ts)
