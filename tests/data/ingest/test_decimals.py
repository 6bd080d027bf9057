from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2gpu.data.ingest.decimal_columns import (
    parse_prices,
    parse_size_strings,
    status_message,
    tick_size_of,
    units_to_price,
)

decimal_text = st.builds(
    lambda whole, frac: f"{whole}.{frac}" if frac else str(whole),
    st.integers(0, 10**7 - 1),
    st.text("0123456789", max_size=8),
)


@given(st.lists(decimal_text, min_size=1, max_size=50))
def test_prices_are_exact_integer_units(texts):
    units, status = parse_prices(texts, scale=8)
    assert (status == 0).all()
    for text, value in zip(texts, units, strict=True):
        assert value == int(Decimal(text) * 10**8)
    assert np.array_equal(units_to_price(units), np.array([float(t) for t in texts]))


@given(st.lists(decimal_text, min_size=1, max_size=50))
def test_sizes_are_the_nearest_float(texts):
    sizes, status = parse_size_strings(texts)
    assert (status == 0).all()
    assert sizes.tolist() == [float(t) for t in texts]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("-1.5", "is negative"),
        ("1e5", "is not a decimal number"),
        ("", "is empty"),
        ("1.2.3", "is not a decimal number"),
        (".", "is not a decimal number"),
        ("abc", "is not a decimal number"),
        ("0.000000001", "has more decimals than the price scale"),
        ("9007199254740993", "has more significant digits than float64 holds"),
        ("123456789.123", "has more significant digits than float64 holds"),
    ],
)
def test_bad_prices_are_flagged_with_a_reason(text, problem):
    units, status = parse_prices(["1.0", text], scale=8)
    assert status[0] == 0 and units[0] == 10**8
    assert problem in status_message(int(status[1]))


def test_tick_is_the_gcd_of_the_prices():
    units, _ = parse_prices(["61800.20", "61800.10", "61799.70"])
    assert tick_size_of(units) == "0.1"
    assert tick_size_of(parse_prices(["7137.5", "7138"])[0]) == "0.5"
    assert tick_size_of(parse_prices(["7137.5", "7140"])[0]) == "2.5"
    assert tick_size_of(parse_prices(["100", "300"])[0]) == "100"
