r"""Exact parsing of decimal strings (``"61800.20"``) held in an Arrow string buffer.

A price becomes an integer number of price units, ``units = value * 10**scale``, with no float in
between, so a level is never split by float noise. A size becomes the float64 nearest to its exact
decimal value: ``mantissa / 10**decimals`` is correctly rounded by IEEE 754 while the mantissa is
below ``2**53``.

Accepted: ``[0-9]+(\\.[0-9]*)?`` or ``\\.[0-9]+``. Everything else is reported per string through a
status code (see the ``STATUS_*`` constants), never raised, so the caller can name the input row.

Timestamps and other exact integers use the int64 range instead of ``2**53``:
:func:`parse_fixed_point` reads a non-negative decimal with at most ``scale`` decimals into
``value * 10**scale`` (microseconds ``"1585699200245000.5"`` at scale 3 are nanoseconds), and
:func:`parse_integers` reads signed whole numbers (``-9999999999``).

The Binance line kernels read quoted values in place: :func:`quoted_price_units` and
:func:`quoted_size` take a plain value (digits and a point, then the closing quote) in one
branch-light pass and hand anything else to the exact parsers, with the same verdicts and values.
"""

from __future__ import annotations

import numba
import numpy as np

STATUS_OK = 0
STATUS_EMPTY = 1
STATUS_NOT_A_NUMBER = 2
STATUS_NEGATIVE = 3
STATUS_TOO_MANY_DECIMALS = 4
STATUS_TOO_MANY_DIGITS = 5
STATUS_OUT_OF_RANGE = 6

STATUS_MESSAGES = {
    STATUS_EMPTY: "is empty",
    STATUS_NOT_A_NUMBER: "is not a decimal number",
    STATUS_NEGATIVE: "is negative",
    STATUS_TOO_MANY_DECIMALS: "has more decimals than the scale keeps (prices or times)",
    STATUS_TOO_MANY_DIGITS: "has more significant digits than float64 holds exactly (2**53)",
    STATUS_OUT_OF_RANGE: "is beyond the int64 range",
}

EXACT_MANTISSA_LIMIT = 2**53
INT64_MAX = 2**63 - 1
# 10**k for k <= 22 is exactly representable in float64; literals avoid pow() rounding.
POWERS_OF_TEN = np.array([10.0**k for k in range(23)])


NO_STOP = -1
"""A ``stop`` byte no input holds: the decimal runs to ``end``."""


@numba.njit(cache=True, nogil=True, inline="always")
def _scan_decimal(data, start, end, stop):
    """Return (mantissa, decimals, status, position) of the decimal from ``start``.

    The decimal ends at ``end`` or before the first byte equal to ``stop``, whose index (or
    ``end``) is ``position``; a parser of quoted values reads each byte once. Trailing zeros after
    the point are dropped (``"1.500"`` is mantissa 15, 1 decimal), so only significant digits count
    against the exactness limit ``mantissa < 2**53``. ``position`` is meaningless unless the status
    is ``STATUS_OK``.
    """
    if start >= end or data[start] == stop:
        return 0, 0, STATUS_EMPTY, start
    if data[start] == 45:  # '-'
        return 0, 0, STATUS_NEGATIVE, start
    mantissa = 0
    decimals = 0
    pending_zeros = 0
    any_digit = False
    seen_point = False
    i = start
    while i < end:
        c = data[i]
        if c == stop:
            break
        i += 1
        if c == 46:  # '.'
            if seen_point:
                return 0, 0, STATUS_NOT_A_NUMBER, i
            seen_point = True
        elif 48 <= c <= 57:
            any_digit = True
            if seen_point and c == 48:
                pending_zeros += 1
                continue
            for _ in range(pending_zeros):
                mantissa *= 10
            decimals += pending_zeros
            pending_zeros = 0
            mantissa = mantissa * 10 + (c - 48)
            if seen_point:
                decimals += 1
            if mantissa >= EXACT_MANTISSA_LIMIT:
                return 0, 0, STATUS_TOO_MANY_DIGITS, i
        else:
            return 0, 0, STATUS_NOT_A_NUMBER, i
    if not any_digit:
        return 0, 0, STATUS_NOT_A_NUMBER, i
    return mantissa, decimals, STATUS_OK, i


