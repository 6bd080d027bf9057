"""Exact conversion between integer ticks and float64 prices.

A price is stored as the float64 nearest to its exact decimal value. Building it as
``ticks * 0.1`` can land one ulp away from ``float("123.4")`` and split one level in two; dividing
an exact integer numerator by a power of ten is correctly rounded by IEEE 754, so
``(ticks * tick_numerator) / 10**scale`` is always the nearest float64 to the decimal price.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import numpy as np
import numpy.typing as npt


def tick_fraction(tick_size: str | float) -> tuple[int, int]:
    """Split a tick size into an integer numerator and a power-of-ten denominator.

    Parameters
    ----------
    tick_size : str or float
        The tick as a decimal string (``"0.1"``) or a float whose shortest repr is that decimal.

    Returns
    -------
    (numerator, denominator) : tuple of int
        ``tick_size == numerator / denominator`` exactly, denominator a power of ten.
    """
    try:
        dec = Decimal(str(tick_size))
    except InvalidOperation:
        raise ValueError(f"tick size {tick_size!r} is not a decimal number") from None
    if not dec.is_finite() or dec <= 0:
        raise ValueError(f"tick size must be a positive finite decimal, got {tick_size!r}")
    exponent = int(dec.as_tuple().exponent)
    scale = max(0, -exponent)
    numerator = int(dec.scaleb(scale))
    return numerator, 10**scale


def ticks_to_price(ticks: npt.ArrayLike, tick_size: str | float) -> npt.NDArray[np.float64]:
    """Return the float64 prices nearest to ``ticks * tick_size`` (computed exactly).

    Parameters
    ----------
    ticks : array_like of int
        Prices in ticks. Must satisfy ``|ticks * numerator| < 2**53``.
    tick_size : str or float
        Tick size in quote currency.
    """
    numerator, denominator = tick_fraction(tick_size)
    scaled = np.asarray(ticks, dtype=np.int64) * numerator
    return scaled.astype(np.float64) / float(denominator)
