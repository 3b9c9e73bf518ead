"""Writes for notifications: planning reminders into the ledger, event notices, delivering over the
channels, daily digests, and marking read.

How reminders stay exactly once (SPEC §4, and the opposite of the peers' known mistakes):
- Planning is a scan, never a delayed broker message: `reminders_plan` runs every 15 minutes, asks the pure
  policy what is due *now* for each candidate task, and inserts ledger rows with
  `bulk_create(ignore_conflicts=True)`; the unique key (task, recipient, kind, effective due date, offset)
  turns every repeat, retry or concurrent planner into a no-op.
- Candidates are chosen in SQL by state and effective due date (indexed), and only where the reminder that
  the policy would now give is not in the ledger yet: an idle cycle reads a few distinct dates, not tasks.
- Delivery rows are claimed with `select_for_update(skip_locked=True)`, sent outside the lock, and marked
  sent only after the channel accepted them; failures back off and end as `failed` with the error kept.
  A sweeper re-queues rows left in `sending` by a worker that died.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from org.calendar import WorkingCalendar, get_calendar
from org.models import Role, User
from org.selectors import unit_members
from tasks.events import TaskChange
from tasks.models import OPEN_STATES, Task, TaskEvent

from . import channels, selectors
from .models import (
    Channel,
    Delivery,
    DeliveryState,
    Digest,
    EmailMode,
    Notification,
    NotificationPreference,
    task_url,
)
from .policy import (
    ESCALATION,
    REMINDER,
    VN_TZ,
    DueReminder,
    ReminderPolicy,
    TaskFacts,
    due_reminders,
    in_sending_window,
    reminder_sequence,
)
from .texts import TaskInfo, digest_text, notice_text, reminder_text

log = logging.getLogger(__name__)

# A row left in `sending` longer than this was abandoned by its worker (which a Celery time limit of
# 10 minutes would have stopped by now), so it is sent again.
STUCK_AFTER = dt.timedelta(minutes=15)
# Attempts per delivery, and the wait after the n-th failed one.
MAX_ATTEMPTS = 6
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=3),
)
DIGEST_AT = dt.time(7, 30)  # local Asia/Ho_Chi_Minh, working days
# How far the at-risk midpoint (in working days) can drift from the calendar-day midpoint: Tết, the
# 30/4–1/5 break and the admin's extra days off all in one half of a task. A wide margin only costs a few
# more candidates; the policy decides exactly.
_MIDPOINT_MARGIN = dt.timedelta(days=45)
CHUNK_SIZE = 1000

# Task actions (tasks.events) that send a notice at once, and the notice kind.
NOTICE_KINDS = {
    "assign": "assigned",
    "submit": "submitted",
    "return": "returned",
    "approve": "approved",
    "extension_requested": "extension_requested",
    "extension_decided": "extension_decided",
}
# Who gets each notice: the task's people (lead, else the assignee unit's officials) or the owner unit's
# leaders.
_TO_OWNER_LEADERS = {"submitted", "extension_requested"}


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(VN_TZ).date()


def _batched(items, size):
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


# --- planning -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    notification_id: int
    task_id: int
    recipient_id: int
    kind: str
    offset: int | None
    due_date: dt.date | None
    title: str


@dataclass
class PlanResult:
    candidates: int = 0
    created: list[Planned] = field(default_factory=list)


def _latest_by_date(
    due_date: dt.date, today: dt.date, policy: ReminderPolicy, calendar: WorkingCalendar
) -> dict[str, tuple[str, int]]:
    """stream → (kind, offset) of the newest before-due, overdue or escalation reminder the policy gives a
    task due on `due_date` up to `today`, before looking at the task itself (assignment day, at-risk)."""
    probe = TaskFacts(
        state="in_progress", assigned_on=None, start_date=None, effective_due_date=due_date, progress=100
    )
    latest: dict[str, tuple[str, int]] = {}
    for r in reminder_sequence(probe, policy, calendar, until=today):
        if r.kind != "at_risk":
            latest[r.stream] = (r.kind, r.offset)
    return latest


def _missing(kind_field: str, offset_field: str) -> Exists:
    return Exists(
        Notification.objects.filter(
            task_id=OuterRef("pk"),
            event_id__isnull=True,
            due_date=OuterRef("effective_due_date"),
            kind=OuterRef(kind_field),
            offset=OuterRef(offset_field),
        )
    )


def _expected_case(expected: dict, dates: list[dt.date], stream: str, part: int, output):
    """SQL: the expected kind (part 0) or offset (part 1) of `stream` for each task's due date."""
    whens = [
        When(effective_due_date=d, then=Value(expected[d][stream][part]))
        for d in dates
        if stream in expected[d]
    ]
    return Case(*whens, default=Value(None), output_field=output) if whens else Value(None, output)


