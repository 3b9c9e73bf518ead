"""Many tasks at once (an XLSX import, a cascade to every commune, a recurring series' due occurrences):
every row checked in one pass against what a few queries read for the whole batch, then the tasks, one
history row each and ONE outbox event per plan and action, written in a constant number of queries whatever
the number of rows. Any bad row refuses the batch, naming each row and field; nothing is written.

A batch is kept in two parts: its contents (what a task says: title, dates, criterion code, its key), and
its placements (a content for a unit, with the unit's lead). An import has one placement per content; a
cascade of 20 template tasks to 3,400 units has 20 contents and 68,000 placements, so what is the same for
every copy is checked once, and travels to the database once.

On PostgreSQL the tasks and their history rows go in as one statement: `INSERT … SELECT` from the unnested
arrays of the contents joined to those of the placements, `RETURNING` the new rows to an `INSERT` of their
history rows (a data-modifying CTE). Elsewhere (SQLite, the demo) through `bulk_create`.

Rows may carry a unique key (`source`, the task a cascade copies; or `series` and `period`, a recurring
series' occurrence), each with the assignee unit: those are inserted with `ON CONFLICT DO NOTHING` on the
key's unique constraint, so a batch run twice (a retry, a worker killed after its commit) writes every copy
once. What the call created is what the statement returned; on other databases, the keyed task without a
history row (every task written through a service has one from its first transaction on).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from org.calendar import get_calendar
from org.models import Membership, Unit
from plans.models import Plan, PlanState
from plans.permissions import reach_q

from ..choices import Priority, TaskAction, TaskState
from ..events import TaskChange, task_events_after_commit
from ..models import Task, TaskEvent
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
#: What a placement gives; everything else is the content's.
_PLACEMENT_FIELDS = ("assignee_unit", "lead")


def _pk(value):
    return getattr(value, "pk", value)


@dataclass
class Content:
    """What the tasks of a batch placed from it say (each field as `ROW_FIELDS`, ids or instances), the
    plan they belong to, and whether they are assigned at once. `row` numbers it in error messages."""

    plan: Plan
    fields: dict
    assign: bool
    row: int
    # Who assigns its tasks and is named in their history, when not the batch's actor (a recurring cycle
    # writes every plan's occurrences at once, each plan's in the name of its series' author).
    actor_id: int | None | object = field(default=None, kw_only=True)
    own_actor: bool = field(default=False, kw_only=True)

    def value(self, name: str):
        return self.fields.get(name)


@dataclass(frozen=True)
class Placement:
    """One task of a batch: a content (its index) for a unit, with the unit's lead (a user id or None)."""

    content: int
    unit_id: int | None
    lead_id: int | None = None
    row: int = 0


class CreatedTasks(Sequence):
    """The tasks a batch created, as a sequence whose length is known at once and whose `Task` instances
    are built on first use (a page that says how many were created never builds 1,000 of them)."""

    def __init__(self, ids: list[int], built):
        self._ids = ids
        self._built = built

    @cached_property
    def _tasks(self) -> list[Task]:
        return self._built()

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index):
        return self._tasks[index]

    def __iter__(self):
        return iter(self._tasks)

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None


class BulkResult:
    """What a bulk creation did: the ids of the tasks it created (in the rows' order), how many rows were
    there already (their key existed), and the created tasks themselves (built when first used)."""

    def __init__(self, ids=(), existing: int = 0, built=None):
        self.ids: list[int] = list(ids)
        self.existing = existing
        self.created = CreatedTasks(self.ids, built or (lambda: []))


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

    units: set[int]  # ids of units the plan reaches
    members: set[tuple[int, int]]  # (active user id, unit id) memberships
    scored_codes: set[str]
    bound: bool
    parents: set[int]  # ids of the plan's tasks named as parents

    @classmethod
    def load(cls, plan: Plan, contents: list[Content], placements: list[Placement]) -> _Known:
        unit_ids = {p.unit_id for p in placements} - {None}
        units = (
            set(Unit.objects.filter(reach_q(plan), pk__in=unit_ids).values_list("pk", flat=True))
            if unit_ids
            else set()
        )
        lead_ids = {p.lead_id for p in placements} - {None}
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
        codes = {c.value("criterion_code") or "" for c in contents} - {""}
        scored = (
            set(
                plan.criteria_set.criteria.filter(rule__isnull=False, code__in=codes).values_list(
                    "code", flat=True
                )
            )
            if bound and codes
            else set()
        )
        parent_ids = {_pk(c.value("parent")) for c in contents} - {None}
        parents = (
            set(Task.objects.filter(plan=plan, pk__in=parent_ids).values_list("pk", flat=True))
            if parent_ids
            else set()
        )
        return cls(units, members, scored, bound, parents)


