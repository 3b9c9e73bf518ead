"""React to task events: queue the notice job, nothing inline.

A receiver that could not queue (the broker is down) raises, so the task app's outbox keeps the event and
sends it again; the job is idempotent (notices are unique per event id, recipient and kind)."""

from __future__ import annotations

from django.dispatch import receiver

from tasks.events import TaskChange, task_changed

from .services import NOTICE_KINDS


@receiver(task_changed, dispatch_uid="notifications.task_changed")
def task_changed_queue_notices(sender, change: TaskChange, **kwargs) -> None:
    if change.action not in NOTICE_KINDS:
        return
    from .tasks import notices_for_event_job

    notices_for_event_job.delay(change.event_id, change.as_dict())
