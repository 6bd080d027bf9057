"""The profile's price bins and integer volumes against the NumPy expressions they replace."""

import numpy as np
import pytest

from l2gpu.kernels.volume_profile import PREFIX_CHUNK, profile_inputs_cpu


@pytest.mark.parametrize("bin_size", [0.1, 0.5, 1.5, 0.01])
def test_bins_and_units_equal_floor_and_round(bin_size):
    rng = np.random.default_rng(7)
    n = 2 * PREFIX_CHUNK + 123  # several parallel chunks and a short last one
    # Prices on the bin grid, halfway between, below zero; sizes at half units (round to even).
    px = np.concatenate(
        [
            np.arange(-60, 60) * bin_size,
            (np.arange(-60, 60) + 0.5) * bin_size,
            rng.uniform(-1e3, 1e5, n),
        ]
    )
    sz = np.concatenate(
        [np.arange(-60, 60) * 0.5e-8, rng.uniform(-5.0, 5.0, 120), rng.exponential(0.3, n)]
    )
    bins = np.empty(px.shape[0], dtype=np.int64)
    units = np.empty(px.shape[0], dtype=np.int64)
    profile_inputs_cpu(px, sz, bin_size, 1e-9, 10**8, bins, units)
    np.testing.assert_array_equal(bins, np.floor(px / bin_size + 1e-9).astype(np.int64))
    np.testing.assert_array_equal(units, np.round(sz * 10**8).astype(np.int64))
