"""Domain events of tasks, for the apps above (scoring, notifications) to react to.

`tasks` imports neither of them: a service calls `task_event_after_commit(...)`, which sends
`task_changed` once the transaction has committed. Receivers must be quick (queue work, never do it) and
must not raise: a failure of one is logged and does not affect the others or the request.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

# kwargs: event (TaskEvent below)
task_changed = Signal()


@dataclass(frozen=True)
class TaskChange:
    task_id: int
    action: (
        str  # assign, start, submit, approve, return, cancel, reopen, create, update, evidence, extension_*
    )
    plan_id: int
    assignee_unit_id: int
    actor_id: int | None
    # Did the change affect what scoring reads (state, dates, metric, criterion code, assignee unit)?
    affects_score: bool
    # Units whose scores may change besides the assignee unit (e.g. the previous assignee unit).
    other_unit_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        return asdict(self)


def task_event_after_commit(change: TaskChange) -> None:
    """Send `task_changed` after the current transaction commits (at once when there is none)."""

    def send() -> None:
        for receiver, result in task_changed.send_robust(sender=TaskChange, change=change):
            if isinstance(result, Exception):
                log.error("task_changed receiver %r failed: %r", receiver, result, exc_info=result)

    transaction.on_commit(send)
