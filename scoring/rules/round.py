"""The round's rules (SPEC §3, §3a): a unit's own points on a leaf, bonus and penalty applied to its totals,
its class, and when an appraisal needs a note. Pure: plain values in, values out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from .numbers import POINTS_PLACES, ZERO, round_ratio, to_decimal
from .tree import Totals

_SHOWN = Decimal("0.01")


def own_points(auto: Decimal, self_points: Decimal | None) -> Decimal:
    """A unit's own points on a leaf: its self points where it gave them (only `manual` leaves take them),
    else the automatic points."""
    return auto if self_points is None else self_points


def percent_of(total: Decimal, applicable_max: Decimal) -> Decimal:
    """total / applicable_max x 100, exact, rounded once half up to 4 decimals; 0 when nothing applies."""
    if applicable_max <= 0:
        return Decimal(0).scaleb(-POINTS_PLACES)
    total_n, total_d = total.as_integer_ratio()
    max_n, max_d = applicable_max.as_integer_ratio()
    return round_ratio(total_n * max_d * 100, total_d * max_n)


def adjusted(totals: Totals, bonus: Decimal = ZERO, penalty: Decimal = ZERO) -> Totals:
    """The totals with the appraisers' bonus and penalty: total = evidence + survey + bonus - penalty, kept
    within 0..applicable max, and the percent of that total. Bonus and penalty are not negative."""
    bonus, penalty = to_decimal(bonus), to_decimal(penalty)
    if bonus < 0 or penalty < 0:
        raise ValueError("bonus and penalty are not negative")
    if not bonus and not penalty:
        return totals
    raw = totals.evidence_points + totals.survey_points + bonus - penalty
    total = min(max(raw, ZERO), totals.applicable_max)
    return replace(totals, total=total, percent=percent_of(total, totals.applicable_max))


def class_for(classes: Sequence[Sequence], percent: Decimal) -> str:
    """The label of the first class whose threshold <= the percent as shown (rounded half up to 2
    decimals, as ranks compare it); "" when the set defines no classes. `classes`: [[threshold, label], …]
    with thresholds strictly descending, the last 0 (checked at import)."""
    shown = to_decimal(percent).quantize(_SHOWN, rounding=ROUND_HALF_UP)
    for threshold, label in classes:
        if to_decimal(threshold) <= shown:
            return str(label)
    return ""


def needs_note(appraised: Decimal | None, own: Decimal) -> bool:
    """An appraisal below the unit's own points must say why (SPEC §3a)."""
    return appraised is not None and appraised < own


def below_own(appraised: Decimal | None, own: Decimal) -> bool:
    """A leaf the unit may answer in the explanation: appraised below its own points."""
    return needs_note(appraised, own)
