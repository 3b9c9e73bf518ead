"""SPEC §2, how a task stands against its deadline, decided once: `task_status` for one task in Python, and
the same rule as SQL conditions (`status_conditions`, `overdue_q`; `TaskQuerySet.with_status` annotates it).
Every "overdue" in the code (the lists' tab, the API filter, the dashboard, the reminders) is `overdue_q`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .choices import DUE_STATES, TaskState, TaskStatus


def task_status(*, state: str, effective_due_date, submitted_at, today: dt.date) -> str:
    """The status of one task (pure; the SQL twin is TaskQuerySet.with_status)."""
    if state == TaskState.CANCELLED:
        return TaskStatus.CANCELLED
    if state == TaskState.DRAFT:
        return TaskStatus.DRAFT
    if state == TaskState.APPROVED:
        if effective_due_date is None or (
            submitted_at is not None and timezone.localdate(submitted_at) <= effective_due_date
        ):
            return TaskStatus.ON_TIME
        return TaskStatus.LATE
    if effective_due_date is not None and effective_due_date < today:
        return TaskStatus.OVERDUE
    return TaskStatus.PENDING


def status_parts(today: dt.date) -> tuple[Q, Q, Q, Q]:
    """The four facts a task's status is decided by, as SQL conditions: not counted (cancelled or draft),
    approved, submitted in time (no due date, or submitted on or before it, by the local date), past due
    (before `today`)."""
    submitted_on = TruncDate("submitted_at", tzinfo=timezone.get_default_timezone())
    return (
        Q(state__in=(TaskState.CANCELLED, TaskState.DRAFT)),
        Q(state=TaskState.APPROVED),
        Q(effective_due_date__isnull=True)
        | Q(submitted_at__isnull=False, effective_due_date__gte=submitted_on),
        Q(effective_due_date__lt=today),
    )


def status_conditions(today: dt.date) -> dict[str, Q]:
    """One SQL condition per status, mutually exclusive, each true exactly where `task_status` gives that
    status. For counting by status with `Count(…, filter=…)`: simple conditions, where a filter on the
    `with_status` annotation would evaluate the whole CASE once per count."""
    uncounted, approved, in_time, past_due = status_parts(today)
    open_ = ~uncounted & ~approved
    return {
        TaskStatus.CANCELLED: Q(state=TaskState.CANCELLED),
        TaskStatus.DRAFT: Q(state=TaskState.DRAFT),
        TaskStatus.ON_TIME: approved & in_time,
        TaskStatus.LATE: approved & ~in_time,
        TaskStatus.OVERDUE: open_ & past_due,
        TaskStatus.PENDING: open_ & ~past_due,
    }


def overdue_q(today: dt.date) -> Q:
    """The "overdue" status alone: assigned, not approved, and past its effective due date (before `today`).
    The one definition the lists' "overdue" tab, the API filter and the dashboard use."""
    return Q(state__in=DUE_STATES, effective_due_date__lt=today)
