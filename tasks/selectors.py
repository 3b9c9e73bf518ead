"""Reads for tasks. Everything a user is shown starts from `Task.objects.visible_to(user)`."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from org.selectors import user_memberships

from .models import NOT_DONE_STATES, Task, TaskState


def task_list(*, user, today: dt.date | None = None):
    """Visible tasks with what lists show, and the SQL-computed status."""
    today = today or timezone.localdate()
    return (
        Task.objects.visible_to(user)
        .select_related("plan", "plan__owner_unit", "assignee_unit", "lead")
        .with_status(today)
    )


def my_tasks_q(user) -> Q:
    """Tasks that are the user's work: led by them, or assigned to a unit where they are an official without
    a lead set, or waiting for their approval as a leader of the plan's owner unit."""
    unit_ids = [u for u, _p, r in user_memberships(user) if r in ("official", "leader")]
    leader_paths = [p for _u, p, r in user_memberships(user) if r == "leader"]
    q = Q(lead=user) | Q(assignee_unit_id__in=unit_ids, lead__isnull=True)
    for path in leader_paths:
        q |= Q(plan__owner_unit__path__startswith=path, state=TaskState.SUBMITTED)
    return q


def tasks_overdue(qs, today: dt.date):
    return qs.filter(state__in=NOT_DONE_STATES, effective_due_date__lt=today)
