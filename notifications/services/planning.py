"""Planning reminders into the ledger: a scan every 15 minutes, never a delayed broker message. The pure
policy says what is due *now* for each candidate task; the ledger's unique key (task, recipient, kind,
effective due date, offset) turns every repeat, retry or concurrent planner into a no-op."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from org.calendar import WorkingCalendar, get_calendar
from org.models import User
from tasks.models import OPEN_STATES, Task

from .. import selectors
from ..policy import DueReminder, ReminderPolicy, TaskFacts, due_reminders, in_sending_window
from ..texts import reminder_text
from .candidates import _candidate_ids
from .common import _TASK_FIELDS, Planned, _batched, _local_date, _People, _task_info
from .delivery import _deliveries_create
from .ledger import ledger_insert

CHUNK_SIZE = 1000


@dataclass
class PlanResult:
    candidates: int = 0
    created: list[Planned] = field(default_factory=list)


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
    memo = {} if memo is None else memo
    rows = list(Task.objects.filter(pk__in=ids, state__in=OPEN_STATES).values(*_TASK_FIELDS))
    due_by_task = _due_by_task(rows, policy, calendar, now, memo)
    if not due_by_task:
        return []
    wanted = _recipients([r for r in rows if r["id"] in due_by_task], due_by_task)
    if not wanted:
        return []
    created = ledger_insert(_ledger_rows(wanted), now)
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


def _due_by_task(
    rows: list[dict], policy: ReminderPolicy, calendar: WorkingCalendar, now: dt.datetime, memo: dict
) -> dict[int, list[DueReminder]]:
    """task id → the reminders the policy gives it at `now` (tasks with none left out), asking the policy
    once per distinct task facts."""
    below = policy.at_risk_progress_below
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
    return due_by_task


def _recipients(
    rows: list[dict], due_by_task: dict[int, list[DueReminder]]
) -> list[tuple[dict, DueReminder, int]]:
    """(task row, reminder, recipient id) for every reminder due, its people read in bulk."""
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
    return wanted


def _ledger_rows(wanted: list[tuple[dict, DueReminder, int]]) -> list[tuple]:
    """The ledger rows (in `ledger._LEDGER_COLUMNS` order) of these reminders, each text written once per
    task, reminder and language."""
    languages = dict(User.objects.filter(pk__in={u for _, _, u in wanted}).values_list("pk", "language"))
    texts: dict[tuple, tuple[str, str]] = {}
    ledger = []
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
    return ledger


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
