"""The deadline calendar's read: the tasks falling due in a range of days."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..choices import TaskState
from ..models import Task
from .tone import due_soon_until, with_tone


def tasks_due_between(*, user, first: dt.date, last: dt.date, today: dt.date | None = None):
    """The tasks the user sees whose effective due date lies in [first, last], cancelled ones left out (they
    have no deadline any more), with their status and tone, by deadline: the deadline calendar's one query."""
    today = today or timezone.localdate()
    qs = (
        Task.objects.visible_to(user)
        .filter(effective_due_date__gte=first, effective_due_date__lte=last)
        .exclude(state=TaskState.CANCELLED)
        .select_related("plan", "assignee_unit")
        .with_status(today)
        .order_by("effective_due_date", "id")
    )
    return with_tone(qs, soon_until=due_soon_until(today))
