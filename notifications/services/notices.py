"""The immediate notice of a task event (assigned, submitted, returned, approved, extension asked or
decided, mentioned in a comment), at most once per (event, recipient, kind)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from org.models import User
from tasks.choices import TaskAction
from tasks.events import TaskChange
from tasks.models import Task, TaskComment, TaskEvent

from ..models import Notification
from ..texts import mention_text, notice_text
from .common import _TASK_FIELDS, Planned, _People, _task_info
from .delivery import _deliveries_create
from .ledger import EVENT_LEDGER, ledger_insert, ledger_insert_fanout

# Task actions that send a notice at once, and the notice kind (one of `EVENT_KINDS`).
NOTICE_KINDS = {
    TaskAction.ASSIGN: "assigned",
    TaskAction.SUBMIT: "submitted",
    TaskAction.RETURN: "returned",
    TaskAction.APPROVE: "approved",
    TaskAction.EXTENSION_REQUESTED: "extension_requested",
    TaskAction.EXTENSION_DECIDED: "extension_decided",
    TaskAction.COMMENT: "mentioned",
}
# Who gets each notice: the task's people (lead, else the assignee unit's officials) or the owner unit's
# leaders.
_TO_OWNER_LEADERS = {"submitted", "extension_requested"}


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
    if change.is_batch:
        return _batch_notices(kind, change=change, now=now)
    if kind == "mentioned":
        return _mention_notices(change=change, now=now)
    task = (
        Task.objects.select_related("plan", "assignee_unit")
        .filter(pk=change.task_id)
        .values(*_TASK_FIELDS)
        .first()
    )
    if task is None:
        return []
    recipients = _notice_recipients(kind, task, actor_id=change.actor_id)
    if not recipients:
        return []
    objs = _notice_rows(kind, task, recipients, change=change, now=now)
    Notification.objects.bulk_create(objs, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(event_id=change.event_id, kind=kind, created_at=now).values(
            "id", "task_id", "recipient_id", "kind", "offset", "due_date", "title"
        )
    )
    _deliveries_create([(n["id"], n["recipient_id"]) for n in created], now=now)
    return [Planned(notification_id=n.pop("id"), **n) for n in created]


#: The notice kinds a batch event may carry: each happens once in a task's life (an assignment has no way
#: back to a draft), so minus the task's id keys it as the outbox row's id keys one task's event.
BATCH_KINDS = {"assigned"}


def batch_event_id(task_id: int) -> int:
    """The event id of a batch notice about this task: negative, never an outbox row's id."""
    return -task_id


def _batch_notices(kind: str, *, change: TaskChange, now: dt.datetime) -> list[Planned]:
    """The notices of a batch event (one per task and recipient), planned in bulk through the ledger: a
    few queries and one insert whatever the batch's size; at most once per (task, recipient, kind), so a
    retried event creates nothing."""
    if kind not in BATCH_KINDS:
        raise ValueError(f"a batch event cannot carry the notice {kind!r}")
    tasks = list(Task.objects.filter(pk__in=change.task_ids).values(*_TASK_FIELDS).order_by("id"))
    if not tasks:
        return []
    people = _People.load(
        unit_ids=[t["assignee_unit_id"] for t in tasks],
        owner_unit_ids=[t["plan__owner_unit_id"] for t in tasks],
        lead_ids=[t["lead_id"] for t in tasks if t["lead_id"]],
    )
    by_task = {}
    for t in tasks:
        recipients = people.task_people(t["lead_id"], t["assignee_unit_id"])
        recipients.discard(change.actor_id)
        by_task[t["id"]] = recipients
    user_ids = set().union(*by_task.values())
    if not user_ids:
        return []
    actor = User.objects.filter(pk=change.actor_id).first() if change.actor_id else None
    actor_name = actor.display_name if actor else ""
    languages = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "language"))
    # One row per task and language, with its recipients: each task's text is written once per language
    # its recipients read (the words once per language, `notice_text`), and travels once to the ledger.
    groups = []
    for t in tasks:
        by_language: dict[str, list[int]] = {}
        for user_id in sorted(by_task[t["id"]]):
            by_language.setdefault(languages.get(user_id) or "vi", []).append(user_id)
        if not by_language:
            continue
        info = _task_info(t)
        for language, recipients in by_language.items():
            title, body = notice_text(info, kind, language, actor=actor_name)
            row = (None, kind, t["id"], t["plan_id"], title, body, t["effective_due_date"])
            groups.append(((*row, batch_event_id(t["id"])), recipients))
    created = ledger_insert_fanout(groups, now, EVENT_LEDGER)
    _deliveries_create([(n["id"], n["recipient_id"]) for n in created], now=now)
    return [Planned(notification_id=n.pop("id"), **n) for n in created]


