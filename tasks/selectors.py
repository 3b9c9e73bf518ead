"""Reads for tasks. Everything a user is shown starts from `Task.objects.visible_to(user)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone

from org.calendar import get_calendar
from org.models import User
from org.selectors import user_memberships
from plans.models import Plan

from .choices import OPEN_STATES, ExtensionState, TaskState, TaskStatus, TaskTone
from .models import Extension, Task, TaskComment, TaskEvent
from .status import overdue_q


def task_list(*, user, today: dt.date | None = None):
    """Visible tasks with what lists show, and the SQL-computed status."""
    today = today or timezone.localdate()
    return (
        Task.objects.visible_to(user)
        .select_related("plan", "plan__owner_unit", "assignee_unit", "lead")
        .with_status(today)
    )


def my_tasks_q(user) -> Q:
    """Tasks that are the user's work: led by them, assigned to a unit they lead (whoever leads the task: the
    unit's leader answers for all of it, so their overdue count is the unit's, as on its dashboard), or
    to a unit where they are an official without a lead set, or waiting for their approval
    (`awaiting_my_approval_q`). The my-tasks page and the API's `mine` filter both use it."""
    memberships = user_memberships(user)
    led = [u for u, _p, r in memberships if r == "leader"]
    member_of = [u for u, _p, r in memberships if r == "official"]
    return (
        Q(lead=user)
        | Q(assignee_unit_id__in=led)
        | Q(assignee_unit_id__in=member_of, lead__isnull=True)
        | awaiting_my_approval_q(user)
    )


#: Above this many plans, `_submitted_in_plans_of` filters by a subquery instead of a list of ids: a list
#: that long buys nothing (the leader's subtree holds most of the country's submitted tasks anyway) and would
#: be repeated in every condition that uses it.
PLAN_IDS_INLINE_MAX = 2000


def _submitted_in_plans_of(paths: list[str]) -> Q:
    """Submitted tasks of plans owned by the units at `paths` or under them (the user's led subtrees). The
    plan ids are read first, so the (plan, state) index finds the tasks: through the join to the owner unit
    (or a subquery), PostgreSQL reads every submitted task in the country and keeps this subtree's."""
    if not paths:
        return Q(pk__in=[])
    return Q(plan_id__in=_plans_owned_under(paths), state=TaskState.SUBMITTED)


def _plans_owned_under(paths: list[str]):
    """The ids of the plans owned by the units at `paths` or under them: a list, or a subquery when longer
    than `PLAN_IDS_INLINE_MAX`. No paths: no plan."""
    if not paths:
        return []
    owned = Q()
    for path in paths:
        owned |= Q(owner_unit__path__startswith=path)
    plans = Plan.objects.filter(owned).order_by()
    ids = list(plans.values_list("id", flat=True)[: PLAN_IDS_INLINE_MAX + 1])
    return ids if len(ids) <= PLAN_IDS_INLINE_MAX else plans.values("id")


# --- Reads for the web pages ------------------------------------------------------------------------------


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


def awaiting_my_approval_q(user) -> Q:
    """Submitted tasks of plans owned by a unit the user leads (or a unit under it)."""
    if user.is_superuser:
        return Q(state=TaskState.SUBMITTED)
    return _submitted_in_plans_of([path for _u, path, role in user_memberships(user) if role == "leader"])


# Buckets of the task lists: the tabs of "Việc của tôi" and of the task and plan pages.
BUCKETS = ("open", "due_soon", "overdue", "returned", "to_approve", "done", "all")


def bucket_q(bucket: str, *, user, today: dt.date, soon_until: dt.date) -> Q:
    """What a tab shows. "open" is everything not finished; "done" is approved."""
    return {
        "open": Q(state__in=(*OPEN_STATES, TaskState.SUBMITTED, TaskState.DRAFT)),
        "due_soon": Q(
            state__in=OPEN_STATES, effective_due_date__gte=today, effective_due_date__lte=soon_until
        ),
        "overdue": overdue_q(today),
        "returned": Q(state=TaskState.RETURNED),
        "to_approve": awaiting_my_approval_q(user),
        "done": Q(state=TaskState.APPROVED),
        "all": Q(),
    }[bucket]


def year_q(year: int) -> Q:
    """Tasks whose deadline (the effective due date, as the lists show it) falls in `year`; a task with no
    due date yet goes by its plan's year."""
    return Q(effective_due_date__year=year) | Q(effective_due_date__isnull=True, plan__year=year)


def my_task_list(*, user, today: dt.date | None = None):
    """The user's own work (`my_tasks_q`), drafts left out: they are not assigned to anyone yet."""
    return task_list(user=user, today=today).filter(my_tasks_q(user)).exclude(state=TaskState.DRAFT)