# The order of a row's errors: its fields' order, the placement's (unit, lead) after the title.
_RANK = {"unknown": 0, "title": 1, "assignee_unit": 2, "lead": 3, "criterion_code": 4, "dates": 5}


def _check(plan: Plan, contents: list[Content], placements: list[Placement]) -> list[str]:
    """Every problem of every row, in the rows' order, each naming its row number and field: what a content
    says is checked once for all its placements, and each placement's unit and lead."""
    known = _Known.load(plan, contents, placements)
    found: list[tuple[int, int, str]] = []

    for content in contents:
        row = content.fields

        def err(rank: str, name: str, message, rownum=content.row) -> None:
            found.append((rownum, _RANK.get(rank, 6), _row_error(rownum, name, message)))

        for name in sorted(set(row) - set(ROW_FIELDS) - {"row"}):
            err("unknown", name, _("trường không dùng được ở đây"))
        title = (row.get("title") or "").strip()
        if not title:
            err("title", "title", _("tên nhiệm vụ bị trống"))
        elif len(title) > 500:
            err("title", "title", _("tên nhiệm vụ dài quá 500 ký tự"))
        code = row.get("criterion_code") or ""
        if code and not known.bound:
            err("criterion_code", "criterion_code", _("kế hoạch chưa gắn bộ tiêu chí"))
        elif code and code not in known.scored_codes:
            err(
                "criterion_code",
                "criterion_code",
                _("'%(code)s' không phải tiêu chí được chấm điểm của %(set)s")
                % {"code": code, "set": plan.criteria_set.code},
            )
        start, due = row.get("start_date"), row.get("due_date")
        for name, value in (("start_date", start), ("due_date", due)):
            if value is not None and not isinstance(value, dt.date):
                err("dates", name, _("không phải là ngày"))
        if isinstance(start, dt.date) and isinstance(due, dt.date) and start > due:
            err("dates", "due_date", _("hạn hoàn thành trước ngày bắt đầu"))
        if content.assign and due is None:
            err("dates", "due_date", _("cần có hạn hoàn thành để giao nhiệm vụ"))
        if (row.get("priority") or Priority.NORMAL) not in Priority.values:
            err("priority", "priority", _("mức ưu tiên không hợp lệ"))
        parent_id = _pk(row.get("parent"))
        if parent_id is not None and parent_id not in known.parents:
            err("parent", "parent", _("nhiệm vụ cha phải thuộc cùng kế hoạch"))

    units, members = known.units, known.members
    for p in placements:
        if p.unit_id is None:
            found.append((p.row, 2, _row_error(p.row, "assignee_unit", _("chưa chọn đơn vị thực hiện"))))
        elif p.unit_id not in units:
            found.append((p.row, 2, _row_error(p.row, "assignee_unit", ASSIGNEE_OUT_OF_REACH)))
        elif p.lead_id is not None and (p.lead_id, p.unit_id) not in members:
            found.append((p.row, 3, _row_error(p.row, "lead", LEAD_NOT_MEMBER)))
    found.sort(key=lambda e: (e[0], e[1]))
    return [message for _row, _rank, message in found]


def _from_rows(plan: Plan, rows: list[dict], *, assign: bool, first_row: int):
    """A batch of rows (one task each) as contents and their placements."""
    contents, placements = [], []
    for i, row in enumerate(rows):
        rownum = row.get("row") or first_row + i
        fields = {k: v for k, v in row.items() if k not in _PLACEMENT_FIELDS}
        contents.append(Content(plan=plan, fields=fields, assign=assign, row=rownum))
        placements.append(Placement(i, _pk(row.get("assignee_unit")), _pk(row.get("lead")), rownum))
    return contents, placements


# --- writing ------------------------------------------------------------------------------------------


