"""Cascading (issue 15): a plan's task issued to every unit of a kind in the plan's reach, or to a chosen
list of units, as one copy per unit in one step ("every commune issues its CCHC plan by 31/12"). The copies
then live their own lives (each unit's evidence, approval and score). And the other way down: the leaders
of a unit that received a task split it into sub-tasks for their officials.

Each copy carries its source task; the unique key (source, assignee unit) makes a cascade run twice (a
retry, a worker killed after its commit, a second click) write every copy once, and its summary tells what
was created and what was there already.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Unit, UnitKind
from org.selectors import user_has_role
from plans.models import PlanState
from plans.permissions import reach_q

from ..choices import FROZEN_STATES, TaskState
from ..models import Task
from ..permissions import is_owner_leader
from .bulk import tasks_create_bulk
from .common import TaskTransitionError, _lock
from .crud import check_may_add_tasks

#: The most units one cascade reaches (a province's every commune is about 3,400 nationally; one province
#: has a few hundred).
MAX_CASCADE_UNITS = 5000


@dataclass
class CascadeResult:
    """What a cascade did: the copies it created, how many units had theirs already, the units aimed at."""

    created: list[Task] = field(default_factory=list)
    existing: int = 0
    units: int = 0

    def summary(self) -> dict:
        return {"created": len(self.created), "existing": self.existing, "units": self.units}


def _targets(task: Task, *, unit_kind: str | None, units) -> list[int]:
    """The ids of the units a cascade of `task` aims at, in the plan's reach; a unit outside it is refused,
    named by the id it was given as (one answer for a unit out of reach and one that does not exist)."""
    plan = task.plan
    if bool(unit_kind) == bool(units):
        raise ValidationError({"unit_kind": [_("Chọn một cấp đơn vị hoặc một danh sách đơn vị.")]})
    if unit_kind:
        if unit_kind not in UnitKind.values:
            raise ValidationError({"unit_kind": [_("Cấp đơn vị không hợp lệ.")]})
        ids = list(
            Unit.objects.filter(reach_q(plan), kind=unit_kind).order_by("path").values_list("pk", flat=True)
        )
        if not ids:
            raise ValidationError(
                {"unit_kind": [_("Không có đơn vị nào thuộc cấp này trong phạm vi của kế hoạch.")]}
            )
    else:
        wanted = list(dict.fromkeys(int(getattr(u, "pk", u)) for u in units))
        reached = set(Unit.objects.filter(reach_q(plan), pk__in=wanted).values_list("pk", flat=True))
        outside = [u for u in wanted if u not in reached]
        if outside:
            raise ValidationError(
                {
                    "units": [
                        _("Các đơn vị sau không thuộc phạm vi của kế hoạch: %(ids)s.")
                        % {"ids": ", ".join(str(u) for u in outside[:50])}
                    ]
                }
            )
        ids = wanted
    if len(ids) > MAX_CASCADE_UNITS:
        raise ValidationError(
            {"units": [_("Nhiều hơn %(n)d đơn vị trong một lần giao.") % {"n": MAX_CASCADE_UNITS}]}
        )
    return ids


@transaction.atomic
def task_cascade(
    *, actor, task: Task, unit_kind: str | None = None, units=None, assign: bool | None = None, now=None
) -> CascadeResult:
    """Issue a copy of `task` to every unit of `unit_kind` in its plan's reach, or to `units` (ids or
    units): title, description, dates, priority and criterion code copied, no lead (each unit's leaders
    choose theirs). The copies are assigned at once when the plan is issued and the task has a due date
    (`assign=None`), else drafts. Leaders of the plan's owner unit only. A retry creates only what is
    missing (the key (source, unit)); the result says what was created and what was there."""
    now = now or timezone.now()
    task = _lock(task)
    if not is_owner_leader(task, actor):
        raise PermissionDenied(
            _("Chỉ lãnh đạo đơn vị ban hành kế hoạch được giao nhiệm vụ này cho các đơn vị.")
        )
    check_may_add_tasks(actor, task.plan)
    if task.state == TaskState.CANCELLED or task.source_id is not None:
        raise TaskTransitionError(_("Không giao tiếp được nhiệm vụ đã hủy hoặc nhiệm vụ là bản giao."))
    ids = _targets(task, unit_kind=unit_kind, units=units or ())
    if assign is None:
        assign = task.plan.state == PlanState.ISSUED and task.due_date is not None
    rows = [
        {
            "title": task.title,
            "description": task.description,
            "assignee_unit": unit_id,
            "start_date": task.start_date,
            "due_date": task.due_date,
            "priority": task.priority,
            "criterion_code": task.criterion_code,
            "source": task.pk,
        }
        for unit_id in ids
    ]
    result = tasks_create_bulk(
        actor=actor, plan=task.plan, rows=rows, assign=assign, check_actor=False, now=now
    )
    return CascadeResult(created=result.created, existing=result.existing, units=len(ids))


def can_split(user, task: Task) -> bool:
    """May `user` split this received task into sub-tasks? A leader of its assignee unit (or above it),
    once the task is assigned and until it is approved or cancelled."""
    return (
        task.state != TaskState.DRAFT
        and task.state not in FROZEN_STATES
        and user_has_role(user, "leader", task.assignee_unit)
    )


@transaction.atomic
def task_split(*, actor, task: Task, rows: list[dict], now=None) -> list[Task]:
    """The leaders of a unit that received `task` split it into sub-tasks for their officials: each row a
    title, a lead (an active member of the unit), optional description and dates (the due date at the
    latest the task's). The sub-tasks belong to the same unit, are assigned at once, and carry no criterion
    code (the task itself is what is scored). Every row is checked first, nothing written if one is bad."""
    now = now or timezone.now()
    task = _lock(task)
    if not can_split(actor, task):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị thực hiện được chia nhiệm vụ đã giao thành việc nhỏ."))
    errors = []
    subtasks = []
    for i, row in enumerate(rows, start=1):
        due = row.get("due_date") or task.due_date
        if task.due_date and due and due > task.due_date:
            errors.append(
                _("Dòng %(row)d, due_date: muộn hơn hạn của nhiệm vụ (%(due)s)")
                % {"row": i, "due": task.due_date.strftime("%d/%m/%Y")}
            )
        subtasks.append(
            {
                "row": i,
                "title": row.get("title") or "",
                "description": row.get("description") or "",
                "lead": row.get("lead"),
                "start_date": row.get("start_date"),
                "due_date": due,
                "priority": row.get("priority") or task.priority,
                "assignee_unit": task.assignee_unit_id,
                "parent": task.pk,
            }
        )
    if not subtasks:
        raise ValidationError({"rows": [_("Chưa có việc nào.")]})
    if errors:
        raise ValidationError({"rows": errors})
    result = tasks_create_bulk(
        actor=actor, plan=task.plan, rows=subtasks, assign=True, check_actor=False, now=now
    )
    return result.created
