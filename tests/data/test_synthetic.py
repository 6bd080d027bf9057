import numpy as np
import pytest

from l2gpu.data import iter_synthetic, read_book, synthetic, write_synthetic
from l2gpu.data.synthetic import BLOCK_ROWS, SyntheticSpec
from l2gpu.data.ticks import ticks_to_price


def test_same_seed_same_book_other_seed_other_book():
    a, b, c = synthetic(2000, 5, seed=1), synthetic(2000, 5, seed=1), synthetic(2000, 5, seed=2)
    for name in a.arrays():
        np.testing.assert_array_equal(a.arrays()[name], b.arrays()[name])
    assert not np.array_equal(a.bid_sz, c.bid_sz, equal_nan=True)


def test_blocks_join_seamlessly_and_streaming_equals_whole(tmp_path):
    rows = BLOCK_ROWS + 1000
    whole = synthetic(rows, depth=1, seed=3)
    blocks = list(iter_synthetic(rows, depth=1, seed=3))
    assert [len(b) for b in blocks] == [BLOCK_ROWS, 1000]
    assert np.all(np.diff(whole.ts) >= 0)
    np.testing.assert_array_equal(whole.seq, np.arange(rows))
    step = np.abs(np.diff(whole.bid_px[0] + whole.ask_px[0]))
    assert np.nanmax(step[BLOCK_ROWS - 5 : BLOCK_ROWS + 5]) < 1.0 + 1e-9, "mid jumps at the seam"
    back = read_book(write_synthetic(tmp_path / "s.parquet", rows, depth=1, seed=3), engine="cpu")
    np.testing.assert_array_equal(back.ask_sz, whole.ask_sz)


def test_prices_sit_exactly_on_the_tick_grid():
    spec = SyntheticSpec(tick_size="0.1")
    book = synthetic(20_000, 10, seed=4, spec=spec)
    for px in (book.bid_px, book.ask_px):
        shown = px[np.isfinite(px)]
        assert np.array_equal(shown, ticks_to_price(np.round(shown * 10), "0.1"))


def test_book_shape_is_sane():
    book = synthetic(50_000, 8, seed=5)
    bid, ask = book.bid_px, book.ask_px
    both = np.isfinite(bid[0]) & np.isfinite(ask[0])
    spread_ticks = np.round((ask[0, both] - bid[0, both]) * 10)
    assert spread_ticks.min() >= 1 and (spread_ticks > 1).any()
    assert book.crossed_rows().size == 0
    with np.errstate(invalid="ignore"):
        assert np.all(np.diff(bid, axis=0)[np.isfinite(np.diff(bid, axis=0))] < 0)
        assert np.all(np.diff(ask, axis=0)[np.isfinite(np.diff(ask, axis=0))] > 0)
    for px, sz in ((bid, book.bid_sz), (ask, book.ask_sz)):
        missing = np.isnan(px)
        assert np.all(sz[missing] == 0) and np.all(sz[~missing] > 0)
        assert np.all(missing[1:] >= missing[:-1]), "an empty level above a shown one"
        assert missing[0].any() and (missing[-1] & ~missing[0]).any()
    assert (np.diff(book.ts) == 0).any() and np.all(np.diff(book.ts) >= 0)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="rows must be between 0"):
        synthetic(-1)
    with pytest.raises(ValueError, match="depth must be at least 1"):
        synthetic(10, depth=0)
    assert len(synthetic(0, depth=3)) == 0
