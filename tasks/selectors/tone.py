"""The tone of a task as the pages colour it (due soon, overdue, done on time …), one task or in SQL."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Case, Value, When

from org.calendar import get_calendar

from ..choices import TaskStatus, TaskTone
from ..models import Task


def due_soon_until(today: dt.date) -> dt.date:
    """The last day that counts as "due soon": `TASK_DUE_SOON_WORKING_DAYS` working days from today."""
    return get_calendar().add_working_days(today, settings.TASK_DUE_SOON_WORKING_DAYS)


def task_tone(task: Task, *, today: dt.date, soon_until: dt.date) -> str:
    """The tone of one task (the SQL twin is `with_tone`)."""
    status = task.status(today)
    if status == TaskStatus.CANCELLED:
        return TaskTone.CANCELLED
    if status == TaskStatus.DRAFT:
        return TaskTone.DRAFT
    if status == TaskStatus.ON_TIME:
        return TaskTone.DONE_ON_TIME
    if status == TaskStatus.LATE:
        return TaskTone.DONE_LATE
    if status == TaskStatus.OVERDUE:
        return TaskTone.OVERDUE
    if task.effective_due_date is not None and task.effective_due_date <= soon_until:
        return TaskTone.DUE_SOON
    return TaskTone.IN_TIME


def with_tone(qs, *, soon_until: dt.date):
    """Annotate `tone` on a queryset already annotated by `with_status`."""
    return qs.annotate(
        tone=Case(
            When(status_code=TaskStatus.CANCELLED, then=Value(TaskTone.CANCELLED)),
            When(status_code=TaskStatus.DRAFT, then=Value(TaskTone.DRAFT)),
            When(status_code=TaskStatus.ON_TIME, then=Value(TaskTone.DONE_ON_TIME)),
            When(status_code=TaskStatus.LATE, then=Value(TaskTone.DONE_LATE)),
            When(status_code=TaskStatus.OVERDUE, then=Value(TaskTone.OVERDUE)),
            When(effective_due_date__lte=soon_until, then=Value(TaskTone.DUE_SOON)),
            default=Value(TaskTone.IN_TIME),
            output_field=models.CharField(),
        )
    )