def _candidate_ids(policy: ReminderPolicy, scope: Q, today: dt.date, calendar: WorkingCalendar) -> list[int]:
    """Ids of open tasks in `scope` that may have a reminder to plan today, selected in SQL.

    1. Due within the before-due window (today … max offset working days ahead) or overdue, and missing
       the ledger row of the newest reminder their due date gives (per stream). The distinct due dates are
       few (one per day), so the expected (kind, offset) per date is computed here and matched in SQL.
    2. Long enough, behind on progress, past (about) the midpoint, and without an at-risk row for the
       current due date.
    """
    open_tasks = Task.objects.filter(scope, state__in=OPEN_STATES, effective_due_date__isnull=False)
    horizon = max(policy.before_offsets, default=0)
    window_end = calendar.add_working_days(today, horizon)
    dates = (
        open_tasks.filter(effective_due_date__lte=window_end)
        .order_by()
        .values_list("effective_due_date", flat=True)
        .distinct()
    )
    expected = {d: e for d in dates if (e := _latest_by_date(d, today, policy, calendar))}
    ids: set[int] = set()
    for chunk in _batched(sorted(expected), 500):
        case = partial(_expected_case, expected, chunk)
        qs = (
            open_tasks.filter(effective_due_date__in=chunk)
            .annotate(
                r_kind=case(REMINDER, 0, CharField()),
                r_offset=case(REMINDER, 1, IntegerField()),
                e_kind=case(ESCALATION, 0, CharField()),
                e_offset=case(ESCALATION, 1, IntegerField()),
            )
            .filter(
                (Q(r_kind__isnull=False) & ~_missing("r_kind", "r_offset"))
                | (Q(e_kind__isnull=False) & ~_missing("e_kind", "e_offset"))
            )
        )
        ids.update(qs.values_list("pk", flat=True))

    if policy.at_risk_progress_below > 0:
        start = Coalesce("start_date", TruncDate("assigned_at", tzinfo=VN_TZ), output_field=DateField())
        today_value = Value(today, output_field=DateField())
        at_risk = (
            open_tasks.filter(effective_due_date__gte=today, progress__lt=policy.at_risk_progress_below)
            .annotate(start_on=start)
            .filter(start_on__lte=today)
            .annotate(
                length=ExpressionWrapper(
                    F("effective_due_date") - F("start_on"), output_field=DurationField()
                ),
                elapsed=ExpressionWrapper(today_value - F("start_on"), output_field=DurationField()),
                remaining=ExpressionWrapper(
                    F("effective_due_date") - today_value, output_field=DurationField()
                ),
            )
            # Working days never outnumber calendar days; the midpoint is near the calendar midpoint.
            .filter(length__gte=dt.timedelta(days=policy.at_risk_min_length - 1))
            .filter(remaining__lte=F("elapsed") + Value(_MIDPOINT_MARGIN, output_field=DurationField()))
            .exclude(
                Exists(
                    Notification.objects.filter(
                        task_id=OuterRef("pk"),
                        event_id__isnull=True,
                        kind="at_risk",
                        due_date=OuterRef("effective_due_date"),
                    )
                )
            )
        )
        ids.update(at_risk.values_list("pk", flat=True))
    return sorted(ids)


