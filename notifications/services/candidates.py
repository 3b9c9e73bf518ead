"""Which open tasks may have a reminder to plan now, chosen in SQL by state and effective due date (indexed),
and only where the reminder the policy would now give is not in the ledger yet: an idle cycle reads a few
distinct dates, not tasks."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db.models import (
    Case,
    CharField,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from org.calendar import WorkingCalendar
from tasks.models import OPEN_STATES, Task

from ..models import Notification
from ..policy import ESCALATION, REMINDER, VN_TZ, ReminderPolicy, TaskFacts, reminder_sequence
from .common import _batched

# How far the at-risk midpoint (in working days) can drift from the calendar-day midpoint: Tết, the
# 30/4–1/5 break and the admin's extra days off all in one half of a task. A wide margin only costs a few
# more candidates; the policy decides exactly.
_MIDPOINT_MARGIN = dt.timedelta(days=45)


def _latest_by_date(
    due_date: dt.date, today: dt.date, policy: ReminderPolicy, calendar: WorkingCalendar
) -> dict[str, tuple[str, int]]:
    """stream → (kind, offset) of the newest before-due, overdue or escalation reminder the policy gives a
    task due on `due_date` up to `today`, before looking at the task itself (assignment day, at-risk)."""
    probe = TaskFacts(
        state="in_progress", assigned_on=None, start_date=None, effective_due_date=due_date, progress=100
    )
    latest: dict[str, tuple[str, int]] = {}
    for r in reminder_sequence(probe, policy, calendar, until=today):
        if r.kind != "at_risk":
            latest[r.stream] = (r.kind, r.offset)
    return latest


def _missing(kind_field: str, offset_field: str) -> Exists:
    return Exists(
        Notification.objects.filter(
            task_id=OuterRef("pk"),
            event_id__isnull=True,
            due_date=OuterRef("effective_due_date"),
            kind=OuterRef(kind_field),
            offset=OuterRef(offset_field),
        )
    )


def _expected_case(expected: dict, dates: list[dt.date], stream: str, part: int, output):
    """SQL: the expected kind (part 0) or offset (part 1) of `stream` for each task's due date."""
    whens = [
        When(effective_due_date=d, then=Value(expected[d][stream][part]))
        for d in dates
        if stream in expected[d]
    ]
    return Case(*whens, default=Value(None), output_field=output) if whens else Value(None, output)


def _candidate_ids(policy: ReminderPolicy, scope: Q, today: dt.date, calendar: WorkingCalendar) -> list[int]:
    """Ids of open tasks in `scope` that may have a reminder to plan today, selected in SQL: those with a
    due-date reminder missing (`_dated_ids`), then those that may be at risk (`_at_risk_ids`)."""
    open_tasks = Task.objects.filter(scope, state__in=OPEN_STATES, effective_due_date__isnull=False)
    ids = _dated_ids(open_tasks, policy, today, calendar)
    if policy.at_risk_progress_below > 0:
        ids.update(_at_risk_ids(open_tasks, policy, today))
    return sorted(ids)


def _dated_ids(
    open_tasks: QuerySet, policy: ReminderPolicy, today: dt.date, calendar: WorkingCalendar
) -> set[int]:
    """Due within the before-due window (today … max offset working days ahead) or overdue, and missing
    the ledger row of the newest reminder their due date gives (per stream). The distinct due dates are
    few (one per day), so the expected (kind, offset) per date is computed here and matched in SQL."""
    horizon = max(policy.before_offsets, default=0)
    window_end = calendar.add_working_days(today, horizon)
    dates = (
        open_tasks.filter(effective_due_date__lte=window_end)
        .order_by()
        .values_list("effective_due_date", flat=True)
        .distinct()
    )
    expected = {d: e for d in dates if (e := _latest_by_date(d, today, policy, calendar))}
    ids: set[int] = set()
    for chunk in _batched(sorted(expected), 500):
        case = partial(_expected_case, expected, chunk)
        qs = (
            open_tasks.filter(effective_due_date__in=chunk)
            .annotate(
                r_kind=case(REMINDER, 0, CharField()),
                r_offset=case(REMINDER, 1, IntegerField()),
                e_kind=case(ESCALATION, 0, CharField()),
                e_offset=case(ESCALATION, 1, IntegerField()),
            )
            .filter(
                (Q(r_kind__isnull=False) & ~_missing("r_kind", "r_offset"))
                | (Q(e_kind__isnull=False) & ~_missing("e_kind", "e_offset"))
            )
        )
        ids.update(qs.values_list("pk", flat=True))
    return ids


def _at_risk_ids(open_tasks: QuerySet, policy: ReminderPolicy, today: dt.date) -> list[int]:
    """Long enough, behind on progress, past (about) the midpoint, and without an at-risk row for the
    current due date."""
    start = Coalesce("start_date", TruncDate("assigned_at", tzinfo=VN_TZ), output_field=DateField())
    today_value = Value(today, output_field=DateField())
    at_risk = (
        open_tasks.filter(effective_due_date__gte=today, progress__lt=policy.at_risk_progress_below)
        .annotate(start_on=start)
        .filter(start_on__lte=today)
        .annotate(
            length=ExpressionWrapper(F("effective_due_date") - F("start_on"), output_field=DurationField()),
            elapsed=ExpressionWrapper(today_value - F("start_on"), output_field=DurationField()),
            remaining=ExpressionWrapper(F("effective_due_date") - today_value, output_field=DurationField()),
        )
        # Working days never outnumber calendar days; the midpoint is near the calendar midpoint.
        .filter(length__gte=dt.timedelta(days=policy.at_risk_min_length - 1))
        .filter(remaining__lte=F("elapsed") + Value(_MIDPOINT_MARGIN, output_field=DurationField()))
        .exclude(
            Exists(
                Notification.objects.filter(
                    task_id=OuterRef("pk"),
                    event_id__isnull=True,
                    kind="at_risk",
                    due_date=OuterRef("effective_due_date"),
                )
            )
        )
    )
    return list(at_risk.values_list("pk", flat=True))
