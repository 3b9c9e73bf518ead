"""Overrides of the national calendar (a working Saturday, an extra day off), picked up after commit."""

from __future__ import annotations

from django.db import transaction

from ..audit import audit_record
from ..calendar import calendar_changed
from ..models import AuditAction, CalendarDay


@transaction.atomic
def calendar_day_set(*, actor=None, date, is_working: bool, note: str = "") -> CalendarDay:
    """Add or change an override of the national calendar; every process picks it up after commit."""
    day, _ = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_working": is_working, "note": note}
    )
    audit_record(
        actor=actor,
        action=AuditAction.CALENDAR_DAY_SET,
        subject=day,
        changes={"is_working": [None, is_working], "note": [None, note]},
    )
    transaction.on_commit(calendar_changed)
    return day


@transaction.atomic
def calendar_day_remove(*, actor=None, day: CalendarDay) -> None:
    """Remove an override: the national calendar applies to that date again."""
    audit_record(
        actor=actor,
        action=AuditAction.CALENDAR_DAY_SET,
        subject=day,
        changes={"is_working": [day.is_working, None], "note": [day.note, None]},
    )
    day.delete()
    transaction.on_commit(calendar_changed)
