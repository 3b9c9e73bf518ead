"""Many tasks of one plan at once (an XLSX import, a cascade to every commune, a recurring series' due
occurrences): every row checked in one pass against what a few queries read for the whole batch, then the
tasks, one history row each and ONE outbox event for the batch, written in a constant number of queries
whatever the number of rows. Any bad row refuses the batch, naming each row and field; nothing is written.

Rows may carry a unique key (`source`, the task a cascade copies; or `series` and `period`, a recurring
series' occurrence), each with the assignee unit: those are inserted with `ON CONFLICT DO NOTHING` on the
key's unique constraint, so a batch run twice (a retry, a worker killed after its commit) writes every copy
once. What the call created is told apart from what was there by the history row: every task written
through a service has one from its first transaction on, so a keyed task without one is this call's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from org.calendar import get_calendar
from org.models import Membership, Unit
from plans.models import Plan, PlanState
from plans.permissions import reach_q

from ..choices import Priority, TaskAction, TaskState
from ..models import Task, TaskEvent
from .common import tasks_announce_bulk, tasks_log_bulk
from .crud import ASSIGNEE_OUT_OF_REACH, LEAD_NOT_MEMBER, check_may_add_tasks
from .transitions import SCORED_ACTIONS

#: At most this many row errors are listed; the rest are counted.
ERRORS_SHOWN = 50
_BATCH = 1000

#: The fields a row may give (`assignee_unit` and `title` are required; the rest as `task_create` takes them,
#: plus the unique keys `source`, `series` and `period`).
ROW_FIELDS = (
    "title",
    "assignee_unit",
    "description",
    "parent",
    "lead",
    "start_date",
    "due_date",
    "priority",
    "criterion_code",
    "source",
    "series",
    "period",
)


@dataclass
class BulkResult:
    """What a bulk creation did: the tasks it created (in the rows' order) and how many rows were there
    already (their key existed)."""

    created: list[Task] = field(default_factory=list)
    existing: int = 0


def _pk(value):
    return getattr(value, "pk", value)


def _row_error(rownum: int, name: str, message) -> str:
    return _("Dòng %(row)d, %(field)s: %(message)s") % {"row": rownum, "field": name, "message": message}


def bulk_errors(errors: list[str], key: str = "rows") -> ValidationError:
    """One ValidationError listing at most `ERRORS_SHOWN` row errors, the rest counted."""
    shown = errors[:ERRORS_SHOWN]
    if len(errors) > len(shown):
        shown.append(_("… và %(n)d lỗi khác.") % {"n": len(errors) - len(shown)})
    return ValidationError({key: shown})


@dataclass
class _Known:
    """What the rows refer to, read once for the batch."""

    units: dict[int, Unit]  # ids of units the plan reaches → unit
    members: set[tuple[int, int]]  # (active user id, unit id) memberships
    scored_codes: set[str]
    bound: bool
    parents: set[int]  # ids of the plan's tasks named as parents

    @classmethod
    def load(cls, plan: Plan, rows: list[dict]) -> _Known:
        unit_ids = {_pk(r.get("assignee_unit")) for r in rows} - {None}
        units = {u.pk: u for u in Unit.objects.filter(reach_q(plan), pk__in=unit_ids)} if unit_ids else {}
        lead_ids = {_pk(r.get("lead")) for r in rows} - {None}
        members = (
            set(
                Membership.objects.filter(
                    user_id__in=lead_ids, unit_id__in=units, user__is_active=True
                ).values_list("user_id", "unit_id")
            )
            if lead_ids and units
            else set()
        )
        bound = plan.criteria_set_id is not None
        codes = {r.get("criterion_code") or "" for r in rows} - {""}
        scored = (
            set(
                plan.criteria_set.criteria.filter(rule__isnull=False, code__in=codes).values_list(
                    "code", flat=True
                )
            )
            if bound and codes
            else set()
        )
        parent_ids = {_pk(r.get("parent")) for r in rows} - {None}
        parents = (
            set(Task.objects.filter(plan=plan, pk__in=parent_ids).values_list("pk", flat=True))
            if parent_ids
            else set()
        )
        return cls(units, members, scored, bound, parents)


def _check_rows(plan: Plan, rows: list[dict], *, assign: bool, first_row: int) -> list[str]:
    """Every problem of every row, in the rows' order, each naming its row number and field."""
    known = _Known.load(plan, rows)
    errors: list[str] = []
    for i, row in enumerate(rows):
        rownum = row.get("row") or first_row + i

        def err(name: str, message, rownum=rownum) -> None:
            errors.append(_row_error(rownum, name, message))

        unknown = set(row) - set(ROW_FIELDS) - {"row"}
        for name in sorted(unknown):
            err(name, _("trường không dùng được ở đây"))
        title = (row.get("title") or "").strip()
        if not title:
            err("title", _("tên nhiệm vụ bị trống"))
        elif len(title) > 500:
            err("title", _("tên nhiệm vụ dài quá 500 ký tự"))
        unit_id = _pk(row.get("assignee_unit"))
        if unit_id is None:
            err("assignee_unit", _("chưa chọn đơn vị thực hiện"))
        elif unit_id not in known.units:
            err("assignee_unit", ASSIGNEE_OUT_OF_REACH)
        lead_id = _pk(row.get("lead"))
        if lead_id is not None and unit_id in known.units and (lead_id, unit_id) not in known.members:
            err("lead", LEAD_NOT_MEMBER)
        code = row.get("criterion_code") or ""
        if code and not known.bound:
            err("criterion_code", _("kế hoạch chưa gắn bộ tiêu chí"))
        elif code and code not in known.scored_codes:
            err(
                "criterion_code",
                _("'%(code)s' không phải tiêu chí được chấm điểm của %(set)s")
                % {"code": code, "set": plan.criteria_set.code},
            )
        start, due = row.get("start_date"), row.get("due_date")
        for name, value in (("start_date", start), ("due_date", due)):
            if value is not None and not isinstance(value, dt.date):
                err(name, _("không phải là ngày"))
        if isinstance(start, dt.date) and isinstance(due, dt.date) and start > due:
            err("due_date", _("hạn hoàn thành trước ngày bắt đầu"))
        if assign and due is None:
            err("due_date", _("cần có hạn hoàn thành để giao nhiệm vụ"))
        if (row.get("priority") or Priority.NORMAL) not in Priority.values:
            err("priority", _("mức ưu tiên không hợp lệ"))
        parent_id = _pk(row.get("parent"))
        if parent_id is not None and parent_id not in known.parents:
            err("parent", _("nhiệm vụ cha phải thuộc cùng kế hoạch"))
    return errors


def _build(plan: Plan, row: dict, *, actor, assign: bool, now, calendar) -> Task:
    due = row.get("due_date")
    task = Task(
        plan=plan,
        title=" ".join((row.get("title") or "").split()),
        description=row.get("description") or "",
        assignee_unit_id=_pk(row["assignee_unit"]),
        parent_id=_pk(row.get("parent")),
        lead_id=_pk(row.get("lead")),
        start_date=row.get("start_date"),
        due_date=due,
        effective_due_date=calendar.next_working_day(due) if due else None,
        priority=row.get("priority") or Priority.NORMAL,
        criterion_code=row.get("criterion_code") or "",
        source_id=_pk(row.get("source")),
        series_id=_pk(row.get("series")),
        period=row.get("period") or "",
        state=TaskState.ASSIGNED if assign else TaskState.DRAFT,
    )
    if assign:
        task.assigned_at = now
        task.assigned_by = actor if actor is not None and actor.pk else None
    return task


def _key(task: Task) -> tuple:
    if task.source_id is not None:
        return ("source", task.source_id, task.assignee_unit_id)
    if task.series_id is not None:
        return ("series", task.series_id, task.period, task.assignee_unit_id)
    return ()


def _insert(objs: list[Task]) -> tuple[list[Task], int]:
    """Insert the tasks; keyed ones skip a key already taken. Returns the rows created (with their ids, in
    the given order) and how many were there already."""
    plain = [t for t in objs if not _key(t)]
    keyed = [t for t in objs if _key(t)]
    if plain:
        Task.objects.bulk_create(plain, batch_size=_BATCH)
    if not keyed:
        return plain, 0
    Task.objects.bulk_create(keyed, batch_size=_BATCH, ignore_conflicts=True)
    # ignore_conflicts leaves the ids unset: read back this batch's keys whose row has no history yet (ours:
    # every other task got its history row in the transaction that made it).
    key_q = Q()
    sources = {t.source_id for t in keyed if t.source_id is not None}
    series = {t.series_id for t in keyed if t.series_id is not None}
    units = {t.assignee_unit_id for t in keyed}
    if sources:
        key_q |= Q(source_id__in=sources)
    if series:
        key_q |= Q(series_id__in=series, period__in={t.period for t in keyed})
    # Plain values, not model instances: a Task built from `.only(...)` without its state reads the state
    # back with a query of its own (the state machine's mixin keeps the initial state), one per row.
    found = (
        Task.objects.filter(key_q, assignee_unit_id__in=units)
        .filter(~Exists(TaskEvent.objects.filter(task_id=OuterRef("pk"))))
        .values_list("id", "source_id", "series_id", "period", "assignee_unit_id")
    )
    ids = {
        ("source", source_id, unit_id)
        if source_id is not None
        else ("series", series_id, period, unit_id): pk
        for pk, source_id, series_id, period, unit_id in found
    }
    created = []
    for t in keyed:
        pk = ids.get(_key(t))
        if pk is not None:
            t.pk = t.id = pk
            t._state.adding = False
            t._state.db = "default"
            created.append(t)
    return plain + created, len(keyed) - len(created)


@transaction.atomic
def tasks_create_bulk(
    *,
    actor,
    plan: Plan,
    rows: list[dict],
    assign: bool = False,
    first_row: int = 1,
    check_actor: bool = True,
    now=None,
) -> BulkResult:
    """Create a plan's tasks from `rows` (dicts of `ROW_FIELDS`; a row's number is its `row` key, else its
    place from `first_row`), as drafts, or assigned at once (`assign`: the plan must be issued and every row
    have a due date). Checks every row first (the plan's reach, the lead's membership, the criterion code in
    the plan's set, the dates) and refuses the whole batch with every row's errors (`{"rows": [...]}`).
    Writes the tasks, one history row each and one outbox event, in a constant number of queries.
    `check_actor=False` is for the system's own jobs (a recurring series made by a leader who may since have
    left), never for a request."""
    now = now or timezone.now()
    if check_actor:
        check_may_add_tasks(actor, plan)
    if assign and Plan.objects.filter(pk=plan.pk).values_list("state", flat=True).first() != PlanState.ISSUED:
        raise ValidationError({"plan": [_("Hãy ban hành kế hoạch trước khi giao nhiệm vụ.")]})
    if not rows:
        return BulkResult()
    errors = _check_rows(plan, rows, assign=assign, first_row=first_row)
    if errors:
        raise bulk_errors(errors)
    calendar = get_calendar()
    objs = [_build(plan, row, actor=actor, assign=assign, now=now, calendar=calendar) for row in rows]
    created, existing = _insert(objs)
    action = TaskAction.ASSIGN if assign else TaskAction.CREATE
    tasks_log_bulk(created, action=action, actor=actor, now=now, data={"bulk": True})
    tasks_announce_bulk(
        created, plan_id=plan.pk, action=action, actor=actor, affects_score=action in SCORED_ACTIONS
    )
    return BulkResult(created=created, existing=existing)