@dataclass
class _People:
    """Who is who for a batch of tasks, read in bulk."""

    officials: dict[int, set[int]]  # unit id → user ids
    leaders: dict[int, set[int]]
    active_leads: set[int]

    @classmethod
    def load(cls, *, unit_ids, owner_unit_ids, lead_ids) -> _People:
        officials: dict[int, set[int]] = defaultdict(set)
        leaders: dict[int, set[int]] = defaultdict(set)
        for unit_id, user_id in unit_members(unit_ids=set(unit_ids), roles=[Role.OFFICIAL]):
            officials[unit_id].add(user_id)
        for unit_id, user_id in unit_members(
            unit_ids=set(unit_ids) | set(owner_unit_ids), roles=[Role.LEADER]
        ):
            leaders[unit_id].add(user_id)
        active = set(User.objects.filter(pk__in=set(lead_ids), is_active=True).values_list("pk", flat=True))
        return cls(officials=officials, leaders=leaders, active_leads=active)

    def task_people(self, lead_id, unit_id) -> set[int]:
        """SPEC §4: the task's lead official, or, where none is set, every official of the assignee unit."""
        if lead_id and lead_id in self.active_leads:
            return {lead_id}
        return set(self.officials.get(unit_id, ()))

    def for_reminder(self, kind: str, *, lead_id, unit_id, owner_unit_id) -> set[int]:
        if kind == "escalation":
            return set(self.leaders.get(owner_unit_id, ()))
        people = self.task_people(lead_id, unit_id)
        if kind == "overdue":
            people |= self.leaders.get(unit_id, set())
        return people


_TASK_FIELDS = (
    "id",
    "plan_id",
    "state",
    "assigned_at",
    "start_date",
    "effective_due_date",
    "progress",
    "lead_id",
    "assignee_unit_id",
    "plan__owner_unit_id",
    "title",
    "plan__number",
    "plan__title",
    "assignee_unit__name",
)


def _task_info(row: dict) -> TaskInfo:
    return TaskInfo(
        id=row["id"],
        title=row["title"],
        plan_number=row["plan__number"],
        plan_title=row["plan__title"],
        unit_name=row["assignee_unit__name"],
        due_date=row["effective_due_date"],
        progress=row["progress"],
    )


def _plan_chunk(
    ids: list[int],
    policy: ReminderPolicy,
    calendar: WorkingCalendar,
    now: dt.datetime,
    memo: dict | None = None,
) -> list[Planned]:
    """Plan the reminders due at `now` for one chunk of candidate tasks, in the caller's transaction.
    `memo` (one dict per cycle) keeps the policy's answer per distinct task facts: the policy is pure, and
    in a busy cycle thousands of tasks share their dates."""
    # Planners running at once (two beats, a `remind` by hand) each report exactly the rows *they* created:
    # on PostgreSQL the insert's RETURNING says which rows were new; on SQLite writers take turns (the
    # transactions are IMMEDIATE), so the read and the insert of a chunk see what the others committed.
    postgresql = connection.vendor == "postgresql"
    memo = {} if memo is None else memo
    below = policy.at_risk_progress_below
    rows = list(Task.objects.filter(pk__in=ids, state__in=OPEN_STATES).values(*_TASK_FIELDS))
    due_by_task: dict[int, list[DueReminder]] = {}
    for row in rows:
        assigned_on = _local_date(row["assigned_at"]) if row["assigned_at"] else None
        facts_key = (
            row["state"],
            assigned_on,
            row["start_date"],
            row["effective_due_date"],
            row["progress"] < below,
        )
        due = memo.get(facts_key)
        if due is None:
            facts = TaskFacts(
                state=row["state"],
                assigned_on=assigned_on,
                start_date=row["start_date"],
                effective_due_date=row["effective_due_date"],
                progress=row["progress"],
            )
            due = memo[facts_key] = due_reminders(facts, policy, calendar, now=now)
        if due:
            due_by_task[row["id"]] = due
    if not due_by_task:
        return []
    rows = [r for r in rows if r["id"] in due_by_task]
    people = _People.load(
        unit_ids=[r["assignee_unit_id"] for r in rows],
        owner_unit_ids=[r["plan__owner_unit_id"] for r in rows],
        lead_ids=[r["lead_id"] for r in rows if r["lead_id"]],
    )
    wanted: list[tuple[dict, DueReminder, int]] = []
    for row in rows:
        for reminder in due_by_task[row["id"]]:
            for user_id in people.for_reminder(
                reminder.kind,
                lead_id=row["lead_id"],
                unit_id=row["assignee_unit_id"],
                owner_unit_id=row["plan__owner_unit_id"],
            ):
                wanted.append((row, reminder, user_id))
    if not wanted:
        return []
    languages = dict(User.objects.filter(pk__in={u for _, _, u in wanted}).values_list("pk", "language"))
    texts: dict[tuple, tuple[str, str]] = {}
    ledger = []  # in _LEDGER_COLUMNS order
    for row, reminder, user_id in wanted:
        lang = languages.get(user_id) or "vi"
        key = (row["id"], reminder.kind, reminder.offset, lang)
        if key not in texts:
            texts[key] = reminder_text(_task_info(row), reminder, lang)
        title, body = texts[key]
        ledger.append(
            (
                user_id,
                reminder.kind,
                row["id"],
                row["plan_id"],
                title,
                body,
                row["effective_due_date"],
                reminder.offset,
            )
        )
    created = _ledger_insert_postgresql(ledger, now) if postgresql else _ledger_insert_orm(ledger, now)
    _deliveries_create([(n["id"], n["recipient_id"]) for n in created], now=now)
    return [
        Planned(
            notification_id=n["id"],
            task_id=n["task_id"],
            recipient_id=n["recipient_id"],
            kind=n["kind"],
            offset=n["offset"],
            due_date=n["due_date"],
            title=n["title"],
        )
        for n in created
    ]


