"""Block maxima against NumPy's maxima of each block, over several chunks of rows."""

import numpy as np
import pytest

from l2gpu.kernels.block_maxima import CHUNK_ROWS, LEVELS, SHIFT, block_maxima


def naive_maxima(x, size):
    """The maximum of each block of ``size`` rows, NaN never counting (-inf for none)."""
    padded = np.full(-(-x.shape[0] // size) * size, -np.inf)
    padded[: x.shape[0]] = np.where(np.isnan(x), -np.inf, x)
    return padded.reshape(-1, size).max(axis=1)


@pytest.mark.parametrize("rows", [1, 15, 16, 4097, CHUNK_ROWS, 2 * CHUNK_ROWS + 123])
def test_every_level_holds_the_largest_value_of_its_blocks_and_of_their_negation(rows):
    rng = np.random.default_rng(rows)
    series = rng.normal(size=(3, rows))
    series[rng.random((3, rows)) < 0.1] = np.nan
    series[1, : min(rows, 5_000)] = np.nan  # whole blocks without a value
    tree, offsets = block_maxima(series)
    for s in range(3):
        for k in range(1, LEVELS + 1):
            blocks = -(-rows // (1 << (SHIFT * k)))
            level = tree[s, :, offsets[k] : offsets[k] + blocks]
            np.testing.assert_array_equal(level[0], naive_maxima(series[s], 16**k))
            np.testing.assert_array_equal(level[1], naive_maxima(-series[s], 16**k))