@dataclass
class _Columns:
    """A content's column values, as they are written (the effective due date from the calendar)."""

    plan_id: int
    title: str
    description: str
    parent_id: int | None
    start_date: dt.date | None
    due_date: dt.date | None
    effective_due_date: dt.date | None
    priority: str
    criterion_code: str
    source_id: int | None
    series_id: int | None
    period: str
    state: str
    assigned_by_id: int | None

    @classmethod
    def of(cls, content: Content, *, actor_id, calendar) -> _Columns:
        f = content.fields
        if content.own_actor:
            actor_id = content.actor_id
        due = f.get("due_date")
        return cls(
            plan_id=content.plan.pk,
            title=" ".join((f.get("title") or "").split()),
            description=f.get("description") or "",
            parent_id=_pk(f.get("parent")),
            start_date=f.get("start_date"),
            due_date=due,
            effective_due_date=calendar.next_working_day(due) if due else None,
            priority=f.get("priority") or Priority.NORMAL,
            criterion_code=f.get("criterion_code") or "",
            source_id=_pk(f.get("source")),
            series_id=_pk(f.get("series")),
            period=f.get("period") or "",
            state=TaskState.ASSIGNED if content.assign else TaskState.DRAFT,
            assigned_by_id=actor_id if content.assign else None,
        )

    def key(self, unit_id: int) -> tuple:
        if self.source_id is not None:
            return ("source", self.source_id, unit_id)
        if self.series_id is not None:
            return ("series", self.series_id, self.period, unit_id)
        return ()


def _int_array(values) -> str:
    """An integer array literal: the driver adapts a list value by value, which costs more than the insert
    for tens of thousands of rows."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def _text_array(values) -> str:
    """A text (or date) array literal, each value quoted: one parameter for the driver to quote, where a
    list of a thousand strings is adapted and spliced into the statement one by one."""
    out = []
    for v in values:
        if v is None:
            out.append("NULL")
        else:
            text = v.isoformat() if isinstance(v, dt.date) else str(v)
            out.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(out) + "}"


_TASK_COLUMNS = (
    "plan_id, title, description, assignee_unit_id, lead_id, parent_id, start_date, due_date, "
    "effective_due_date, priority, criterion_code, progress, state, assigned_at, assigned_by_id, "
    "created_at, updated_at, source_id, series_id, period"
)
_INSERT_SQL = (
    "WITH c AS (SELECT * FROM unnest(%(plan)s::bigint[], %(title)s::text[], %(description)s::text[], "
    "%(parent)s::bigint[], %(start)s::date[], %(due)s::date[], %(effective)s::date[], %(priority)s::text[], "
    "%(code)s::text[], %(source)s::bigint[], %(series)s::bigint[], %(period)s::text[], %(state)s::text[], "
    "%(assigned_by)s::bigint[]) WITH ORDINALITY AS c(plan_id, title, description, parent_id, start_date, "
    "due_date, effective, priority, code, source_id, series_id, period, state, assigned_by_id, n)), "
    "p AS (SELECT * FROM unnest(%(content)s::bigint[], %(unit)s::bigint[], %(lead)s::bigint[]) "
    "WITH ORDINALITY AS p(n, unit_id, lead_id, ord)), "
    f"new AS (INSERT INTO tasks_task ({_TASK_COLUMNS}) SELECT c.plan_id, c.title, c.description, p.unit_id, "
    "p.lead_id, c.parent_id, c.start_date, c.due_date, c.effective, c.priority, c.code, 0, c.state, "
    "CASE WHEN c.state = 'assigned' THEN %(now)s::timestamptz END, c.assigned_by_id, %(now)s, %(now)s, "
    "c.source_id, c.series_id, c.period FROM p JOIN c ON c.n = p.n ORDER BY p.ord "
    "ON CONFLICT DO NOTHING RETURNING id, plan_id, assignee_unit_id, state, assigned_by_id, source_id, "
    "series_id, period), "
    "ev AS (INSERT INTO tasks_taskevent (task_id, action, from_state, to_state, actor_id, at, reason, data) "
    "SELECT id, CASE WHEN state = 'assigned' THEN 'assign' ELSE 'create' END, '', state, "
    "CASE WHEN state = 'assigned' THEN assigned_by_id ELSE %(actor)s END, %(now)s, '', "
    "CASE WHEN source_id IS NULL THEN '{\"bulk\": true}'::jsonb "
    "ELSE jsonb_build_object('bulk', true, 'source', source_id) END FROM new) "
    "SELECT id, assignee_unit_id, source_id, series_id, period FROM new ORDER BY id"
)


def _write_postgresql(cols: list[_Columns], placements: list[Placement], *, actor_id, now) -> list:
    """One statement: the tasks (keyed ones skipping a key already taken) and their history rows. Returns
    each placement's new task id, None where its key existed."""
    # Every array travels as one literal (an import's 1,000 contents are 14,000 values).
    params = {
        "plan": _int_array(c.plan_id for c in cols),
        "title": _text_array(c.title for c in cols),
        "description": _text_array(c.description for c in cols),
        "parent": _int_array(c.parent_id for c in cols),
        "start": _text_array(c.start_date for c in cols),
        "due": _text_array(c.due_date for c in cols),
        "effective": _text_array(c.effective_due_date for c in cols),
        "priority": _text_array(c.priority for c in cols),
        "code": _text_array(c.criterion_code for c in cols),
        "source": _int_array(c.source_id for c in cols),
        "series": _int_array(c.series_id for c in cols),
        "period": _text_array(c.period for c in cols),
        "state": _text_array(c.state for c in cols),
        "assigned_by": _int_array(c.assigned_by_id for c in cols),
        # Placements number their content from 1 (WITH ORDINALITY).
        "content": _int_array(p.content + 1 for p in placements),
        "unit": _int_array(p.unit_id for p in placements),
        "lead": _int_array(p.lead_id for p in placements),
        "now": now,
        "actor": actor_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, params)
        returned = cursor.fetchall()
    keyed = {}
    plain = []
    for pk, unit_id, source_id, series_id, period in returned:
        if source_id is not None:
            keyed["source", source_id, unit_id] = pk
        elif series_id is not None:
            keyed["series", series_id, period, unit_id] = pk
        else:
            plain.append(pk)  # ids are drawn in the placements' order (ORDER BY p.ord)
    plain_ids = iter(plain)
    out = []
    for p in placements:
        key = cols[p.content].key(p.unit_id)
        out.append(keyed.get(key) if key else next(plain_ids))
    return out


