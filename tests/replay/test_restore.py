"""Config parameters read back from a results table through Parquet encode as they did."""

import numpy as np
import pandas as pd
import pytest

from l2gpu.backtest.params import encode as encode_threshold
from l2gpu.backtest.params import normalise as normalise_threshold
from l2gpu.backtest.quote.params import encode as encode_quote
from l2gpu.backtest.quote.params import normalise as normalise_quote
from l2gpu.pipeline.results import as_text_where_mixed
from l2gpu.replay.run import restore
from tests.backtest.configs import random_configs as threshold_configs
from tests.backtest.quote_cases import random_configs as quote_configs

CELLS = [
    ("None", None),
    ("nan", None),
    (np.float64("nan"), None),
    ("True", True),
    ("False", False),
    ("50", 50),
    ("-3", -3),
    ("0.01", 0.01),
    ("1e-05", 1e-05),
    ("-0.2973516546", -0.2973516546),
    ("1s", "1s"),
    ("250ms", "250ms"),
    ("imbalance_5", "imbalance_5"),
    (np.int64(3), 3),
    (2.5, 2.5),
]


@pytest.mark.parametrize(("cell", "value"), CELLS)
def test_a_cell_reads_back_as_the_value_it_was(cell, value):
    restored = restore(cell)
    assert restored == value and type(restored) is type(value)


@pytest.mark.parametrize("family", ["threshold", "quote"])
def test_a_table_through_parquet_encodes_to_the_same_kernel_parameters(family, tmp_path, rng):
    signals = {"imbalance_5": rng.normal(size=50), "ofi_2s": 40 * rng.normal(size=50)}
    names = list(signals)
    if family == "threshold":
        normalise, encode = normalise_threshold, encode_threshold
        table = normalise(pd.DataFrame(threshold_configs(rng, 60, signals)), names)
        signal_rows = names
    else:
        normalise, encode = normalise_quote, encode_quote
        table = normalise(pd.DataFrame(quote_configs(rng, 60, signals)), names)
        signal_rows = ["", *names]
    path = tmp_path / "results.parquet"
    as_text_where_mixed(table).to_parquet(path)
    back = pd.read_parquet(path)
    mixed = back["max_hold" if family == "threshold" else "requote"]  # rows and durations
    assert any(isinstance(v, str) and v.isdigit() for v in mixed), "no rows stored as text"
    restored = pd.DataFrame([{c: restore(v) for c, v in row.items()} for _, row in back.iterrows()])
    again = normalise(restored, names)
    np.testing.assert_array_equal(encode(again, signal_rows), encode(table, signal_rows))
