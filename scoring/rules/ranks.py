"""Ranks within a peer group."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .numbers import to_decimal

_SHOWN = Decimal("0.01")


def competition_ranks(percents: list[Decimal]) -> list[int]:
    """Standard competition ranks ("1, 1, 3") by percent, descending, in the order given.

    Percents are compared as users see them, rounded half up to 2 decimals: two units shown as 87.50 %
    share a rank even if their 4-decimal percents differ.
    """
    shown = [to_decimal(p).quantize(_SHOWN, rounding=ROUND_HALF_UP) for p in percents]
    ordered = sorted(shown, reverse=True)
    first_rank: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_rank.setdefault(value, position)
    return [first_rank[value] for value in shown]