@numba.njit(cache=True, nogil=True, inline="always")
def price_units_until(data, start, end, scale, stop):
    """Return (units, status, position) of the price from ``start`` to ``end`` or ``stop``.

    ``units = value * 10**scale``; ``position`` is as for ``_scan_decimal``.
    """
    mantissa, decimals, code, position = _scan_decimal(data, start, end, stop)
    if code != STATUS_OK:
        return 0, code, position
    if decimals > scale:
        return 0, STATUS_TOO_MANY_DECIMALS, position
    for _ in range(scale - decimals):
        mantissa *= 10
        if mantissa >= EXACT_MANTISSA_LIMIT:
            return 0, STATUS_TOO_MANY_DIGITS, position
    return mantissa, STATUS_OK, position


@numba.njit(cache=True, nogil=True, inline="always")
def size_until(data, start, end, stop):
    """Return (value, status, position): the float64 nearest to the decimal from ``start``.

    The decimal ends as for :func:`price_units_until`.
    """
    mantissa, decimals, code, position = _scan_decimal(data, start, end, stop)
    if code == STATUS_OK and decimals >= POWERS_OF_TEN.shape[0]:
        code = STATUS_TOO_MANY_DIGITS
    if code != STATUS_OK:
        return np.nan, code, position
    return mantissa / POWERS_OF_TEN[decimals], STATUS_OK, position


QUOTE = 34
PLAIN_DIGITS = 18
"""Digits a plain decimal may have for the quoted fast path: below 10**18, no int64 overflow."""


@numba.njit(cache=True, nogil=True, inline="always")
def _plain_quoted(data, start, end):
    """Return (all digits as one integer, fraction digits, position, plain) of a quoted value.

    ``plain``: digits, perhaps a point and more digits (1 to :data:`PLAIN_DIGITS` digits in all),
    then the closing quote at ``position``. Trailing zeros stay in the integer, so no digit is a
    special case.
    """
    value = 0
    pos = start
    point = -1
    while pos < end:
        c = data[pos]
        if 48 <= c <= 57:
            value = value * 10 + (c - 48)
        elif c == 46 and point < 0:
            point = pos
        else:
            break
        pos += 1
    fraction = pos - point - 1 if point >= 0 else 0
    n_digits = pos - start - (1 if point >= 0 else 0)
    plain = 0 < n_digits <= PLAIN_DIGITS and pos < end and data[pos] == QUOTE
    return value, fraction, pos, plain


@numba.njit(cache=True, nogil=True)
def _exact_quoted_price(data, start, end, scale):
    """Return :func:`quoted_price_units` through :func:`price_units_until` (not inlined: rare)."""
    units, code, pos = price_units_until(data, start, end, scale, QUOTE)
    return units, code == STATUS_OK, pos


@numba.njit(cache=True, nogil=True)
def _exact_quoted_size(data, start, end):
    """Return :func:`quoted_size` through :func:`size_until` (not inlined: rare)."""
    size, code, pos = size_until(data, start, end, QUOTE)
    return size, code == STATUS_OK, pos


@numba.njit(cache=True, nogil=True, inline="always")
def quoted_price_units(data, start, end, scale):
    """Return (units, ok, position of the closing quote) of the quoted price from ``start``.

    ``ok`` and ``units`` are exactly :func:`price_units_until`'s (``STATUS_OK``) to the quote: a
    plain value with at most ``scale`` decimals and below ``2**53`` is scaled straight from all its
    digits (``units`` is the same number whether or not trailing zeros are dropped first); any
    other goes through :func:`price_units_until`.
    """
    value, fraction, pos, plain = _plain_quoted(data, start, end)
    if plain and fraction <= scale and value < EXACT_MANTISSA_LIMIT:
        for _ in range(scale - fraction):
            value *= 10
            if value >= EXACT_MANTISSA_LIMIT:
                return 0, False, pos
        return value, True, pos
    return _exact_quoted_price(data, start, end, scale)


