"""Domain events of tasks, for the apps above (scoring, notifications) to react to.

`tasks` imports neither of them. A service calls `task_event_after_commit(change)`, which writes an outbox
row in the same transaction as the change, and sends `task_changed` once the transaction has committed.
Receivers queue their work (never do it inline) and raise if they could not (e.g. the broker is down); the
outbox row is deleted only when every receiver succeeded, so a change is never lost between commit and
queue: `outbox_dispatch_pending` (a beat job every minute) re-sends what is left. Delivery is therefore at
least once: receivers must be idempotent (scores are recomputed from source rows; notices have unique keys
that include the event id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

log = logging.getLogger(__name__)

# kwargs: change (TaskChange)
task_changed = Signal()
# kwargs: task_id, user_id. A user opened a task's page (sent by the page, not through the outbox: nothing is
# lost if a receiver fails; notifications mark what they told that user about the task read).
task_viewed = Signal()


def task_viewed_send(*, task_id: int, user_id: int) -> None:
    """Tell the apps above that `user_id` has seen the task's page; a failing receiver is logged, never the
    page's error."""
    for receiver, result in task_viewed.send_robust(sender=TaskChange, task_id=task_id, user_id=user_id):
        if isinstance(result, Exception):
            log.warning("task_viewed receiver %r failed: %r", receiver, result)


@dataclass(frozen=True)
class TaskChange:
    task_id: int
    action: str  # a TaskAction value (tasks.choices): what happened
    plan_id: int
    assignee_unit_id: int
    actor_id: int | None
    # Did the change affect what scoring reads (state, dates, metric, criterion code, assignee unit)?
    affects_score: bool
    # Units whose scores may change besides the assignee unit (e.g. the previous assignee unit).
    other_unit_ids: tuple[int, ...] = ()
    # A batch (`tasks.services.bulk`): every task of the event, all of one plan and one action (`task_id`
    # is the first of them, `assignee_unit_id` and `other_unit_ids` every unit concerned). Empty for the
    # event of one task.
    task_ids: tuple[int, ...] = ()
    # The comment (`TaskComment`) of a `comment` event: the notices of its mentions read it. None otherwise.
    comment_id: int | None = None
    # The outbox row id: receivers use it as the idempotency key of what they create for this event.
    event_id: int | None = field(default=None, compare=False)

    def as_dict(self) -> dict:
        # Field by field, not `dataclasses.asdict`: that deep-copies every id of a batch's tuples one by one
        # (two seconds for a cascade's 68,000 tasks).
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["other_unit_ids"] = list(self.other_unit_ids)
        if self.task_ids:
            data["task_ids"] = list(self.task_ids)
        else:  # the payload of one task's event, as it always was
            del data["task_ids"]
        if self.comment_id is None:
            del data["comment_id"]
        return data

    @property
    def is_batch(self) -> bool:
        return bool(self.task_ids)

    @property
    def all_task_ids(self) -> tuple[int, ...]:
        """The ids of the tasks the event is about (one, or a batch's)."""
        return self.task_ids or (self.task_id,)

    @classmethod
    def from_dict(cls, data: dict, event_id: int) -> TaskChange:
        data = {
            **data,
            "other_unit_ids": tuple(data.get("other_unit_ids", ())),
            "task_ids": tuple(data.get("task_ids", ())),
            "event_id": event_id,
        }
        return cls(**data)


def task_event_after_commit(change: TaskChange) -> None:
    """Record the change in the outbox (same transaction) and dispatch it after commit."""
    from .models import Outbox

    row = Outbox.objects.create(payload=change.as_dict())
    transaction.on_commit(lambda: dispatch(row.pk))


def task_events_after_commit(changes: list[TaskChange]) -> None:
    """Record several changes (a batch's events, one per plan; a bulk approval's, one per task) in the outbox
    with one insert (same transaction), and dispatch them together after commit: each row reaches the
    receivers as its own event, exactly as if the tasks were acted on one by one."""
    from .models import Outbox

    if not changes:
        return
    if len(changes) == 1:
        task_event_after_commit(changes[0])
        return
    rows = Outbox.objects.bulk_create([Outbox(payload=change.as_dict()) for change in changes])
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: dispatch_many(ids))


def _send(row) -> bool:
    """Send one outbox row's change to every receiver; True when all succeeded (else its attempt noted)."""
    from .models import Outbox

    change = TaskChange.from_dict(row.payload, row.pk)
    failed = False
    for receiver, result in task_changed.send_robust(sender=TaskChange, change=change):
        if isinstance(result, Exception):
            failed = True
            log.warning("task_changed receiver %r failed, will retry: %r", receiver, result)
    if failed:
        Outbox.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, last_attempt_at=timezone.now())
    return not failed


def dispatch(outbox_id: int) -> bool:
    """Send one outbox row to every receiver; delete it when all succeeded. True when delivered."""
    from .models import Outbox

    row = Outbox.objects.filter(pk=outbox_id).first()
    if row is None:  # another dispatcher got there first
        return True
    if not _send(row):
        return False
    Outbox.objects.filter(pk=row.pk).delete()
    return True


def dispatch_many(outbox_ids: list[int]) -> int:
    """`dispatch` of several rows, read with one query and the delivered ones deleted with one. Returns
    how many were delivered (a row another dispatcher got first counts)."""
    from .models import Outbox

    rows = list(Outbox.objects.filter(pk__in=outbox_ids).order_by("pk"))
    delivered = [row.pk for row in rows if _send(row)]
    if delivered:
        Outbox.objects.filter(pk__in=delivered).delete()
    return len(delivered) + len(outbox_ids) - len(rows)


def outbox_dispatch_pending(*, older_than_seconds: int = 20, limit: int = 1000) -> int:
    """Re-send outbox rows left behind (broker down, process killed). Returns how many were delivered."""
    from .models import Outbox

    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(
        Outbox.objects.filter(created_at__lt=cutoff).order_by("id").values_list("id", flat=True)[:limit]
    )
    return sum(1 for pk in ids if dispatch(pk))