_LEDGER_COLUMNS = ("recipient_id", "kind", "task_id", "plan_id", "title", "body", "due_date", "offset")
_LEDGER_TYPES = ("bigint", "text", "bigint", "bigint", "text", "text", "date", "smallint")
_CREATED_FIELDS = ("id", "task_id", "recipient_id", "kind", "offset", "due_date", "title")


def _ledger_insert_postgresql(ledger: list[tuple], now: dt.datetime) -> list[dict]:
    """Insert reminder rows with one statement (the rows travel as one JSON document: no SQL built per
    row), skipping those the ledger has (its unique key), and return exactly the rows this statement
    inserted: a planner running at the same moment can neither make this one skip a row nor claim the
    other's rows as its own."""
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in _LEDGER_COLUMNS)
    record = ", ".join(f"{q(c)} {t}" for c, t in zip(_LEDGER_COLUMNS, _LEDGER_TYPES, strict=True))
    sql = (
        f"INSERT INTO {q(Notification._meta.db_table)} ({cols}, {q('created_at')}) "
        f"SELECT {cols}, %s FROM json_to_recordset(%s::json) AS x({record}) "
        f"ON CONFLICT (task_id, recipient_id, kind, due_date, {q('offset')}) WHERE event_id IS NULL "
        "DO NOTHING "
        f"RETURNING {', '.join(q(c) for c in _CREATED_FIELDS)}"
    )
    document = json.dumps(
        [dict(zip(_LEDGER_COLUMNS, row, strict=True)) for row in ledger], default=dt.date.isoformat
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, document])
        return [dict(zip(_CREATED_FIELDS, row, strict=True)) for row in cursor.fetchall()]


def _ledger_insert_orm(ledger: list[tuple], now: dt.datetime) -> list[dict]:
    """The same with the ORM (any database): what the ledger has is left alone, the unique key decides
    between planners running at the same moment (SQLite's IMMEDIATE transactions make them take turns)."""

    def key(task_id, recipient_id, kind, due_date, offset):
        return (task_id, recipient_id, kind, due_date, offset)

    task_ids = sorted({row[2] for row in ledger})
    existing = {
        key(*row)
        for row in Notification.objects.filter(task_id__in=task_ids, event_id__isnull=True).values_list(
            "task_id", "recipient_id", "kind", "due_date", "offset"
        )
    }
    objs = [
        Notification(created_at=now, **dict(zip(_LEDGER_COLUMNS, row, strict=True)))
        for row in ledger
        if key(row[2], row[0], row[1], row[6], row[7]) not in existing
    ]
    if not objs:
        return []
    Notification.objects.bulk_create(objs, ignore_conflicts=True, batch_size=1000)
    # Rows this cycle created carry its `now` (and were not in the ledger before it).
    return [
        n
        for n in Notification.objects.filter(
            task_id__in=task_ids, event_id__isnull=True, created_at=now
        ).values(*_CREATED_FIELDS)
        if key(n["task_id"], n["recipient_id"], n["kind"], n["due_date"], n["offset"]) not in existing
    ]


