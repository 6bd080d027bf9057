"""The byte counts behind each feature's share of copy bandwidth, counted by hand."""

import pytest

from benchmarks.feature_bytes import minimum_bytes
from l2gpu.features import DEFAULT_FEATURES

ROWS, TRADES = 1000, 300


@pytest.mark.parametrize(
    ("name", "per_row"),
    [
        ("mid", 2 + 1),  # best bid and ask prices, the output
        ("microprice", 4 + 1),
        ("wmid_3", 12 + 1),  # 3 levels x (2 prices + 2 sizes)
        ("imbalance_5_decay0.5", 10 + 1),  # 5 levels x 2 sizes
        ("slope_4", 8 + 2 + 1),  # 4 levels x 2 sizes, the 4th prices
        ("ofi_100", 4 + 1),  # a row window reads no ts
        ("mlofi_5_2s", 20 + 1 + 1),  # 5 levels x 4 arrays, ts
        ("rv_2s", 2 + 1 + 1),
        ("intensity_1s", 1 + 1),
    ],
)
def test_book_features_count_their_arrays_per_row(name, per_row):
    assert minimum_bytes(name, ROWS, TRADES) == ROWS * 8 * per_row


def test_trade_features_count_each_trade_and_the_book_rows():
    trade = 8 + 8 + 8 + 1  # ts, price, size, side
    assert minimum_bytes("cvd", ROWS, TRADES) == TRADES * trade + ROWS * 8 * 2
    assert minimum_bytes("vwap_dev_30s", ROWS, TRADES) == TRADES * trade + ROWS * 8 * 4


def test_only_the_volume_profile_goes_uncounted():
    uncounted = [n for n in DEFAULT_FEATURES if minimum_bytes(n, ROWS, TRADES) is None]
    assert uncounted == ["vp_poc_60s", "vp_vah_60s", "vp_val_60s"]
