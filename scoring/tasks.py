"""Celery jobs of scoring (thin: ids in, call a service). Every job is idempotent: it recomputes from the
source rows, so a retry or a duplicate delivery changes nothing. The services queue them by name
(`scoring.jobs`), so this module imports the services and not the other way round."""

import logging

from celery import shared_task
from django.utils import timezone

from criteria.models import CriteriaSet
from plans.models import Plan

from . import jobs
from .services import (
    results_announce,
    round_cycle,
    scores_recompute,
    scores_recompute_chunks,
    scores_reconcile,
)

log = logging.getLogger(__name__)

_RETRYING = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 10,
}


def _recompute_units(criteria_set_id: int, unit_ids: list[int]) -> int:
    """Recompute some units of a set: those a survey import or an appraisal touched (`recompute_units`),
    or one chunk of whole peer groups of a full recompute (`recompute_chunk`, see `recompute_set`), which
    ranks its groups."""
    cs = CriteriaSet.objects.filter(pk=criteria_set_id).first()
    if cs is None:
        return 0
    return scores_recompute(criteria_set=cs, unit_ids=unit_ids)


# One body under both names: messages already queued under either name must still find their job.
recompute_units = shared_task(name=jobs.RECOMPUTE_UNITS, **_RETRYING)(_recompute_units)
recompute_chunk = shared_task(name=jobs.RECOMPUTE_CHUNK, **_RETRYING)(_recompute_units)


@shared_task(name=jobs.RECOMPUTE_FOR_TASK_CHANGE, **_RETRYING)
def recompute_for_task_change(plan_id: int, unit_ids: list[int]) -> int:
    """Recompute the units a task change touched, on the criteria set of the task's plan."""
    plan = Plan.objects.select_related("criteria_set").filter(pk=plan_id).first()
    if plan is None or plan.criteria_set is None:
        return 0
    return scores_recompute(criteria_set=plan.criteria_set, unit_ids=unit_ids)


@shared_task(name=jobs.RECOMPUTE_SET, **_RETRYING)
def recompute_set(criteria_set_id: int) -> int:
    """Recompute every unit of a set (after the set was imported, or on demand). A large set fans out into
    `recompute_chunk` jobs of whole peer groups, which every free worker takes in parallel; each ranks its
    own groups, so no step waits for all of them. A small set is recomputed here, in one job."""
    cs = CriteriaSet.objects.filter(pk=criteria_set_id).first()
    if cs is None:
        return 0
    chunks = scores_recompute_chunks(criteria_set=cs)
    if len(chunks) <= 1:
        return scores_recompute(criteria_set=cs)
    for chunk in chunks:
        recompute_chunk.delay(cs.pk, chunk)
    return sum(len(chunk) for chunk in chunks)


@shared_task(name=jobs.RECONCILE_ALL, acks_late=True, ignore_result=True)
def reconcile_all() -> dict:
    """Nightly: recompute every set, oldest year first (so deltas read final totals), and report which
    units had to change."""
    now = timezone.now()
    report = {}
    for cs in CriteriaSet.objects.order_by("year", "created_at", "id"):
        changed = scores_reconcile(criteria_set=cs, now=now)
        report[cs.code] = len(changed)
    log.info("nightly score reconciliation: units changed per set: %s", report)
    return report


@shared_task(name=jobs.ROUND_CYCLE, acks_late=True, ignore_result=True)
def round_cycle_job() -> dict:
    """Every 15 minutes: submit (late) the self-assessments whose deadline passed, and hand the open round
    deadlines' debtors to notifications (which plan each reminder once)."""
    return round_cycle()


@shared_task(name=jobs.RENDER_ANNEX, time_limit=900, soft_time_limit=840, **_RETRYING)
def render_annex(result_id: int) -> bool:
    """Render a published version's annex (PDF) and store it: a nationwide table of 3,400 units takes over a
    minute, too long for a web request; a version never changes, so it is rendered once."""
    from .exports import published_annex_store

    return published_annex_store(result_id)


@shared_task(name=jobs.ANNOUNCE_RESULTS, **_RETRYING)
def announce_results(criteria_set_id: int) -> bool:
    """Tell the scored units' leaders of a publication (notifications plan each notice once)."""
    cs = CriteriaSet.objects.filter(pk=criteria_set_id).first()
    return cs is not None and results_announce(criteria_set=cs)