def reminders_plan(*, now: dt.datetime | None = None, chunk_size: int = CHUNK_SIZE) -> PlanResult:
    """Plan every reminder due at `now` into the ledger (with its deliveries), at most once each.

    Runs only in a policy's sending window (08:00–17:00 on working days by default); per task and stream
    only the newest due reminder is planned, so after downtime people get one reminder, not a burst. Safe
    to run twice, or twice at once: the ledger's unique key makes the repeat plan nothing."""
    now = now or timezone.now()
    calendar = get_calendar()
    result = PlanResult()
    for _plan_id, policy, ids in _candidates(now, calendar):
        result.candidates += len(ids)
        memo: dict = {}
        for chunk in _batched(ids, chunk_size):
            with transaction.atomic():
                result.created.extend(_plan_chunk(chunk, policy, calendar, now, memo))
    return result


def _candidates(now: dt.datetime, calendar: WorkingCalendar) -> list[tuple[int | None, ReminderPolicy, list]]:
    """(plan id of a per-plan policy or None for the global one, the policy, candidate task ids) for each
    policy in its sending window at `now`."""
    today = _local_date(now)
    base, overrides = selectors.reminder_policies()
    groups = [(None, base, ~Q(plan_id__in=list(overrides)))]
    groups += [(plan_id, policy, Q(plan_id=plan_id)) for plan_id, policy in overrides.items()]
    return [
        (plan_id, policy, _candidate_ids(policy, scope, today, calendar))
        for plan_id, policy, scope in groups
        if in_sending_window(now, policy, calendar)
    ]


def reminders_plan_chunks(*, now: dt.datetime, size: int | None = None) -> list[tuple[int | None, list]]:
    """A planning cycle cut into chunks for parallel workers (`notifications.tasks.plan_reminders_job`):
    (policy plan id or None, up to `size` candidate task ids, by default settings.REMINDER_PARALLEL_TASKS),
    each to be planned with `reminders_plan_tasks`. The ledger's unique key still makes every chunk safe to
    run twice or at the same time as another planner."""
    size = size or settings.REMINDER_PARALLEL_TASKS
    calendar = get_calendar()
    return [
        (plan_id, chunk)
        for plan_id, _policy, ids in _candidates(now, calendar)
        for chunk in _batched(ids, size)
    ]


def reminders_plan_tasks(
    *, task_ids: list[int], policy_plan_id: int | None, now: dt.datetime, chunk_size: int = CHUNK_SIZE
) -> PlanResult:
    """Plan the reminders due at `now` for these candidate tasks (one chunk of a cycle), under the global
    policy or the per-plan one of `policy_plan_id`; each `chunk_size` tasks in their own transaction."""
    calendar = get_calendar()
    base, overrides = selectors.reminder_policies()
    policy = overrides.get(policy_plan_id, base) if policy_plan_id is not None else base
    result = PlanResult(candidates=len(task_ids))
    if not in_sending_window(now, policy, calendar):
        return result
    if policy_plan_id is None:
        # A task whose plan got its own policy since the chunk was cut is left to that policy.
        task_ids = list(
            Task.objects.filter(pk__in=task_ids)
            .exclude(plan_id__in=list(overrides))
            .values_list("pk", flat=True)
        )
    memo: dict = {}
    for chunk in _batched(sorted(task_ids), chunk_size):
        with transaction.atomic():
            result.created.extend(_plan_chunk(chunk, policy, calendar, now, memo))
    return result


# --- event notices ----------------------------------------------------------------------------------------


