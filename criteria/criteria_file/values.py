"""Numbers as a criteria file writes them, and values as an error message shows them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def to_number(value: Any) -> Decimal | None:
    """A finite Decimal from an int, float or numeric string (via its string form), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    try:
        result = Decimal(text)
    except InvalidOperation:
        return None
    if not result.is_finite():
        return None
    return abs(result) if result == 0 else result  # no "-0"


def fmt(number: Decimal) -> str:
    """The JSON-safe form of a number: a decimal string without exponent, as written ("1.0" stays)."""
    return format(number, "f")


def show(value: Any) -> str:
    """A value as an error message quotes it: text in quotes, anything else as it prints."""
    return repr(value) if isinstance(value, str) else str(value)
