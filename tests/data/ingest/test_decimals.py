from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2gpu.data.ingest.decimal_columns import (
    parse_prices,
    parse_size_strings,
    status_message,
    tick_size_of,
    units_to_price,
)

# The first example compiles the parsers (cache=True keeps them for later runs): no deadline.
EXACT = settings(deadline=None, derandomize=True, max_examples=100)

decimal_text = st.builds(
    lambda whole, frac: f"{whole}.{frac}" if frac else str(whole),
    st.integers(0, 10**7 - 1),
    st.text("0123456789", max_size=8),
)


@EXACT
@given(st.lists(decimal_text, min_size=1, max_size=50))
def test_prices_are_exact_integer_units(texts):
    units, status = parse_prices(texts, scale=8)
    assert (status == 0).all()
    for text, value in zip(texts, units, strict=True):
        assert value == int(Decimal(text) * 10**8)
    assert np.array_equal(units_to_price(units), np.array([float(t) for t in texts]))


@EXACT
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
        ("0.000000001", "has more decimals than the scale keeps"),
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


@EXACT
@given(
    st.integers(0, 2**62),
    st.text("0123456789", max_size=3),
    st.sampled_from([3, 9]),
)
def test_timestamps_are_exact_int64_never_float(whole, frac, scale):
    from l2gpu.data.ingest.decimal_columns import parse_fixed_strings

    text = f"{whole}.{frac}" if frac else str(whole)
    values, status = parse_fixed_strings([text], scale)
    exact = Decimal(text).scaleb(scale)
    if exact > 2**63 - 1:
        assert status_message(int(status[0])) == "is beyond the int64 range"
    else:
        assert status[0] == 0 and int(values[0]) == int(exact)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        ("NaN", "is not a decimal number"),
        ("1e9", "is not a decimal number"),
        ("-5", "is negative"),
        ("1.0001", "has more decimals than the scale keeps"),
        ("9223372036854776", "is beyond the int64 range"),
    ],
)
def test_bad_timestamps_are_flagged(text, problem):
    from l2gpu.data.ingest.decimal_columns import parse_fixed_strings

    values, status = parse_fixed_strings(["1585699200245000", text], 3)
    assert status[0] == 0 and values[0] == 1585699200245000000
    assert problem in status_message(int(status[1]))


@EXACT
@given(st.lists(st.integers(-(2**63) + 1, 2**63 - 1), min_size=1, max_size=20))
def test_integers_parse_exactly_and_non_integers_are_flagged(numbers):
    from l2gpu.data.ingest.decimal_columns import parse_integer_strings

    values, status = parse_integer_strings([str(n) for n in numbers] + ["1.5", "", "-", "NaN"])
    assert values[: len(numbers)].tolist() == numbers and (status[: len(numbers)] == 0).all()
    assert [status_message(int(c)) for c in status[len(numbers) :]] == [
        "is not a decimal number",
        "is empty",
        "is not a decimal number",
        "is not a decimal number",
    ]


quoted_text = st.text("0123456789.-x", max_size=24)


@EXACT
@given(st.lists(quoted_text, min_size=1, max_size=50), st.sampled_from([0, 2, 8]))
def test_quoted_fast_path_is_the_exact_parser(texts, scale):
    """The line kernels' quoted-value readers against the column parsers, to the closing quote."""
    from l2gpu.data.ingest.parsers.decimals import quoted_price_units, quoted_size

    texts = [*texts, "1.0000000000000000000001", "9007199254740993", "0.0000000000", "5.", ".5"]
    units, price_status = parse_prices(texts, scale=scale)
    sizes, size_status = parse_size_strings(texts)
    for k, text in enumerate(texts):
        data = np.frombuffer(text.encode() + b'"]', np.uint8)
        got_units, price_ok, at = quoted_price_units(data, 0, data.size, scale)
        got_size, size_ok, size_at = quoted_size(data, 0, data.size)
        assert price_ok == (price_status[k] == 0) and size_ok == (size_status[k] == 0), text
        if price_ok:
            assert got_units == units[k] and at == len(text), text
        if size_ok:
            assert got_size == sizes[k] and size_at == len(text), text