@transaction.atomic
def notices_for_event(*, change: TaskChange, now: dt.datetime | None = None) -> list[Planned]:
    """The immediate notice of a task event (assigned, submitted, returned, approved, extension asked or
    decided) to its recipients, with its deliveries. At most once per (event, recipient, kind): the task
    events are delivered at least once, so this runs again on a retry and then creates nothing."""
    kind = NOTICE_KINDS.get(change.action)
    if kind is None:
        return []
    if change.event_id is None:
        raise ValueError("an event notice needs the event id (the outbox row) as its idempotency key")
    now = now or timezone.now()
    task = (
        Task.objects.select_related("plan", "assignee_unit")
        .filter(pk=change.task_id)
        .values(*_TASK_FIELDS)
        .first()
    )
    if task is None:
        return []
    people = _People.load(
        unit_ids=[task["assignee_unit_id"]],
        owner_unit_ids=[task["plan__owner_unit_id"]],
        lead_ids=[task["lead_id"]] if task["lead_id"] else [],
    )
    if kind in _TO_OWNER_LEADERS:
        recipients = set(people.leaders.get(task["plan__owner_unit_id"], ()))
    else:
        recipients = people.task_people(task["lead_id"], task["assignee_unit_id"])
    recipients.discard(change.actor_id)  # the one who acted knows
    if not recipients:
        return []
    event = (
        TaskEvent.objects.filter(task_id=change.task_id, action=change.action)
        .order_by("-at", "-id")
        .values("reason", "data", "actor_id")
        .first()
    ) or {"reason": "", "data": {}, "actor_id": None}
    actor = User.objects.filter(pk=change.actor_id).first() if change.actor_id else None
    data = event["data"] or {}
    new_due = None
    if kind == "extension_decided" and data.get("to_due"):
        new_due = dt.date.fromisoformat(data["to_due"])
    elif kind == "extension_requested" and data.get("requested_due_date"):
        new_due = dt.date.fromisoformat(data["requested_due_date"])
    info = _task_info(task)
    languages = dict(User.objects.filter(pk__in=recipients).values_list("pk", "language"))
    objs = []
    for user_id in sorted(recipients):
        title, body = notice_text(
            info,
            kind,
            languages.get(user_id) or "vi",
            actor=actor.display_name if actor else "",
            reason=event["reason"],
            approved=data.get("approved") if kind == "extension_decided" else None,
            new_due=new_due,
        )
        objs.append(
            Notification(
                recipient_id=user_id,
                kind=kind,
                task_id=task["id"],
                plan_id=task["plan_id"],
                title=title,
                body=body,
                due_date=task["effective_due_date"],
                event_id=change.event_id,
                created_at=now,
            )
        )
    Notification.objects.bulk_create(objs, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(event_id=change.event_id, kind=kind, created_at=now).values(
            "id", "task_id", "recipient_id", "kind", "offset", "due_date", "title"
        )
    )
    _deliveries_create([(n["id"], n["recipient_id"]) for n in created], now=now)
    return [Planned(notification_id=n.pop("id"), **n) for n in created]


