"""React to the events of the apps below: task events queue the notice job (and mark the actor's notices of
the task read, one indexed update), nothing else inline; opening a task's page marks its notices read; the
assessment round's events (sent by scoring, which this app never imports) plan the round notices.

A task-event receiver that could not queue (the broker is down) raises, so the task app's outbox keeps the
event and sends it again; the job is idempotent (notices are unique per event id, recipient and kind).

The round receivers plan inline, in bulk and in their own transaction (one read of the ledger, one insert per
2,000 rows): scoring sends `round_deadlines` from its 15-minute round cycle, already a worker job, and
`round_published` once after a publication committed. Both are idempotent, so the sender may repeat them
(a failed planning is planned by the next cycle; a publication signal sent again notifies no one twice).
What they create is delivered by the delivery job, asked to run at once after the commit.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from criteria.events import RoundPublication, round_deadlines, round_published
from tasks.events import TaskChange, task_changed, task_viewed

from .services import NOTICE_KINDS, notifications_mark_task_read, round_deadlines_plan, round_published_notify


@receiver(task_changed, dispatch_uid="notifications.task_changed")
def task_changed_queue_notices(sender, change: TaskChange, **kwargs) -> None:
    if change.actor_id:
        # Who took a step on a task has seen what they were told about it (one indexed update, idempotent).
        notifications_mark_task_read(user_id=change.actor_id, task_ids=change.all_task_ids)
    if change.action not in NOTICE_KINDS:
        return
    from .tasks import notices_for_event_job

    notices_for_event_job.delay(change.event_id, change.as_dict())


@receiver(task_viewed, dispatch_uid="notifications.task_viewed")
def task_viewed_mark_read(sender, task_id: int, user_id: int, **kwargs) -> None:
    """Who opens a task's page has seen what they were told about the task."""
    notifications_mark_task_read(user_id=user_id, task_ids=[task_id])


def _kick_delivery_after_commit() -> None:
    from .tasks import _kick_delivery

    transaction.on_commit(_kick_delivery)


@receiver(round_deadlines, dispatch_uid="notifications.round_deadlines")
def round_deadlines_plan_notices(sender, targets, now=None, **kwargs) -> int:
    """Plan the round deadline reminders due now for these debtors (`list[RoundTarget]`); returns how many
    notices were created."""
    created = round_deadlines_plan(targets=targets, now=now)
    if created:
        _kick_delivery_after_commit()
    return len(created)


@receiver(round_published, dispatch_uid="notifications.round_published")
def round_published_notify_leaders(sender, publication: RoundPublication, now=None, **kwargs) -> int:
    """Tell the scored units' leaders that the set's results (this version) are published; returns how many
    notices were created."""
    created = round_published_notify(publication=publication, now=now)
    if created:
        _kick_delivery_after_commit()
    return len(created)
