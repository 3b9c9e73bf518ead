"""Adding and changing tasks (the leaders of the plan's owner unit), and the checks of what a task refers to
that every way of writing a task goes through (API, pages, XLSX import, admin)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.models import Membership, Unit
from plans.models import Plan
from plans.permissions import plan_reaches
from plans.services import plan_check_open

from ..choices import FROZEN_STATES, TaskAction, TaskState
from ..models import Task
from ..permissions import is_owner_leader
from .common import TaskTransitionError, _announce, _lock, _log
from .deadlines import effective_due_date

EDITABLE_FIELDS = (
    "title",
    "description",
    "assignee_unit",
    "lead",
    "start_date",
    "due_date",
    "priority",
    "criterion_code",
    "parent",
)
# Changing these changes what scoring reads.
SCORED_FIELDS = {"assignee_unit", "due_date", "criterion_code"}
#: What `validate_task_links` checks, by the names of the task's fields.
LINK_FIELDS = ("plan", "parent", "lead", "assignee_unit", "criterion_code", "start_date", "due_date")

#: One answer for a unit outside the plan's reach and for a unit id that does not exist, and one for a lead
#: who is not an active member of the unit and for a user id that does not exist: an error never tells
#: whether a unit or a user exists, or where a user works.
ASSIGNEE_OUT_OF_REACH = gettext_lazy(
    "Chọn đơn vị thuộc phạm vi của kế hoạch: đơn vị ban hành hoặc đơn vị "
    "trực thuộc (kế hoạch của sở, ngành: đơn vị trong tỉnh)."
)
LEAD_NOT_MEMBER = gettext_lazy("Chọn cán bộ chủ trì là cán bộ đang hoạt động của đơn vị thực hiện.")

_MAX_DEPTH = 50


def validate_task_links(
    *,
    plan: Plan,
    parent: Task | None,
    lead,
    assignee_unit: Unit | None,
    criterion_code: str,
    start_date,
    due_date,
    task: Task | None = None,
    changed: set[str] | None = None,
) -> None:
    """What a task refers to, checked wherever a task is written (API, pages, imports, admin): the parent in
    the same plan and never the task itself or one of its sub-tasks, an assignee unit the plan reaches
    (SPEC §1), a lead who is an active member of that unit, a criterion of the plan's set, dates in order.
    `changed` (on an update) limits the checks of links to the fields that change, so that a task whose lead
    has since left the unit can still have its title corrected."""

    def check(*names: str) -> bool:
        return changed is None or any(n in changed for n in names)

    errors: dict[str, list[str]] = {}
    if parent is not None and check("parent"):
        if parent.plan_id != plan.pk:
            errors["parent"] = [_("Nhiệm vụ cha phải thuộc cùng kế hoạch.")]
        elif task is not None and task.pk and _is_below(parent, task):
            errors["parent"] = [
                _(
                    "Nhiệm vụ không thể là nhiệm vụ cha của chính nó, cũng "
                    "không thể nằm dưới một nhiệm vụ con của nó."
                )
            ]
    if assignee_unit is not None and check("assignee_unit") and not plan_reaches(plan, assignee_unit):
        errors["assignee_unit"] = [str(ASSIGNEE_OUT_OF_REACH)]
    # The lead is judged only against a unit in reach: an answer about a unit out of reach must read exactly
    # like one about a unit that does not exist (the serializer stops there): nothing about its members.
    if (lead is not None and check("lead", "assignee_unit") and "assignee_unit" not in errors) and (
        assignee_unit is None
        or not lead.is_active
        or not Membership.objects.filter(user=lead, unit=assignee_unit).exists()
    ):
        errors["lead"] = [str(LEAD_NOT_MEMBER)]
    if criterion_code and check("criterion_code"):
        if plan.criteria_set_id is None:
            errors["criterion_code"] = [_("Kế hoạch chưa gắn bộ tiêu chí.")]
        elif not plan.criteria_set.criteria.filter(code=criterion_code, rule__isnull=False).exists():
            errors["criterion_code"] = [
                _("'%(code)s' không phải tiêu chí được chấm điểm của %(set)s.")
                % {"code": criterion_code, "set": plan.criteria_set.code}
            ]
    if start_date and due_date and start_date > due_date:
        errors["due_date"] = [_("Hạn hoàn thành trước ngày bắt đầu.")]
    if errors:
        raise ValidationError(errors)


def _is_below(candidate: Task, task: Task) -> bool:
    """Is `candidate` the task itself or one of its sub-tasks (at any depth)? Walks up from the candidate:
    a task tree is shallow, one query per level, bounded."""
    seen = 0
    node_id = candidate.pk
    while node_id is not None and seen < _MAX_DEPTH:
        if node_id == task.pk:
            return True
        node_id = Task.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()
        seen += 1
    return node_id is not None  # deeper than any real plan: refuse rather than loop


def check_may_add_tasks(actor, plan: Plan) -> None:
    """Tasks are added (one by one or from a file) by a leader of the plan's owner unit, to an open plan."""
    plan_check_open(
        actor=actor,
        plan=plan,
        denied=_("Chỉ lãnh đạo đơn vị ban hành kế hoạch được thêm nhiệm vụ."),
        closed=_("Kế hoạch đã kết thúc."),
    )


