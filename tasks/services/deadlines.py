"""Effective due dates (SPEC §2): a due date moved to the next working day, kept in a column, and refreshed
when the working-day calendar changes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction

from org.calendar import get_calendar

from ..choices import TaskAction
from ..models import Task
from .common import tasks_announce_bulk


def effective_due_date(due_date: dt.date | None) -> dt.date | None:
    """SPEC §2: the due date, moved to the next working day when it falls on a non-working day."""
    return get_calendar().next_working_day(due_date) if due_date else None


def tasks_refresh_effective_due_dates(*, since: dt.date | None = None) -> int:
    """Recompute effective due dates after the calendar changed (only rows that change are written)."""
    calendar = get_calendar()
    qs = Task.objects.filter(due_date__isnull=False)
    if since:
        qs = qs.filter(due_date__gte=since - dt.timedelta(days=31))
    changed = []
    fields = ("id", "due_date", "effective_due_date", "plan_id", "assignee_unit_id")
    for task in qs.only(*fields).iterator(chunk_size=5000):
        eff = calendar.next_working_day(task.due_date)
        if eff != task.effective_due_date:
            task.effective_due_date = eff
            changed.append(task)
    with transaction.atomic():
        Task.objects.bulk_update(changed, ["effective_due_date"], batch_size=1000)
        # Statuses (on time or late, overdue or pending) and reminders depend on the effective due date: one
        # outbox event per plan for the batch (scoring recomputes each plan's units once).
        by_plan: dict[int, list[Task]] = defaultdict(list)
        for task in changed:
            by_plan[task.plan_id].append(task)
        for plan_id, tasks in by_plan.items():
            tasks_announce_bulk(
                tasks, plan_id=plan_id, action=TaskAction.CALENDAR, actor=None, affects_score=True
            )
    return len(changed)
