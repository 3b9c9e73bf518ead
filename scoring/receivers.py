"""Scores follow task changes and new criteria sets with no one pressing a button."""

from django.dispatch import receiver

from criteria.events import criteria_set_imported
from tasks.events import TaskChange, task_changed

from . import jobs


def change_affects_scores(change: TaskChange) -> bool:
    """Does this task change alter what the recompute reads (state, dates, metric, criterion, unit)? The task
    service flags it (tasks.services.SCORED_ACTIONS / SCORED_FIELDS)."""
    return change.affects_score


def units_of_change(change: TaskChange) -> list[int]:
    """The units whose scores may change: the assignee unit and any other named by the change. A batch event
    (`TaskChange.task_ids`, e.g. a cascade to 3,400 communes) names every unit of its tasks there, so the
    batch requests ONE recompute of that unit set."""
    return sorted({change.assignee_unit_id, *change.other_unit_ids})


@receiver(task_changed, dispatch_uid="scoring.on_task_changed")
def on_task_changed(sender, change: TaskChange, **kwargs) -> None:
    """Queue a recompute of the affected units; raises if the broker is down (the outbox retries)."""
    if not change_affects_scores(change):
        return
    from .tasks import recompute_for_task_change

    recompute_for_task_change.delay(change.plan_id, units_of_change(change))


@receiver(criteria_set_imported, dispatch_uid="scoring.on_criteria_set_imported")
def on_criteria_set_imported(sender, criteria_set, **kwargs) -> None:
    """Queue the scores of every unit on a set just imported; raises if the broker is down (the import
    logs it, and the nightly reconciliation scores the set)."""
    jobs.recompute_set(criteria_set.pk)
