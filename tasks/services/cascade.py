"""Cascading (issue 15): a plan's task issued to every unit of a kind in the plan's reach, or to a chosen
list of units, as one copy per unit in one step ("every commune issues its CCHC plan by 31/12"). The copies
then live their own lives (each unit's evidence, approval and score). And the other way down: the leaders
of a unit that received a task split it into sub-tasks for their officials.

Each copy carries its source task; the unique key (source, assignee unit) makes a cascade run twice (a
retry, a worker killed after its commit, a second click) write every copy once, and its summary tells what
was created and what was there already.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Unit, UnitKind
from org.selectors import user_has_role
from plans.models import Plan, PlanState
from plans.permissions import reach_q

from ..choices import FROZEN_STATES, TaskState
from ..models import Task
from ..permissions import is_owner_leader
from .bulk import BulkResult, Content, Placement, tasks_create_batch, tasks_create_bulk
from .common import TaskTransitionError, _lock
from .crud import check_may_add_tasks

#: The most units one cascade reaches (a province's every commune is about 3,400 nationally; one province
#: has a few hundred).
MAX_CASCADE_UNITS = 5000


class CascadeResult:
    """What a cascade did: the ids of the copies it created, how many were there already, the units aimed
    at, and (built when asked for) the copies themselves."""

    def __init__(self, bulk: BulkResult | None = None, *, units: int = 0):
        self._bulk = bulk or BulkResult()
        self.units = units

    @property
    def task_ids(self) -> list[int]:
        return self._bulk.ids

    @property
    def existing(self) -> int:
        return self._bulk.existing

    @property
    def created(self) -> list[Task]:
        return self._bulk.created

    def summary(self) -> dict:
        return {"created": len(self.task_ids), "existing": self.existing, "units": self.units}


def _targets(plan, *, unit_kind: str | None, units) -> list[int]:
    """The ids of the units a cascade aims at, in the plan's reach; a unit outside it is refused, named by
    the id it was given as (one answer for a unit out of reach and one that does not exist)."""
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
    units): `tasks_cascade` of this one task (the page and the API's cascade of a task)."""
    return tasks_cascade(
        actor=actor, plan=task.plan, tasks=[task], unit_kind=unit_kind, units=units, assign=assign, now=now
    )


@transaction.atomic
def tasks_cascade(
    *,
    actor,
    plan: Plan,
    tasks,
    unit_kind: str | None = None,
    units=None,
    assign: bool | None = None,
    now=None,
) -> CascadeResult:
    """Issue a plan's template tasks (`tasks`: tasks or ids of the plan) to every unit of `unit_kind` in the
    plan's reach, or to `units` (ids or units), in ONE batch: a copy of each task per unit (title,
    description, dates, priority and criterion code copied, no lead: each unit's leaders choose theirs),
    one history row per copy and one outbox event. A task's copies are assigned at once when the plan is
    issued and the task has a due date (`assign=None`), else drafts. Leaders of the plan's owner unit only.
    Each template is checked once for all its copies. A retry creates only what is missing (the key
    (source, unit)); the result says what was created and what was there."""
    now = now or timezone.now()
    ids = sorted({int(getattr(t, "pk", t)) for t in tasks})
    # The templates' rows locked (in id order, so two cascades never wait on each other in a cycle): a
    # cascade of the same task runs after this one has committed, and then finds every copy there.
    templates = list(
        Task.objects.select_for_update(of=("self",))
        .select_related("plan__owner_unit", "assignee_unit")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if not templates or len(templates) != len(ids) or any(t.plan_id != plan.pk for t in templates):
        raise ValidationError({"tasks": [_("Các nhiệm vụ phải thuộc kế hoạch này.")]})
    plan = templates[0].plan
    if not is_owner_leader(templates[0], actor):
        raise PermissionDenied(
            _("Chỉ lãnh đạo đơn vị ban hành kế hoạch được giao nhiệm vụ này cho các đơn vị.")
        )
    check_may_add_tasks(actor, plan)
    if any(t.state == TaskState.CANCELLED or t.source_id is not None for t in templates):
        raise TaskTransitionError(_("Không giao tiếp được nhiệm vụ đã hủy hoặc nhiệm vụ là bản giao."))
    unit_ids = _targets(plan, unit_kind=unit_kind, units=units or ())
    contents = [
        Content(
            plan=plan,
            fields={
                "title": t.title,
                "description": t.description,
                "start_date": t.start_date,
                "due_date": t.due_date,
                "priority": t.priority,
                "criterion_code": t.criterion_code,
                "source": t.pk,
            },
            assign=(plan.state == PlanState.ISSUED and t.due_date is not None) if assign is None else assign,
            row=i,
        )
        for i, t in enumerate(templates, start=1)
    ]
    placements = [
        Placement(i, unit_id, None, n)
        for i in range(len(contents))
        for n, unit_id in enumerate(unit_ids, start=i * len(unit_ids) + 1)
    ]
    result = tasks_create_batch(actor=actor, plan=plan, contents=contents, placements=placements, now=now)
    return CascadeResult(result, units=len(unit_ids))


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