@transaction.atomic
def task_create(
    *,
    actor,
    plan: Plan,
    title: str,
    assignee_unit: Unit,
    description: str = "",
    parent: Task | None = None,
    lead=None,
    start_date: dt.date | None = None,
    due_date: dt.date | None = None,
    priority: str = "normal",
    criterion_code: str = "",
    progress: int = 0,
    now=None,
) -> Task:
    """Add a draft task (or a sub-task under `parent`) to a plan."""
    now = now or timezone.now()
    check_may_add_tasks(actor, plan)
    links = dict(
        plan=plan,
        parent=parent,
        lead=lead,
        assignee_unit=assignee_unit,
        criterion_code=criterion_code,
        start_date=start_date,
        due_date=due_date,
    )
    validate_task_links(**links)
    task = Task(
        **links,
        title=title,
        description=description,
        priority=priority,
        progress=progress,
        effective_due_date=effective_due_date(due_date),
    )
    task.full_clean(exclude=["state"])
    task.save()
    _log(task, action=TaskAction.CREATE, actor=actor, now=now, to_state=task.state)
    _announce(task, TaskAction.CREATE, actor, affects_score=False)
    return task


@transaction.atomic
def task_update(*, actor, task: Task, now=None, **fields) -> Task:
    """Change a task's details (leaders of the owner unit). Approved and cancelled tasks are frozen."""
    now = now or timezone.now()
    task = _lock(task)
    if not is_owner_leader(task, actor):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị ban hành kế hoạch được sửa nhiệm vụ này."))
    if task.state in FROZEN_STATES:
        raise TaskTransitionError(_("Nhiệm vụ đã duyệt hoặc đã hủy không sửa được; hãy mở lại trước."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Không sửa được trường này ở đây.")] for f in unknown})
    changes = {}
    old_unit_id = task.assignee_unit_id
    for name, value in fields.items():
        old = getattr(task, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(task, name, value)
    if not changes:
        return task
    if task.due_date is None and task.state != TaskState.DRAFT:
        raise ValidationError({"due_date": [_("Nhiệm vụ đã giao phải có hạn hoàn thành.")]})
    if "assignee_unit" in changes and task.state != TaskState.DRAFT:
        raise ValidationError({"assignee_unit": [_("Đơn vị thực hiện chỉ đổi được trước khi giao.")]})
    links = {name: getattr(task, name) for name in LINK_FIELDS}
    validate_task_links(task=task, changed=set(changes), **links)
    task.effective_due_date = effective_due_date(task.due_date)
    task.full_clean(exclude=["state"])
    task.save()
    _log(task, action=TaskAction.UPDATE, actor=actor, now=now, data={"changes": changes})
    _announce(
        task,
        TaskAction.UPDATE,
        actor,
        affects_score=bool(SCORED_FIELDS & set(changes)),
        other_unit_ids=(old_unit_id,) if old_unit_id != task.assignee_unit_id else (),
    )
    return task


def _plain(value):
    """A value as the history's JSON keeps it: a row by its id, a date or a decimal as text."""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value
