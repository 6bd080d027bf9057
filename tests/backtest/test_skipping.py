"""Event skipping gives the dense scan's results exactly: random books, signals, configs, samples.

``skipping="always"`` jumps every flat config to its next possible entry; ``"never"`` steps
every row. Tables, per-bucket pnl and recorded trades must be the same bits, chunked or not.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2gpu.backtest import sweep
from l2gpu.backtest.skip_plan import entry_rates
from l2gpu.data import synthetic
from l2gpu.features import compute
from l2gpu.kernels.block_maxima import LEVELS, block_maxima
from l2gpu.kernels.candidates import candidate_lists, no_candidates
from l2gpu.kernels.sweep_cpu import _next_entry_cpu
from l2gpu.kernels.sweep_hold import block_falls, last_row_with_mid
from l2gpu.kernels.sweep_skip import row_index
from tests.backtest.configs import random_configs
from tests.books import random_book


def assert_identical(a, b, record):
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    np.testing.assert_array_equal(a.bucket_pnl, b.bucket_pnl)
    for i in record:
        pd.testing.assert_frame_equal(a.trades(i), b.trades(i), check_exact=True)


def dense_and_skipped(book, signals, **options):
    """The same sweep with every row stepped and with every config skipping (flat and held)."""
    return tuple(sweep(book, signals, skipping=mode, **options) for mode in ("never", "always"))


def spiky(rng, rows):
    """A signal that is mostly small with rare spikes, NaN here and there."""
    x = rng.normal(scale=0.2, size=rows)
    spikes = rng.random(rows) < rng.uniform(0.002, 0.05)
    x[spikes] = rng.choice([-1.0, 1.0], spikes.sum()) * rng.uniform(1, 4, spikes.sum())
    x[rng.random(rows) < 0.03] = np.nan
    return x


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(2, 900),
    bucket=st.sampled_from(["1ms", "20ms", "1s"]),
    chunk=st.one_of(st.none(), st.integers(1, 300)),
)
def test_skipping_equals_the_dense_scan_on_random_books(seed, rows, bucket, chunk):
    rng = np.random.default_rng(seed)
    book = random_book(rng, rows=rows, depth=3)
    signals = {"a": spiky(rng, rows), "b": np.cumsum(rng.normal(size=rows)) / 5}
    configs = random_configs(rng, 24, signals)
    record = [0, 5, 11]
    dense, skipped = dense_and_skipped(
        book,
        signals,
        params=configs,
        engine="cpu",
        record=record,
        bucket_returns=True,
        sharpe_bucket=bucket,
        chunk_rows=chunk,
    )
    assert_identical(dense, skipped, record)


def test_skipping_equals_the_dense_scan_on_the_btcusdt_sample(btcusdt):
    book, signals = btcusdt
    configs = random_configs(np.random.default_rng(8), 120, signals)
    record = [0, 3, 50, 119]
    runs = {
        (mode, chunk): sweep(
            book,
            signals,
            params=configs,
            engine="cpu",
            record=record,
            bucket_returns=True,
            chunk_rows=chunk,
            skipping=mode,
        )
        for mode in ("never", "always", "auto")
        for chunk in (None, 777)
    }
    dense = runs["never", None]
    assert (dense.table.n_trades > 0).mean() > 0.5
    for run in runs.values():
        assert_identical(dense, run, record)


def naive_first(x, sign, start, stop, e):
    for i in range(start, stop):
        if sign * x[i] >= e:
            return i
    return stop


@pytest.mark.parametrize("rows", [1, 15, 16, 17, 300, 5000, 70000])
def test_the_search_finds_the_first_row_at_or_past_the_entry(rows):
    rng = np.random.default_rng(rows)
    x = rng.normal(size=rows)
    x[rng.random(rows) < 0.1] = np.nan
    tree, offsets = block_maxima(x[None, :])
    lists = [no_candidates(1), candidate_lists(x[None, :], tree, np.array([[0.5, 1.0]]))]
    searches = [(c.rows, c.values, c.start[0], c.base[0]) for c in lists]
    for _ in range(200):
        start = int(rng.integers(0, rows))
        stop = int(rng.integers(start, rows + 1))
        e = float(abs(x[int(rng.integers(0, rows))])) if rng.random() < 0.5 else 2.5
        if np.isnan(e) or e <= 0:
            e = 3.0
        for long, short in ((True, False), (False, True), (True, True)):
            q = (e, 0.0, long, short)
            want = stop
            if long:
                want = naive_first(x, 1.0, start, stop, e)
            if short:
                want = min(want, naive_first(x, -1.0, start, stop, e))
            for listed in searches:
                assert _next_entry_cpu(x, tree[0], listed, offsets, start, stop, q) == want


def naive_row_index(mid, row_bucket):
    """Row by row: the next bucket change, the next and the last row with a mid."""
    rows = mid.shape[0]
    change_at, valid_at, last_valid = (np.empty(rows, np.int64) for _ in range(3))
    change, valid, last = rows, rows, -1
    for r in range(rows - 1, -1, -1):
        change = r if r > 0 and row_bucket[r] != row_bucket[r - 1] else change
        valid = r if not np.isnan(mid[r]) else valid
        change_at[r], valid_at[r] = change, valid
    for r in range(rows):
        last = r if not np.isnan(mid[r]) else last
        last_valid[r] = last
    return change_at, valid_at, last_valid


@pytest.mark.parametrize("rows", [1, 2, 50, 3000, 300_000])
def test_the_row_index_points_at_the_next_bucket_change_and_the_nearest_mids(rows):
    rng = np.random.default_rng(rows)
    mid = rng.normal(size=rows)
    mid[rng.random(rows) < 0.4] = np.nan
    row_bucket = np.cumsum(rng.random(rows) < 0.1).astype(np.int64)
    if rows > 200_000:  # stretches without a mid or a change over whole chunks of rows
        mid[1_000:140_000] = mid[-70_000:] = np.nan
        row_bucket[60_000:210_000] = row_bucket[60_000]
        row_bucket[-90_000:] = row_bucket[-90_000]
    change_at, valid_at = row_index(mid, row_bucket)
    want = naive_row_index(mid, row_bucket)
    np.testing.assert_array_equal(change_at, want[0])
    np.testing.assert_array_equal(valid_at, want[1])
    np.testing.assert_array_equal(last_row_with_mid(mid), want[2])


def test_the_density_estimate_counts_the_sampled_rows_where_an_entry_fires():
    rng = np.random.default_rng(3)
    signals = np.stack([rng.normal(size=1000), rng.normal(size=1000)])
    signals[0, ::7] = np.nan
    params = np.zeros((4, 13))
    params[:, 0] = [0, 0, 1, 1]  # signal
    params[:, 1] = [0.5, 1.0, 2.0, 0.1]  # entry
    params[:, 12] = [1, 0, -1, 0]  # direction
    got = entry_rates(signals, params)
    for p in range(4):
        x, e, d = signals[int(params[p, 0])], params[p, 1], params[p, 12]
        fires = ((x >= e) & (d >= 0)) | ((x <= -e) & (d <= 0))
        assert got[p] == fires.sum() / x.size


@pytest.fixture(scope="module")
def long_book():
    """A synthetic book long enough for every level of the block maxima (65,536-row blocks)."""
    book = synthetic(200_000, depth=5, seed=3)
    features = compute(book, ["imbalance_5", "ofi_2s"], engine="cpu")
    return book, {k: v / np.nanquantile(np.abs(v), 0.99) for k, v in features.items()}


@pytest.mark.parametrize("chunk", [None, 70_001])
def test_skipping_positions_equals_the_dense_scan_on_long_holds(long_book, chunk):
    book, signals = long_book
    grid = {
        "signal": list(signals),
        "entry": [0.9, 1.2],
        "exit": [-0.8, -5.0],
        "max_hold": [None, "20s", 5000],
        "latency": [0, "5ms"],
        "stop_loss_bps": [0.0, 10.0],
        "take_profit_bps": [0.0, 30.0],
        "size": [0.01, 2.0],
        "direction": ["long", "short"],
        "taker_fee_bps": [5.0],
    }
    record = [0, 17, 200, 383]
    dense, skipped = dense_and_skipped(
        book,
        signals,
        grid=grid,
        engine="cpu",
        record=record,
        bucket_returns=True,
        chunk_rows=chunk,
    )
    assert (dense.table.exposure > 0.2).mean() > 0.25  # long holds: most rows skipped in them
    assert_identical(dense, skipped, record)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("bucket", ["24h", "10s"])
def test_skipping_a_long_position_keeps_its_largest_drawdown_to_the_bit(seed, bucket):
    """One position over 200,000 rows of a random walk: its drawdowns are found in the blocks."""
    rows = 200_000
    book = random_book(np.random.default_rng(seed), rows=rows, depth=2, edge_cases=False)
    x = np.zeros(rows)
    x[10] = x[20] = 1.0
    x[30] = -1.0
    configs = [
        {"signal": "x", "entry": 0.5, "exit": -10.0, "size": size, "direction": side}
        for size in (0.01, 3.0)
        for side in ("long", "short")
    ]
    dense, skipped = dense_and_skipped(
        book,
        {"x": x},
        params=configs,
        engine="cpu",
        bucket_returns=True,
        sharpe_bucket=bucket,
    )
    assert (dense.table.exposure > 0.99).all()
    assert (dense.table.max_drawdown > -dense.table.pnl).any()  # not all at the end
    assert_identical(dense, skipped, [])


@pytest.mark.parametrize("rows", [1, 17, 300, 5000, 70000, 140_000])
def test_the_block_falls_are_the_largest_fall_and_rise_inside_each_block(rows):
    rng = np.random.default_rng(rows)
    mid = np.cumsum(rng.normal(size=rows))
    mid[rng.random(rows) < 0.2] = np.nan
    tree, offsets = block_maxima(mid[None, :])
    falls = block_falls(mid, tree[0], offsets)
    for k in range(1, LEVELS + 1):
        size = 16**k
        for j in rng.choice(-(-rows // size), min(20, -(-rows // size)), replace=False):
            block = mid[j * size : (j + 1) * size]
            block = block[~np.isnan(block)]
            # the largest mid[i] - mid[j] over i <= j: the running high less each mid
            want_fall = (np.maximum.accumulate(block) - block).max() if block.size else 0.0
            want_rise = (block - np.minimum.accumulate(block)).max() if block.size else 0.0
            assert falls[0, offsets[k] + j] == want_fall
            assert falls[1, offsets[k] + j] == want_rise
