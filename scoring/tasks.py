"""Celery jobs of scoring (thin: ids in, call a service)."""

from celery import shared_task
from django.utils import timezone

from .models import CriteriaSet


@shared_task(
    name="scoring.recompute_units",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=10,
)
def recompute_units(criteria_set_id: int, unit_ids: list[int]) -> int:
    from .services import scores_recompute

    cs = CriteriaSet.objects.filter(pk=criteria_set_id).first()
    if cs is None:
        return 0
    return scores_recompute(criteria_set=cs, unit_ids=unit_ids)


@shared_task(
    name="scoring.recompute_for_task_change",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=10,
)
def recompute_for_task_change(plan_id: int, unit_ids: list[int]) -> int:
    from plans.models import Plan

    from .services import scores_recompute

    plan = Plan.objects.select_related("criteria_set").filter(pk=plan_id).first()
    if plan is None or plan.criteria_set is None:
        return 0
    return scores_recompute(criteria_set=plan.criteria_set, unit_ids=unit_ids)


@shared_task(name="scoring.reconcile_all", acks_late=True, ignore_result=True)
def reconcile_all() -> dict:
    from .services import scores_reconcile

    now = timezone.now()
    return {cs.code: len(scores_reconcile(criteria_set=cs, now=now)) for cs in CriteriaSet.objects.all()}
