"""React to the events of the apps below: task events queue the notice job, nothing inline; the assessment
round's events (sent by scoring, which this app never imports) plan the round notices.

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
from tasks.events import TaskChange, task_changed

from .services import NOTICE_KINDS, round_deadlines_plan, round_published_notify


@receiver(task_changed, dispatch_uid="notifications.task_changed")
def task_changed_queue_notices(sender, change: TaskChange, **kwargs) -> None:
    if change.action not in NOTICE_KINDS:
        return
    from .tasks import notices_for_event_job

    notices_for_event_job.delay(change.event_id, change.as_dict())


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