def bucket_counts(qs, *, user, today: dt.date, soon_until: dt.date, buckets=BUCKETS) -> dict[str, int]:
    """How many tasks of `qs` fall in each bucket, in one query."""
    return qs.aggregate(
        **{b: Count("id", filter=bucket_q(b, user=user, today=today, soon_until=soon_until)) for b in buckets}
    )


# --- Sorting the task lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSort:
    """The column a task list is sorted by, and which way: `?sort=unit` (ascending), `?sort=-unit`."""

    key: str
    descending: bool = False

    @property
    def param(self) -> str:
        """The query value that asks for this sort."""
        return f"-{self.key}" if self.descending else self.key

    @property
    def reversed(self) -> TaskSort:
        return TaskSort(self.key, not self.descending)


def _state_rank():
    """The states in the order of the workflow (draft first, cancelled last), not alphabetically."""
    return Case(
        *(When(state=state, then=Value(rank)) for rank, state in enumerate(TaskState)),
        output_field=models.IntegerField(),
    )


def _shown_progress():
    """`Task.shown_progress` in SQL: 100 once approved, else the last report."""
    return Case(
        When(state=TaskState.APPROVED, then=Value(100)),
        default=F("progress"),
        output_field=models.IntegerField(),
    )


#: The whitelist of sortable columns: each key and the expressions it orders by. Nothing else reaches
#: `order_by`: an unknown `sort` is no sort (the list's default order), never an error.
TASK_SORT_KEYS = {
    "deadline": lambda: [F("effective_due_date")],
    "unit": lambda: [F("assignee_unit__name"), F("assignee_unit__code")],
    "plan": lambda: [F("plan__year"), F("plan__number")],
    "state": lambda: [_state_rank()],
    "progress": lambda: [_shown_progress()],
    "lead": lambda: [Coalesce(NullIf(F("lead__full_name"), Value("")), F("lead__username"))],
}


def task_sort(raw: str | None) -> TaskSort | None:
    """The sort a query asks for ("unit", "-deadline"), or None for anything not in `TASK_SORT_KEYS`."""
    raw = (raw or "").strip()
    key = raw.removeprefix("-")
    return TaskSort(key, descending=raw.startswith("-")) if key in TASK_SORT_KEYS else None


def default_task_sort(tab: str) -> TaskSort | None:
    """The order of a tab when the query names none: by deadline; "done" (Đã duyệt) by the latest approval
    (a column the table does not show, so None)."""
    return None if tab == "done" else TaskSort("deadline")


def sorted_tasks(qs, *, sort: TaskSort | None):
    """`qs` in the order `sort` names (None: the latest approved first). Tasks without a value (no lead, no
    due date) come last either way; ties go by deadline, then id, so that pages never overlap."""
    if sort is None:
        return qs.order_by("-approved_at", "-id")
    exprs = TASK_SORT_KEYS[sort.key]()
    order = [e.desc(nulls_last=True) if sort.descending else e.asc(nulls_last=True) for e in exprs]
    if sort.key != "deadline":
        order.append(F("effective_due_date").asc(nulls_last=True))
    return qs.order_by(*order, "id")


#: The statuses that count (SPEC §2), in the order of the stacked bars: drafts and cancelled tasks count
#: nowhere.
COUNTED_STATUSES = (TaskStatus.ON_TIME, TaskStatus.LATE, TaskStatus.PENDING, TaskStatus.OVERDUE)


@dataclass
class StatusCounts:
    """How many tasks are done on time, done late, open in time (pending) and overdue, with the rates and
    the stacked bar the pages show. The one tally of the plan page, its export and the leader dashboard."""

    on_time: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0

    def add(self, status: str, n: int = 1) -> None:
        """Count `n` tasks of `status`; statuses that count nowhere (draft, cancelled) are ignored."""
        if status in COUNTED_STATUSES:
            setattr(self, status, getattr(self, status) + n)

    def __add__(self, other: StatusCounts) -> StatusCounts:
        return StatusCounts(**{s: getattr(self, s) + getattr(other, s) for s in COUNTED_STATUSES})

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.overdue + self.pending

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def completion_percent(self) -> float | None:
        return round(100 * self.done / self.total, 1) if self.total else None

    @property
    def on_time_percent(self) -> float | None:
        return round(100 * self.on_time / self.total, 1) if self.total else None

    @property
    def bar(self) -> dict[str, dict[str, float]]:
        """Each part's offset `x` and `width` in a 100-wide stacked bar, in `COUNTED_STATUSES` order."""
        total, x, parts = self.total, 0.0, {}
        for status in COUNTED_STATUSES:
            width = 100 * getattr(self, status) / total if total else 0
            parts[status.value] = {"x": round(x, 2), "width": round(width, 2)}
            x += width
        return parts