@numba.njit(cache=True, nogil=True, inline="always")
def quoted_size(data, start, end):
    """Return (value, ok, position of the closing quote) of the quoted size from ``start``.

    As :func:`size_until` to the quote: a plain value below ``2**53`` with all its digits is
    divided by ``10**decimals`` at once (the same correctly rounded quotient as with trailing
    zeros dropped); any other goes through :func:`size_until`.
    """
    value, fraction, pos, plain = _plain_quoted(data, start, end)
    if plain and value < EXACT_MANTISSA_LIMIT:
        return value / POWERS_OF_TEN[fraction], True, pos
    return _exact_quoted_size(data, start, end)


@numba.njit(cache=True, nogil=True)
def parse_price_units(data, offsets, scale, units, status):
    """Parse each string into ``units = value * 10**scale`` (int64); flag what does not parse."""
    for i in range(offsets.shape[0] - 1):
        units[i], status[i], _ = price_units_until(data, offsets[i], offsets[i + 1], scale, NO_STOP)


@numba.njit(cache=True, nogil=True)
def parse_sizes(data, offsets, sizes, status):
    """Parse each string into the float64 nearest to its decimal value; flag what does not parse."""
    for i in range(offsets.shape[0] - 1):
        sizes[i], status[i], _ = size_until(data, offsets[i], offsets[i + 1], NO_STOP)


@numba.njit(cache=True, nogil=True)
def _fixed_point_one(data, start, end, scale):
    """Return (value * 10**scale, status) of one non-negative decimal, within int64."""
    if start >= end:
        return 0, STATUS_EMPTY
    if data[start] == 45:  # '-'
        return 0, STATUS_NEGATIVE
    value = 0
    decimals = -1  # digits after the point; -1 before it
    any_digit = False
    for i in range(start, end):
        c = data[i]
        if c == 46:  # '.'
            if decimals >= 0:
                return 0, STATUS_NOT_A_NUMBER
            decimals = 0
            continue
        if not 48 <= c <= 57:
            return 0, STATUS_NOT_A_NUMBER
        any_digit = True
        digit = c - 48
        if decimals >= 0:
            if decimals == scale:
                if digit != 0:
                    return 0, STATUS_TOO_MANY_DECIMALS
                continue
            decimals += 1
        # Below 10**17 another digit cannot overflow; only then is the exact test needed.
        if value >= 10**17 and value > (INT64_MAX - digit) // 10:
            return 0, STATUS_OUT_OF_RANGE
        value = value * 10 + digit
    if not any_digit:
        return 0, STATUS_NOT_A_NUMBER
    for _ in range(scale - max(decimals, 0)):
        if value > INT64_MAX // 10:
            return 0, STATUS_OUT_OF_RANGE
        value *= 10
    return value, STATUS_OK


@numba.njit(cache=True, nogil=True)
def parse_fixed_point(data, offsets, scale, values, status):
    """Parse each string into ``value * 10**scale`` as int64; flag what does not parse or fit."""
    for i in range(offsets.shape[0] - 1):
        values[i], status[i] = _fixed_point_one(data, offsets[i], offsets[i + 1], scale)


@numba.njit(cache=True, nogil=True)
def parse_integers(data, offsets, values, status):
    """Parse each string as a signed whole number (``-?[0-9]+``) into int64; flag the others."""
    for i in range(offsets.shape[0] - 1):
        start = offsets[i]
        end = offsets[i + 1]
        negative = start < end and data[start] == 45
        value, code = _fixed_point_one(data, start + 1 if negative else start, end, 0)
        for k in range(start, end):
            if data[k] == 46:  # '.': not a whole number
                value, code = 0, STATUS_NOT_A_NUMBER
        if negative and code == STATUS_EMPTY:
            code = STATUS_NOT_A_NUMBER
        values[i] = -value if negative else value
        status[i] = code