def _notice_recipients(kind: str, task: dict, *, actor_id: int | None) -> set[int]:
    """Who gets the notice of `kind` about `task`, except the one who acted (they know)."""
    people = _People.load(
        unit_ids=[task["assignee_unit_id"]],
        owner_unit_ids=[task["plan__owner_unit_id"]],
        lead_ids=[task["lead_id"]] if task["lead_id"] else [],
    )
    if kind in _TO_OWNER_LEADERS:
        recipients = set(people.leaders.get(task["plan__owner_unit_id"], ()))
    else:
        recipients = people.task_people(task["lead_id"], task["assignee_unit_id"])
    recipients.discard(actor_id)
    return recipients


def _notice_rows(
    kind: str, task: dict, recipients: set[int], *, change: TaskChange, now: dt.datetime
) -> list[Notification]:
    """The unsaved notice of each recipient, in their language, with what the event's history row says
    (who acted, the reason, the new due date)."""
    event = (
        TaskEvent.objects.filter(task_id=change.task_id, action=change.action)
        .order_by("-at", "-id")
        .values("reason", "data", "actor_id")
        .first()
    ) or {"reason": "", "data": {}, "actor_id": None}
    actor = User.objects.filter(pk=change.actor_id).first() if change.actor_id else None
    data = event["data"] or {}
    new_due = _new_due(kind, data)
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
    return objs


def _new_due(kind: str, data: dict) -> dt.date | None:
    """The due date an extension decision set, or the one an extension request asks for."""
    if kind == "extension_decided" and data.get("to_due"):
        return dt.date.fromisoformat(data["to_due"])
    if kind == "extension_requested" and data.get("requested_due_date"):
        return dt.date.fromisoformat(data["requested_due_date"])
    return None


def _mention_notices(*, change: TaskChange, now: dt.datetime) -> list[Planned]:
    """The "mentioned" notice of a comment to each active user it mentions (the users `@named` in it who
    could see the task when it was written, `TaskComment.mentions`), but its author, planned through the
    ledger keyed by the comment's event: a retried job creates nothing."""
    if change.comment_id is None:
        return []
    comment = (
        TaskComment.objects.filter(pk=change.comment_id, task_id=change.task_id)
        .select_related("author")
        .first()
    )
    task = Task.objects.filter(pk=change.task_id).values(*_TASK_FIELDS).first()
    if comment is None or task is None:
        return []
    recipients = dict(
        comment.mentions.filter(is_active=True).exclude(pk=comment.author_id).values_list("pk", "language")
    )
    if not recipients:
        return []
    info = _task_info(task)
    author = comment.author.display_name if comment.author else ""
    texts: dict[str, tuple[str, str]] = {}
    ledger = []
    for user_id in sorted(recipients):
        language = recipients[user_id] or "vi"
        if language not in texts:
            texts[language] = mention_text(info, language, actor=author, excerpt=comment.body)
        title, body = texts[language]
        ledger.append(
            (
                user_id,
                "mentioned",
                task["id"],
                task["plan_id"],
                title,
                body,
                task["effective_due_date"],
                change.event_id,
            )
        )
    created = ledger_insert(ledger, now, EVENT_LEDGER)
    _deliveries_create([(n["id"], n["recipient_id"]) for n in created], now=now)
    return [Planned(notification_id=n.pop("id"), **n) for n in created]