def _task(c: _Columns, p: Placement, *, now) -> Task:
    return Task(
        plan_id=c.plan_id,
        title=c.title,
        description=c.description,
        assignee_unit_id=p.unit_id,
        parent_id=c.parent_id,
        lead_id=p.lead_id,
        start_date=c.start_date,
        due_date=c.due_date,
        effective_due_date=c.effective_due_date,
        priority=c.priority,
        criterion_code=c.criterion_code,
        source_id=c.source_id,
        series_id=c.series_id,
        period=c.period,
        state=c.state,
        assigned_at=now if c.state == TaskState.ASSIGNED else None,
        assigned_by_id=c.assigned_by_id,
    )


def _write_orm(cols: list[_Columns], placements: list[Placement], *, actor_id, now) -> list:
    """The same through the ORM (other databases): `bulk_create`, keyed rows with `ignore_conflicts` and
    read back (their ids unset), then the history rows."""
    objs = [_task(cols[p.content], p, now=now) for p in placements]
    keys = [cols[p.content].key(p.unit_id) for p in placements]
    plain = [t for t, k in zip(objs, keys, strict=True) if not k]
    keyed = [t for t, k in zip(objs, keys, strict=True) if k]
    if plain:
        Task.objects.bulk_create(plain, batch_size=_BATCH)
    ids = {}
    if keyed:
        Task.objects.bulk_create(keyed, batch_size=_BATCH, ignore_conflicts=True)
        key_q = Q()
        sources = {t.source_id for t in keyed if t.source_id is not None}
        series = {t.series_id for t in keyed if t.series_id is not None}
        if sources:
            key_q |= Q(source_id__in=sources)
        if series:
            key_q |= Q(series_id__in=series, period__in={t.period for t in keyed})
        # Plain values, not model instances: a Task built from `.only(...)` without its state reads the
        # state back with a query of its own (the state machine's mixin keeps the initial state), one per row.
        found = (
            Task.objects.filter(key_q, assignee_unit_id__in={t.assignee_unit_id for t in keyed})
            .filter(~Exists(TaskEvent.objects.filter(task_id=OuterRef("pk"))))
            .values_list("id", "source_id", "series_id", "period", "assignee_unit_id")
        )
        for pk, source_id, series_id, period, unit_id in found:
            key = (
                ("source", source_id, unit_id)
                if source_id is not None
                else ("series", series_id, period, unit_id)
            )
            ids[key] = pk
    out = [ids.get(k) if k else t.pk for t, k in zip(objs, keys, strict=True)]
    events = []
    for t, pk in zip(objs, out, strict=True):
        if pk is None:
            continue
        assigned = t.state == TaskState.ASSIGNED
        events.append(
            TaskEvent(
                task_id=pk,
                action=TaskAction.ASSIGN if assigned else TaskAction.CREATE,
                actor_id=t.assigned_by_id if assigned else actor_id,
                at=now,
                from_state="",
                to_state=t.state,
                data={"bulk": True, **({"source": t.source_id} if t.source_id else {})},
            )
        )
    TaskEvent.objects.bulk_create(events, batch_size=_BATCH)
    return out


