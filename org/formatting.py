"""Numbers as users read them, in the active language's format (Vietnamese: a decimal comma): the one way
messages, history and exports write points, so no page says "10.00" where another says "10"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

_CENT = Decimal("0.01")


def points(value) -> str:
    """Points with at most two decimals, trailing zeros dropped: 10.00 → "10", 8.5000 → "8,5", 2.125 →
    "2,13" (half up), in the active language's decimal separator."""
    q = Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    places = 0 if q == q.to_integral_value() else (1 if (q * 10) == (q * 10).to_integral_value() else 2)
    return number_format(q, places)