@dataclass(kw_only=True)
class UnitStatusCounts(StatusCounts):
    """The tally of one assignee unit."""

    unit_id: int
    code: str
    name: str


def plan_progress_by_unit(*, user, plan, today: dt.date | None = None) -> list[UnitStatusCounts]:
    """SPEC §2 by assignee unit for one plan, counting only the tasks the user may see, and neither the
    cancelled ones nor the drafts (they count nowhere): done on time, done late, open in time (pending),
    overdue. One grouped query."""
    today = today or timezone.localdate()
    rows = (
        Task.objects.visible_to(user)
        .filter(plan=plan)
        .exclude(state__in=(TaskState.CANCELLED, TaskState.DRAFT))
        .with_status(today)
        .values("assignee_unit_id", "assignee_unit__code", "assignee_unit__name", "status_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_unit: dict[int, UnitStatusCounts] = {}
    for row in rows:
        unit = by_unit.get(row["assignee_unit_id"])
        if unit is None:
            unit = by_unit[row["assignee_unit_id"]] = UnitStatusCounts(
                unit_id=row["assignee_unit_id"],
                code=row["assignee_unit__code"],
                name=row["assignee_unit__name"],
            )
        unit.add(row["status_code"], row["n"])
    return sorted(by_unit.values(), key=lambda r: r.code)


def progress_totals(rows: list[StatusCounts]) -> StatusCounts:
    """The sum of `plan_progress_by_unit` rows."""
    return sum(rows, StatusCounts())


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


# --- A task's timeline and who may be mentioned in its comments --------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a task's timeline: a history row (`event`) or a comment (`comment`), newest first."""

    at: dt.datetime
    event: TaskEvent | None = None
    comment: TaskComment | None = None

    @property
    def is_comment(self) -> bool:
        return self.comment is not None


def task_timeline(task: Task):
    """The task's history rows and comments as one list, newest first, for a paginator: a UNION of the two
    tables' (kind, id, time), ordered and sliced in SQL. `timeline_entries(page.object_list)` then reads the
    rows of one page (two queries, whatever the page's size)."""
    events = (
        TaskEvent.objects.filter(task=task)
        .annotate(entry_kind=Value("event"), entry_id=F("id"), entry_at=F("at"))
        .values_list("entry_kind", "entry_id", "entry_at")
    )
    comments = (
        TaskComment.objects.filter(task=task)
        .annotate(entry_kind=Value("comment"), entry_id=F("id"), entry_at=F("created_at"))
        .values_list("entry_kind", "entry_id", "entry_at")
    )
    return events.union(comments, all=True).order_by("-entry_at", "-entry_id")


def timeline_entries(rows) -> list[TimelineEntry]:
    """The entries of (kind, id, time) rows from `task_timeline`, in their order, with who wrote or did
    each and whom a comment mentions."""
    rows = list(rows)
    event_ids = [pk for kind, pk, _at in rows if kind == "event"]
    comment_ids = [pk for kind, pk, _at in rows if kind == "comment"]
    events = TaskEvent.objects.select_related("actor").in_bulk(event_ids) if event_ids else {}
    comments = (
        TaskComment.objects.select_related("author").prefetch_related("mentions").in_bulk(comment_ids)
        if comment_ids
        else {}
    )
    entries = []
    for kind, pk, at in rows:
        if kind == "comment" and pk in comments:
            entries.append(TimelineEntry(at=at, comment=comments[pk]))
        elif kind == "event" and pk in events:
            entries.append(TimelineEntry(at=at, event=events[pk]))
    return entries


def task_viewers_named(task: Task, usernames) -> list[User]:
    """The active users whose username is one of `usernames` (compared without case) and who can see
    `task`, in one query. The same rule as `Task.objects.visible_to` (SPEC §1), asked the other way round:
    a superuser, or a member of a unit on the path to the plan's owner unit, or, once the task is no longer
    a draft, on the path to its assignee unit."""
    wanted = sorted({name.lower() for name in usernames})
    if not wanted:
        return []
    unit_ids = set(task.plan.owner_unit.ancestor_ids())
    if task.state != TaskState.DRAFT:
        unit_ids |= set(task.assignee_unit.ancestor_ids())
    return list(
        User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=wanted, is_active=True)
        .filter(Q(is_superuser=True) | Q(memberships__unit_id__in=unit_ids))
        .distinct()
        .order_by("id")
    )


# --- The approval inbox -------------------------------------------------------------------------------------


#: `_decidable_plans` for a superuser: every plan.
ALL_PLANS = None


def _decidable_plans(user):
    """The plans whose tasks and requests the user decides (`permissions.is_owner_leader`: owned by a unit
    they lead or one under it), as `_plans_owned_under` gives them; `ALL_PLANS` for a superuser."""
    if user.is_superuser:
        return ALL_PLANS
    return _plans_owned_under([path for _u, path, role in user_memberships(user) if role == "leader"])


def awaiting_my_decision_extensions(*, user, plans=...):
    """Pending extension requests the user may decide (`permissions.can_decide_extension`: a leader of the
    plan's owner unit or above it), on tasks they see. `plans`: `_decidable_plans(user)`, if already read."""
    plans = _decidable_plans(user) if plans is ... else plans
    qs = Extension.objects.filter(
        state=ExtensionState.PENDING, task__in=Task.objects.visible_to(user).values("pk")
    )
    return qs if plans is ALL_PLANS else qs.filter(task__plan_id__in=plans)


def awaiting_my_approval_tasks(*, user, plans=...):
    """Submitted tasks the user may approve or return, among those they see (`awaiting_my_approval_q`).
    `plans`: `_decidable_plans(user)`, if already read."""
    plans = _decidable_plans(user) if plans is ... else plans
    qs = Task.objects.visible_to(user).filter(state=TaskState.SUBMITTED)
    return qs if plans is ALL_PLANS else qs.filter(plan_id__in=plans)


#: How the inbox orders its items: the most urgent (the earliest deadline, overdue first) or the newest.
INBOX_SORTS = ("urgent", "newest")


def inbox_rows(*, user, sort: str = "urgent"):
    """The approval inbox as ONE list: submitted tasks awaiting the user's approval and pending extension
    requests awaiting their decision, as rows of `kind` ("task" or "extension"), `item_id`, `task_ref`,
    `at` (submitted or asked) and `due` (the task's effective due date). One query (a UNION, after the
    ids of the plans the user decides), which pages: `inbox_items` then reads a page's objects."""
    plans = _decidable_plans(user)  # read once for both halves
    tasks = (
        awaiting_my_approval_tasks(user=user, plans=plans)
        .order_by()
        .annotate(
            kind=Value("task", output_field=models.CharField()),
            item_id=F("id"),
            task_ref=F("id"),
            at=F("submitted_at"),
            due=F("effective_due_date"),
        )
        .values_list("kind", "item_id", "task_ref", "at", "due")
    )
    extensions = (
        awaiting_my_decision_extensions(user=user, plans=plans)
        .order_by()
        .annotate(
            kind=Value("extension", output_field=models.CharField()),
            item_id=F("id"),
            task_ref=F("task_id"),
            at=F("requested_at"),
            due=F("task__effective_due_date"),
        )
        .values_list("kind", "item_id", "task_ref", "at", "due")
    )
    rows = tasks.union(extensions, all=True)
    if sort == "newest":
        return rows.order_by(F("at").desc(nulls_last=True), "kind", "item_id")
    return rows.order_by(F("due").asc(nulls_last=True), F("at").desc(nulls_last=True), "kind", "item_id")


def inbox_count(*, user) -> int:
    """How many items wait in the user's inbox (the menu's badge): one query."""
    return inbox_rows(user=user).order_by().count()


@dataclass
class InboxItem:
    """One row of the inbox: a submitted task, or an extension request with its task."""

    kind: str
    task: Task
    extension: Extension | None = None

    @property
    def key(self) -> str:
        return f"{'x' if self.extension else 't'}{self.extension.pk if self.extension else self.task.pk}"


def inbox_items(*, user, rows, today: dt.date | None = None) -> list[InboxItem]:
    """The objects of a page of `inbox_rows`, in its order: the tasks (with what the rows show and their
    evidence count) in one query, the extension requests in another."""
    rows = list(rows)
    today = today or timezone.localdate()
    task_ids = {r[2] for r in rows}
    ext_ids = [r[1] for r in rows if r[0] == "extension"]
    tasks = {
        t.pk: t
        for t in with_tone(
            task_list(user=user, today=today).filter(pk__in=task_ids), soon_until=due_soon_until(today)
        ).annotate(evidence_count=Count("evidence", distinct=True))
    }
    extensions = (
        {x.pk: x for x in Extension.objects.filter(pk__in=ext_ids).select_related("requested_by")}
        if ext_ids
        else {}
    )
    items = []
    for kind, item_id, task_id, _at, _due in rows:
        task = tasks.get(task_id)
        if task is None:  # gone between the two reads
            continue
        if kind == "extension":
            ext = extensions.get(item_id)
            if ext is not None:
                items.append(InboxItem(kind=kind, task=task, extension=ext))
        else:
            items.append(InboxItem(kind=kind, task=task))
    return items
