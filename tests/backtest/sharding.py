"""The check every sharded sweep must pass: equal to the single-process sweep, exactly."""

import numpy as np
import pandas as pd

from l2gpu.backend import to_device


def assert_identical(sharded, single, layout=True):
    """Tables with exact values and dtypes, recorded trades, bucket pnl: all equal."""
    pd.testing.assert_frame_equal(sharded.table, single.table, check_exact=True)
    assert list(sharded.recorded) == list(single.recorded)
    for config, trades in single.recorded.items():
        pd.testing.assert_frame_equal(sharded.trades(config), trades, check_exact=True)
    if single.bucket_pnl is None:
        assert sharded.bucket_pnl is None
        return
    got, want = to_device(sharded.bucket_pnl, "cpu"), to_device(single.bucket_pnl, "cpu")
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True)
    if layout:  # one config per shard: both layouts, once pickled
        assert (got.strides[1] > got.strides[0]) == (want.strides[1] > want.strides[0])
