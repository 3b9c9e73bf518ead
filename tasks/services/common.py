"""What every task service shares: the row lock, the history row, the announcement after commit, and the
error of a step that the task's state does not allow."""

from __future__ import annotations

from ..choices import TaskAction
from ..events import TaskChange, task_event_after_commit, task_events_after_commit
from ..models import Task, TaskEvent


class TaskTransitionError(Exception):
    """A step not allowed from the task's current state (answers 409)."""


def _lock(task: Task) -> Task:
    """The task's row, locked for the rest of the transaction, with what the permission checks read."""
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("plan__owner_unit", "assignee_unit")
        .get(pk=task.pk)
    )


def _log(
    task: Task,
    *,
    action: TaskAction,
    actor,
    now,
    reason: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
) -> TaskEvent:
    """Append the history row of a step (in the step's transaction)."""
    return TaskEvent.objects.create(
        task=task,
        action=action,
        actor=actor if actor and actor.pk else None,
        at=now,
        reason=reason,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


def _announce(task: Task, action: TaskAction, actor, *, affects_score: bool, other_unit_ids=()) -> None:
    """Write the task event to the outbox (same transaction) for scoring and notifications to react to after
    commit (tasks.events)."""
    task_event_after_commit(
        TaskChange(
            task_id=task.pk,
            action=action,
            plan_id=task.plan_id,
            assignee_unit_id=task.assignee_unit_id,
            actor_id=actor.pk if actor and actor.pk else None,
            affects_score=affects_score,
            other_unit_ids=tuple(other_unit_ids),
        )
    )


def tasks_log_bulk(
    tasks: list[Task],
    *,
    action: TaskAction,
    actor,
    now,
    data: dict | None = None,
    from_state: str = "",
    reason: str = "",
) -> None:
    """One history row per task, in bulk (the batch's transaction)."""
    actor_id = actor.pk if actor is not None and actor.pk else None
    TaskEvent.objects.bulk_create(
        [
            TaskEvent(
                task_id=t.pk,
                action=action,
                actor_id=actor_id,
                at=now,
                reason=reason,
                from_state=from_state,
                to_state=t.state,
                data={**(data or {}), **({"source": t.source_id} if t.source_id else {})},
            )
            for t in tasks
        ],
        batch_size=1000,
    )


def tasks_announce_bulk(tasks: list[Task], *, plan_id: int, action: TaskAction, actor, affects_score) -> None:
    """ONE outbox event for a batch of one plan's tasks: the ids of every task and every unit concerned."""
    if not tasks:
        return
    units = sorted({t.assignee_unit_id for t in tasks})
    task_event_after_commit(
        TaskChange(
            task_id=tasks[0].pk,
            action=action,
            plan_id=plan_id,
            assignee_unit_id=units[0],
            actor_id=actor.pk if actor is not None and actor.pk else None,
            affects_score=affects_score,
            other_unit_ids=tuple(units[1:]),
            task_ids=tuple(t.pk for t in tasks),
        )
    )


def tasks_announce_each(tasks: list[Task], *, action: TaskAction, actor, affects_score: bool) -> None:
    """One outbox event per task (`_announce`'s), written in one insert: for a step taken on many tasks at
    once whose notices are per event (an approval may happen again after a reopen, so it has no batch
    notice: `notifications.services.notices.BATCH_KINDS`)."""
    actor_id = actor.pk if actor is not None and actor.pk else None
    task_events_after_commit(
        [
            TaskChange(
                task_id=t.pk,
                action=action,
                plan_id=t.plan_id,
                assignee_unit_id=t.assignee_unit_id,
                actor_id=actor_id,
                affects_score=affects_score,
            )
            for t in tasks
        ]
    )