def _deliveries_create(notifications: list[tuple[int, int]], *, now: dt.datetime) -> None:
    """The channel rows of newly created notifications: email now, held for the digest, or none, by each
    recipient's preference; the webhook when one is configured."""
    if not notifications:
        return
    user_ids = {u for _, u in notifications}
    modes = selectors.email_modes(user_ids)
    with_email = set(User.objects.filter(pk__in=user_ids).exclude(email="").values_list("pk", flat=True))
    rows = []
    for notification_id, user_id in notifications:
        mode = modes[user_id]
        if user_id in with_email and mode != EmailMode.OFF:
            state = DeliveryState.PENDING if mode == EmailMode.IMMEDIATE else DeliveryState.DIGEST
            rows.append(
                Delivery(
                    notification_id=notification_id,
                    channel=Channel.EMAIL,
                    state=state,
                    next_attempt_at=now if state == DeliveryState.PENDING else None,
                    created_at=now,
                )
            )
        if settings.WEBHOOK_URL:
            rows.append(
                Delivery(
                    notification_id=notification_id,
                    channel=Channel.WEBHOOK,
                    state=DeliveryState.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


# --- delivery ---------------------------------------------------------------------------------------------


@dataclass
class SendResult:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed) + len(self.skipped)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt (1 minute, 5, 15, 1 hour, 3 hours)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _claim(model, *, now: dt.datetime, limit: int) -> list[int]:
    """Take up to `limit` due rows for this worker: locked rows (another worker's) are skipped, and the
    claim is committed before anything is sent, so no lock is held while talking to a channel."""
    with transaction.atomic():
        ids = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            model.objects.filter(pk__in=ids).update(
                state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return ids


def _finish(
    model, pk: int, *, claimed_at: dt.datetime, attempts: int, error: channels.ChannelError | None, now
) -> str:
    """Record the outcome of one claimed row; returns its new state. Only the claim that sent may mark."""
    mine = model.objects.filter(pk=pk, state=DeliveryState.SENDING, claimed_at=claimed_at)
    if error is None:
        mine.update(state=DeliveryState.SENT, sent_at=now, last_error="")
        return DeliveryState.SENT
    message = str(error)[:2000]
    if error.permanent or attempts >= MAX_ATTEMPTS:
        mine.update(state=DeliveryState.FAILED, last_error=message, next_attempt_at=None)
        return DeliveryState.FAILED
    mine.update(state=DeliveryState.PENDING, last_error=message, next_attempt_at=now + backoff(attempts))
    return DeliveryState.PENDING


def _message_id(kind: str, pk: int) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "reform-tracker.local"
    return f"<{kind}-{pk}@{host}>"


def _send_delivery(delivery: Delivery) -> None:
    n = delivery.notification
    if delivery.channel == Channel.EMAIL:
        channels.send_email(
            channels.Message(
                to=n.recipient.email,
                subject=n.title,
                body=n.body,
                message_id=_message_id("notification", n.pk),
            )
        )
    else:
        channels.send_webhook(
            {
                "delivery": delivery.pk,
                "notification": n.pk,
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "task": n.task_id,
                "plan": n.plan_id,
                "due_date": n.due_date.isoformat() if n.due_date else None,
                "offset": n.offset,
                "recipient": {
                    "id": n.recipient_id,
                    "username": n.recipient.username,
                    "full_name": n.recipient.full_name,
                    "email": n.recipient.email,
                },
                "url": task_url(n.task_id),
                "created_at": n.created_at.isoformat(),
            }
        )


def _send_digest(digest: Digest, delivery_ids: list[int]) -> None:
    items = list(
        Delivery.objects.filter(pk__in=delivery_ids)
        .select_related("notification")
        .order_by("notification__created_at", "notification_id")
        .values_list("notification__title", "notification__body")
    )
    subject, body = digest_text(items, digest.day, digest.recipient.language)
    channels.send_email(
        channels.Message(
            to=digest.recipient.email, subject=subject, body=body, message_id=_message_id("digest", digest.pk)
        )
    )


def deliveries_send(*, now: dt.datetime | None = None, limit: int = 100) -> SendResult:
    """Claim due deliveries and digests (skip locked), send each over its channel, and mark it sent only
    after the channel accepted it; a failure is retried with backoff, then recorded as failed."""
    now = now or timezone.now()
    result = SendResult()
    ids = _claim(Delivery, now=now, limit=limit)
    for d in Delivery.objects.filter(pk__in=ids).select_related("notification__recipient").order_by("id"):
        label = f"{d.get_channel_display()} → {d.notification.recipient.username}: {d.notification.title}"
        error = None
        try:
            _send_delivery(d)
        except channels.ChannelError as exc:
            error = exc
            log.warning("delivery %s (%s) failed, attempt %s: %s", d.pk, d.channel, d.attempts, exc)
        except Exception as exc:  # a bug must not strand the rest of the batch in `sending`
            log.exception("delivery %s (%s) raised", d.pk, d.channel)
            error = channels.ChannelError(f"{type(exc).__name__}: {exc}")
        state = _finish(Delivery, d.pk, claimed_at=now, attempts=d.attempts, error=error, now=now)
        _record(result, state, label, error)
    remaining = max(limit - len(ids), 0)
    if remaining:
        digest_ids = _claim(Digest, now=now, limit=remaining)
        for digest in Digest.objects.filter(pk__in=digest_ids).select_related("recipient").order_by("id"):
            carried = list(Delivery.objects.filter(digest=digest).values_list("id", flat=True))
            label = f"Digest → {digest.recipient.username}: {len(carried)}"
            if not carried:  # an empty digest is never sent
                Digest.objects.filter(pk=digest.pk, claimed_at=now).update(state=DeliveryState.SKIPPED)
                result.skipped.append(label)
                continue
            error = None
            try:
                _send_digest(digest, carried)
            except channels.ChannelError as exc:
                error = exc
                log.warning("digest %s failed, attempt %s: %s", digest.pk, digest.attempts, exc)
            except Exception as exc:
                log.exception("digest %s raised", digest.pk)
                error = channels.ChannelError(f"{type(exc).__name__}: {exc}")
            with transaction.atomic():
                state = _finish(
                    Digest, digest.pk, claimed_at=now, attempts=digest.attempts, error=error, now=now
                )
                if state == DeliveryState.SENT:
                    Delivery.objects.filter(pk__in=carried).update(state=DeliveryState.SENT, sent_at=now)
                elif state == DeliveryState.FAILED:
                    Delivery.objects.filter(pk__in=carried).update(
                        state=DeliveryState.FAILED, last_error=str(error)[:2000]
                    )
            _record(result, state, label, error)
    return result


def _record(result: SendResult, state: str, label: str, error) -> None:
    if state == DeliveryState.SENT:
        result.sent.append(label)
    elif state == DeliveryState.FAILED:
        result.failed.append(f"{label} ({error})")
    else:
        result.retrying.append(f"{label} ({error})")


def deliveries_requeue_stuck(*, now: dt.datetime | None = None) -> int:
    """Put back rows left in `sending` by a worker that died between claim and send (older than
    STUCK_AFTER); a row that has used all its attempts is recorded as failed instead."""
    now = now or timezone.now()
    cutoff = now - STUCK_AFTER
    count = 0
    abandoned = "abandoned while sending, no attempts left"
    for model in (Delivery, Digest):
        stuck = model.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=cutoff)
        given_up = stuck.filter(attempts__gte=MAX_ATTEMPTS)
        if model is Digest:
            # What the digest carried fails with it, as when its last attempt fails in `digests_send`.
            Delivery.objects.filter(digest__in=given_up).update(
                state=DeliveryState.FAILED, last_error=abandoned
            )
        given_up.update(state=DeliveryState.FAILED, last_error=abandoned)
        count += stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            claimed_at=None,
            last_error="interrupted while sending (worker stopped); sent again",
        )
    return count


