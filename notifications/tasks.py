"""Celery jobs of the notifications app: thin, ids and plain data in, a service call inside.

No reminder is ever a delayed broker message (no eta, no countdown): the beat schedule scans the ledger,
and the rows in the database are the queue. The jobs are safe to run twice or at once.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from tasks.events import TaskChange

from . import services

log = logging.getLogger(__name__)

_JOB = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True}


def _kick_delivery() -> None:
    """Ask a worker to deliver now rather than at the next minute's beat. Best effort: the rows are already
    committed, and the beat job sends them anyway if the broker refuses this."""
    try:
        deliver_job.delay()
    except Exception:  # noqa: BLE001 — the committed rows are the source of truth
        log.warning("could not queue an immediate delivery run; the beat job will send", exc_info=True)


@shared_task(name="notifications.plan_reminders", time_limit=600, soft_time_limit=540, **_JOB)
def plan_reminders_job(at: str | None = None) -> int:
    """One planning cycle (at `at`, ISO, or now). A busy cycle fans out into `plan_reminders_chunk` jobs
    that every free worker takes in parallel; a quiet one is planned here."""
    now = dt.datetime.fromisoformat(at) if at else timezone.now()
    chunks = services.reminders_plan_chunks(now=now)
    if len(chunks) > 1:
        for plan_id, task_ids in chunks:
            plan_reminders_chunk_job.delay(task_ids, plan_id, now.isoformat())
        return 0
    # A quiet cycle: its one chunk (or none) is planned here, from the candidates already selected.
    created = 0
    for plan_id, task_ids in chunks:
        created += len(
            services.reminders_plan_tasks(task_ids=task_ids, policy_plan_id=plan_id, now=now).created
        )
    if created:
        _kick_delivery()
    return created


@shared_task(name="notifications.plan_reminders_chunk", time_limit=600, soft_time_limit=540, **_JOB)
def plan_reminders_chunk_job(task_ids: list[int], policy_plan_id: int | None, at: str) -> int:
    """Plan one chunk of a cycle (candidate task ids under one policy)."""
    result = services.reminders_plan_tasks(
        task_ids=task_ids, policy_plan_id=policy_plan_id, now=dt.datetime.fromisoformat(at)
    )
    if result.created:
        _kick_delivery()
    return len(result.created)


@shared_task(name="notifications.deliver", time_limit=600, soft_time_limit=540, **_JOB)
def deliver_job(limit: int = 200, batches: int = 10) -> int:
    total = 0
    for _ in range(batches):  # a backlog drains in one run; the next beat tick continues if need be
        claimed = services.deliveries_send(limit=limit).claimed
        total += claimed
        if claimed < limit:
            break
    return total


@shared_task(name="notifications.requeue_stuck", time_limit=120, soft_time_limit=100, **_JOB)
def requeue_stuck_job() -> int:
    return services.deliveries_requeue_stuck()


@shared_task(name="notifications.digests", time_limit=600, soft_time_limit=540, **_JOB)
def digests_job() -> int:
    filled = services.digests_send()
    if filled:
        _kick_delivery()
    return filled


@shared_task(name="notifications.notices_for_event", time_limit=120, soft_time_limit=100, **_JOB)
def notices_for_event_job(event_id: int, change: dict) -> int:
    created = services.notices_for_event(change=TaskChange.from_dict(change, event_id))
    if created:
        _kick_delivery()
    return len(created)
