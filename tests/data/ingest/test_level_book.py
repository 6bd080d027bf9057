import numpy as np
import pytest

from l2gpu.data.ingest.reconstruct import EventBatch, LevelBook
from tests.reference import ReferenceBook

DIVISOR = 1e8


def random_events(rng, n_events, tick_units, spread_units, off_grid=False):
    """Events around a wandering mid: inserts, size changes, deletes, far orders, clears."""
    starts, clears, sides, units, sizes = [0], [], [], [], []
    mid = 10_000 * tick_units
    for e in range(n_events):
        clears.append(e > 0 and rng.random() < 0.02)
        mid += int(rng.integers(-3, 4)) * tick_units
        for _ in range(int(rng.integers(0, 12))):
            side = int(rng.integers(0, 2))
            distance = (
                int(rng.geometric(0.15)) if rng.random() < 0.9 else int(rng.integers(1, 5000))
            )
            price = (
                mid - distance * tick_units
                if side == 0
                else mid + spread_units + distance * tick_units
            )
            if off_grid and rng.random() < 0.01:
                price += tick_units // 2
            sides.append(side)
            units.append(price)
            sizes.append(0.0 if rng.random() < 0.3 else float(rng.integers(1, 1000)) / 1000)
        starts.append(len(units))
    return EventBatch(
        np.array(starts, np.int64),
        np.array(clears),
        np.array(sides, np.int8),
        np.array(units, np.int64),
        np.array(sizes),
    )


def reference_tops(batch, depth):
    ref = ReferenceBook()
    rows = []
    for e in range(batch.n_events):
        if batch.event_clear[e]:
            ref.clear()
        for u in range(batch.event_starts[e], batch.event_starts[e + 1]):
            ref.update(int(batch.side[u]), int(batch.units[u]), float(batch.size[u]))
        rows.append(ref.top(depth, DIVISOR))
    return [np.array([r[i] for r in rows]).T for i in range(4)]


@pytest.mark.parametrize("depth", [1, 7])
@pytest.mark.parametrize(("ladder_ticks", "off_grid"), [(1 << 20, False), (64, False), (64, True)])
def test_kernel_matches_a_dict_book(rng, ladder_ticks, off_grid, depth):
    batch = random_events(
        rng, 3000, tick_units=10_000_000, spread_units=10_000_000, off_grid=off_grid
    )
    book = LevelBook(depth=depth, ladder_ticks=ladder_ticks, tick_units=10_000_000)
    half = batch.event_starts[1500]
    first = EventBatch(
        batch.event_starts[:1501],
        batch.event_clear[:1500],
        batch.side[:half],
        batch.units[:half],
        batch.size[:half],
    )
    second = EventBatch(
        batch.event_starts[1500:] - half,
        batch.event_clear[1500:],
        batch.side[half:],
        batch.units[half:],
        batch.size[half:],
    )
    tops = [book.apply(first), book.apply(second)]
    got = [
        np.concatenate([getattr(t, name) for t in tops], axis=1)
        for name in ("bid_px", "bid_sz", "ask_px", "ask_sz")
    ]
    for name, mine, ref in zip(
        ("bid_px", "bid_sz", "ask_px", "ask_sz"), got, reference_tops(batch, depth), strict=True
    ):
        np.testing.assert_array_equal(mine, ref, err_msg=name)
    assert (book.regrids > 0) == off_grid


def test_deleting_an_absent_level_is_a_no_op():
    book = LevelBook(depth=2, tick_units=10)
    batch = EventBatch(
        np.array([0, 2, 3], np.int64),
        np.zeros(2, bool),
        np.array([0, 1, 0], np.int8),
        np.array([100, 120, 90], np.int64),
        np.array([1.0, 2.0, 0.0]),
    )
    top = book.apply(batch)
    assert top.bid_px[:, 1].tolist()[0] == 100 / DIVISOR
    assert np.isnan(top.bid_px[1, 1]) and book.levels == (1, 1)