# --- digests ----------------------------------------------------------------------------------------------


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Gather, on a working day from 07:30, each digest user's email deliveries held from before 07:30 into
    that day's digest (one per user and day) and leave it due for `deliveries_send`. Users with nothing
    held get no digest: an empty digest is never made, let alone sent. Returns how many digests received
    deliveries."""
    now = now or timezone.now()
    local = now.astimezone(VN_TZ)
    if not get_calendar().is_working_day(local.date()) or local.time() < DIGEST_AT:
        return 0
    day = local.date()
    # The day's digest carries what was held before 07:30 that day, whenever the job runs (a worker down
    # at 07:30 sends it later, not never); what comes after waits for the next working day's digest.
    cutoff = dt.datetime.combine(day, DIGEST_AT, tzinfo=VN_TZ)
    held = Delivery.objects.filter(
        state=DeliveryState.DIGEST, digest__isnull=True, channel=Channel.EMAIL, created_at__lt=cutoff
    )
    user_ids = sorted(set(held.values_list("notification__recipient_id", flat=True)))
    if not user_ids:
        return 0
    Digest.objects.bulk_create(
        [Digest(recipient_id=u, day=day, next_attempt_at=now, created_at=now) for u in user_ids],
        ignore_conflicts=True,
    )
    filled = 0
    for user_id in user_ids:
        with transaction.atomic():
            # Lock the day's digest while it is still pending: one already being sent (or sent) keeps its
            # contents, and what came later waits for the next working day's digest.
            digest = (
                Digest.objects.select_for_update()
                .filter(recipient_id=user_id, day=day, state=DeliveryState.PENDING)
                .first()
            )
            if digest is None:
                continue
            if held.filter(notification__recipient_id=user_id).update(digest=digest):
                filled += 1
    return filled


# --- reading and preferences ------------------------------------------------------------------------------


def notification_mark_read(
    *, user, notification: Notification, now: dt.datetime | None = None
) -> Notification:
    """Mark one of the user's notifications read (reading it twice keeps the first time)."""
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist
    now = now or timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user, now: dt.datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    now = now or timezone.now()
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now)


def preference_set(*, user, email_mode: str) -> NotificationPreference:
    """Choose how email comes: immediate, a daily digest, or none (in-app notifications always)."""
    if email_mode not in EmailMode.values:
        from django.core.exceptions import ValidationError

        raise ValidationError({"email_mode": [f"'{email_mode}' is not one of {', '.join(EmailMode.values)}"]})
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.update_or_create(
            user=user, defaults={"email_mode": email_mode}
        )
        # Email held for a digest not yet gathered follows the new choice, rather than waiting forever.
        held = Delivery.objects.filter(
            notification__recipient=user,
            channel=Channel.EMAIL,
            state=DeliveryState.DIGEST,
            digest__isnull=True,
        )
        if email_mode == EmailMode.IMMEDIATE:
            held.update(state=DeliveryState.PENDING, next_attempt_at=timezone.now())
        elif email_mode == EmailMode.OFF:
            held.update(state=DeliveryState.SKIPPED, last_error="email turned off by the user")
    return pref
