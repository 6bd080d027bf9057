"""Exact decimal parsing of string columns, through :mod:`l2gpu.data.ingest.parsers.decimals`."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeAlias

import numpy as np
import pyarrow as pa

from l2gpu.data.ingest.parsers.decimals import (
    STATUS_MESSAGES,
    STATUS_OK,
    parse_fixed_point,
    parse_integers,
    parse_price_units,
    parse_sizes,
)

PRICE_SCALE = 8
"""Decimals kept in integer price units: ``units = price * 10**PRICE_SCALE``."""


Strings: TypeAlias = Sequence[str] | pa.Array | pa.ChunkedArray


def _buffers(strings: Strings) -> tuple[np.ndarray, np.ndarray]:
    """Return the UTF-8 bytes and the int64 offsets of a string column (nulls read as empty)."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if not isinstance(strings, pa.Array):
        strings = pa.array(strings, pa.string())
    if not pa.types.is_large_string(strings.type):
        strings = strings.cast(pa.large_string())
    _, offsets_buf, data_buf = strings.buffers()
    offsets = np.frombuffer(offsets_buf, np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return data, offsets


def parse_prices(strings: Strings, scale: int = PRICE_SCALE) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal price strings into int64 units of ``10**-scale``.

    Returns
    -------
    units : int64[N]
    status : int8[N]
        0 where the string parsed; see :func:`status_message` for the others.
    """
    data, offsets = _buffers(strings)
    units = np.empty(offsets.shape[0] - 1, np.int64)
    status = np.empty(offsets.shape[0] - 1, np.int8)
    parse_price_units(data, offsets, scale, units, status)
    return units, status


def parse_size_strings(
    strings: Strings,
) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal size strings into the nearest float64 (base units).

    Returns
    -------
    sizes : float64[N]
    status : int8[N]
        As for :func:`parse_prices`.
    """
    data, offsets = _buffers(strings)
    sizes = np.empty(offsets.shape[0] - 1, np.float64)
    status = np.empty(offsets.shape[0] - 1, np.int8)
    parse_sizes(data, offsets, sizes, status)
    return sizes, status


def parse_fixed_strings(strings: Strings, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse non-negative decimals into exact int64 ``value * 10**scale`` (timestamps).

    Microseconds at ``scale=3`` become nanoseconds, seconds at ``scale=9`` too; never through
    float64. A string with more decimals than ``scale`` (other than trailing zeros) or beyond
    the int64 range is flagged.

    Returns
    -------
    values : int64[N]
    status : int8[N]
        As for :func:`parse_prices`.
    """
    data, offsets = _buffers(strings)
    values = np.empty(offsets.shape[0] - 1, np.int64)
    status = np.empty(offsets.shape[0] - 1, np.int8)
    parse_fixed_point(data, offsets, scale, values, status)
    return values, status


def parse_integer_strings(strings: Strings) -> tuple[np.ndarray, np.ndarray]:
    """Parse signed whole numbers (``-?[0-9]+``) into int64; see :func:`parse_prices`."""
    data, offsets = _buffers(strings)
    values = np.empty(offsets.shape[0] - 1, np.int64)
    status = np.empty(offsets.shape[0] - 1, np.int8)
    parse_integers(data, offsets, values, status)
    return values, status


def status_message(code: int) -> str:
    """Say what is wrong with a string whose parse status is ``code``."""
    return "is fine" if code == STATUS_OK else STATUS_MESSAGES[code]


def units_to_price(units: np.ndarray, scale: int = PRICE_SCALE) -> np.ndarray:
    """Turn int64 price units into the nearest float64 prices (exact division)."""
    return units.astype(np.float64) / float(10**scale)


def tick_size_of(units: np.ndarray, scale: int = PRICE_SCALE) -> str:
    """Infer the tick as the greatest common divisor of the price units, as a decimal string."""
    positive = units[units > 0]
    if positive.size == 0:
        return ""
    gcd = int(np.gcd.reduce(positive))
    return format(Decimal(gcd).scaleb(-scale).normalize(), "f")