def _announce(cols: list[_Columns], placements: list[Placement], ids: list, *, actor_id) -> None:
    """ONE outbox event per plan and action of the batch: the ids of every task and every unit concerned;
    the events written with one insert and dispatched together after commit."""
    groups: dict[tuple[int, str], tuple[list[int], set[int], set]] = defaultdict(lambda: ([], set(), set()))
    for p, pk in zip(placements, ids, strict=True):
        if pk is None:
            continue
        c = cols[p.content]
        action = TaskAction.ASSIGN if c.state == TaskState.ASSIGNED else TaskAction.CREATE
        task_ids, units, actors = groups[c.plan_id, action]
        task_ids.append(pk)
        units.add(p.unit_id)
        actors.add(c.assigned_by_id if action == TaskAction.ASSIGN else actor_id)
    changes = []
    for (plan_id, action), (task_ids, units, actors) in groups.items():
        ordered = sorted(units)
        changes.append(
            TaskChange(
                task_id=task_ids[0],
                action=action,
                plan_id=plan_id,
                assignee_unit_id=ordered[0],
                actor_id=next(iter(actors)) if len(actors) == 1 else actor_id,
                affects_score=action in SCORED_ACTIONS,
                other_unit_ids=tuple(ordered[1:]),
                task_ids=tuple(task_ids),
            )
        )
    if changes:
        task_events_after_commit(changes)


def tasks_write_bulk(*, contents: list[Content], placements: list[Placement], actor, now) -> BulkResult:
    """Write checked contents and placements (in the caller's transaction): the tasks, one history row each
    and one outbox event per plan and action. For services that checked their batch (`_check`, or set-based
    checks of their own), never for rows from a request."""
    if not placements:
        return BulkResult()
    actor_id = actor.pk if actor is not None and actor.pk else None
    calendar = get_calendar()
    cols = [_Columns.of(c, actor_id=actor_id, calendar=calendar) for c in contents]
    write = _write_postgresql if connection.vendor == "postgresql" else _write_orm
    ids = write(cols, placements, actor_id=actor_id, now=now)
    _announce(cols, placements, ids, actor_id=actor_id)
    created = [(p, pk) for p, pk in zip(placements, ids, strict=True) if pk is not None]

    def built() -> list[Task]:
        tasks = []
        for p, pk in created:
            t = _task(cols[p.content], p, now=now)
            t.pk = t.id = pk
            t.created_at = t.updated_at = now
            t._state.adding = False
            t._state.db = "default"
            tasks.append(t)
        return tasks

    return BulkResult(ids=[pk for _p, pk in created], existing=len(placements) - len(created), built=built)


def _check_issued(plan: Plan) -> None:
    if Plan.objects.filter(pk=plan.pk).values_list("state", flat=True).first() != PlanState.ISSUED:
        raise ValidationError({"plan": [_("Hãy ban hành kế hoạch trước khi giao nhiệm vụ.")]})


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
    if assign and not rows:
        _check_issued(plan)
    contents, placements = _from_rows(plan, rows, assign=assign, first_row=first_row)
    return tasks_create_batch(actor=actor, plan=plan, contents=contents, placements=placements, now=now)


@transaction.atomic
def tasks_create_batch(
    *, actor, plan: Plan, contents: list[Content], placements: list[Placement], now=None
) -> BulkResult:
    """Create a plan's tasks given as contents and placements (a cascade: each template task's content for
    every unit): every content and placement checked (`tasks_create_bulk`'s checks, a content once for all
    its placements), the whole batch refused with every row's errors, else written by `tasks_write_bulk`.
    The caller has checked that the actor may add tasks to the plan."""
    now = now or timezone.now()
    if any(c.assign for c in contents):
        _check_issued(plan)
    if not placements:
        return BulkResult()
    errors = _check(plan, contents, placements)
    if errors:
        raise bulk_errors(errors)
    return tasks_write_bulk(contents=contents, placements=placements, actor=actor, now=now)
