"""Exact Decimal arithmetic for the rules: numbers through their string form, ratios rounded once, half up."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

#: Decimal places kept where a division makes them necessary (proportional points, percent).
POINTS_PLACES = 4
ZERO = Decimal(0)


def to_decimal(value: Any) -> Decimal:
    """A Decimal from a Decimal, int, str or float, through its string form (never float arithmetic)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str):
        return Decimal(str(value))
    raise TypeError(f"not a number: {value!r}")


def round_fraction(value: Fraction, places: int = POINTS_PLACES) -> Decimal:
    """`value` as a Decimal rounded half up (away from zero) to `places` decimals, computed exactly."""
    return round_ratio(value.numerator, value.denominator, places)


def round_ratio(numerator: int, denominator: int, places: int = POINTS_PLACES) -> Decimal:
    """numerator / denominator (integers, denominator > 0) as a Decimal rounded half up (away from zero) to
    `places` decimals, computed exactly in integers."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    units, remainder = divmod(abs(numerator) * 10**places, denominator)
    if 2 * remainder >= denominator:
        units += 1
    if numerator < 0:
        units = -units
    return Decimal(units).scaleb(-places)


def fmt(value: Decimal) -> str:
    """A number as a user reads it: no exponent, no trailing zeros (97.50 -> 97.5, 100 -> 100)."""
    return format(value.normalize(), "f")
