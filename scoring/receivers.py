"""Scores follow task changes with no one pressing a button."""

from django.dispatch import receiver

from tasks.events import TaskChange, task_changed


@receiver(task_changed, dispatch_uid="scoring.on_task_changed")
def on_task_changed(sender, change: TaskChange, **kwargs) -> None:
    """Queue a recompute of the affected units; raises if the broker is down (the outbox retries)."""
    if not change.affects_score:
        return
    from .tasks import recompute_for_task_change

    recompute_for_task_change.delay(change.plan_id, sorted({change.assignee_unit_id, *change.other_unit_ids}))
