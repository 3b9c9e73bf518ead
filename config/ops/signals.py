"""Celery's signals, connected once in every process (`ConfigConfig.ready`): the heartbeats of the periodic
jobs, the recompute timings, and the request id carried from a web request into the jobs it queued.

Hooking the jobs by their registered names keeps notifications and scoring unaware of any of this: the
reminder cycle is `notifications.plan_reminders` (its completion is the cycle's heartbeat), the recompute
jobs are scoring's `recompute_*` (each is one call of `scoring.services.scores_recompute`)."""

from __future__ import annotations

import logging
import time

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun, task_success

from scoring import jobs as scoring_jobs

from . import heartbeats, timings

log = logging.getLogger(__name__)

REMINDER_CYCLE_JOB = "notifications.plan_reminders"
BEAT_HEARTBEAT_JOB = "ops.beat_heartbeat"
TIMED_JOBS = frozenset(
    {
        scoring_jobs.RECOMPUTE_UNITS,
        scoring_jobs.RECOMPUTE_CHUNK,
        scoring_jobs.RECOMPUTE_SET,
        scoring_jobs.RECOMPUTE_FOR_TASK_CHANGE,
    }
)
REQUEST_ID_HEADER = "request_id"

_started: dict[str, float] = {}  # task id → monotonic start, for the timed jobs running in this process
_outer: dict[str, dict] = {}  # task id → the log context before the job (a job run inside a request or a job)


def _task_name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


@before_task_publish.connect(weak=False)
def _carry_request_id(sender=None, headers=None, **kwargs):
    """A job queued while a request is served carries that request's id (a message header)."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect(weak=False)
def _job_started(sender=None, task_id=None, task=None, **kwargs):
    """Bind the job's own ids (and the request id it carries) to every log line it writes."""
    if task_id:
        _outer[task_id] = structlog.contextvars.get_contextvars()
    structlog.contextvars.clear_contextvars()
    context = {"task_name": _task_name(sender), "task_id": task_id}
    request_id = getattr(getattr(task, "request", None), REQUEST_ID_HEADER, None)
    if request_id:
        context["request_id"] = request_id
    structlog.contextvars.bind_contextvars(**context)
    if _task_name(sender) in TIMED_JOBS and task_id:
        _started[task_id] = time.monotonic()


@task_postrun.connect(weak=False)
def _job_finished(sender=None, task_id=None, state=None, **kwargs):
    started = _started.pop(task_id, None) if task_id else None
    try:
        if started is not None and state == "SUCCESS":
            timings.timing_observe(series=_task_name(sender), seconds=time.monotonic() - started)
    except Exception:  # noqa: BLE001 — a metric must never fail the job that was measured
        log.warning("could not record the duration of %s", _task_name(sender), exc_info=True)
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**(_outer.pop(task_id, None) or {}))


@task_success.connect(weak=False)
def _job_succeeded(sender=None, **kwargs):
    name = _task_name(sender)
    beat = {REMINDER_CYCLE_JOB: heartbeats.REMINDER_CYCLE, BEAT_HEARTBEAT_JOB: heartbeats.BEAT}.get(name)
    if beat is None:
        return
    try:
        heartbeats.heartbeat_record(name=beat)
    except Exception:  # noqa: BLE001 — the job did its work; a missing heartbeat shows on /health/
        log.warning("could not record the %s heartbeat", beat, exc_info=True)
