"""One task given to several units at once from the task form (issue 13): a copy per unit, in one step,
within the plan's reach, written as one batch by `tasks_create_bulk` (one history row per copy, one outbox
event). Unlike a cascade (`cascade.task_cascade`), there is no source task: the copies are the task."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Unit
from plans.models import Plan

from ..models import Task
from ..permissions import can_assign_to
from .bulk import tasks_create_bulk
from .crud import check_may_add_tasks

#: The most units one task form gives a task to (more is a cascade to a kind of unit).
MAX_UNITS = 500


@transaction.atomic
def tasks_create_for_units(
    *,
    actor,
    plan: Plan,
    units: list[Unit],
    title: str,
    description: str = "",
    start_date: dt.date | None = None,
    due_date: dt.date | None = None,
    priority: str = "",
    criterion_code: str = "",
    parent: Task | None = None,
    now=None,
) -> list[Task]:
    """Create the task once for each of `units` (drafts, as `task_create` makes them), for a leader who may
    add tasks to `plan` (403 otherwise). Every unit must lie in the plan's reach: one that does not is
    refused by name (`assignee_units`), and nothing is written. No lead: each unit's leaders choose theirs.
    Returns the copies, in the units' order."""
    now = now or timezone.now()
    check_may_add_tasks(actor, plan)
    units = list(dict.fromkeys(units))
    if not units:
        raise ValidationError({"assignee_units": [_("Chọn ít nhất một đơn vị thực hiện.")]})
    if len(units) > MAX_UNITS:
        raise ValidationError(
            {"assignee_units": [_("Nhiều nhất %(n)d đơn vị trong một lần giao.") % {"n": MAX_UNITS}]}
        )
    outside = [u for u in units if not can_assign_to(actor, plan, u)]
    if outside:
        raise ValidationError(
            {
                "assignee_units": [
                    _("Các đơn vị sau không thuộc phạm vi của kế hoạch %(plan)s: %(units)s.")
                    % {"plan": plan.number, "units": ", ".join(f"{u.name} ({u.code})" for u in outside)}
                ]
            }
        )
    rows = [
        {
            "title": title,
            "description": description,
            "assignee_unit": unit.pk,
            "start_date": start_date,
            "due_date": due_date,
            "priority": priority or None,
            "criterion_code": criterion_code,
            "parent": parent.pk if parent is not None else None,
        }
        for unit in units
    ]
    result = tasks_create_bulk(actor=actor, plan=plan, rows=rows, assign=False, check_actor=False, now=now)
    return result.created
