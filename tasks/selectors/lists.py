"""The task lists: what a user sees, their own work ("Việc của tôi"), the tabs and their counts, the deadline
year."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from org.selectors import user_memberships
from plans.models import Plan

from ..choices import OPEN_STATES, TaskState
from ..models import Task
from ..status import overdue_q


def task_list(*, user, today: dt.date | None = None):
    """Visible tasks with what lists show, and the SQL-computed status."""
    today = today or timezone.localdate()
    return (
        Task.objects.visible_to(user)
        .select_related("plan", "plan__owner_unit", "assignee_unit", "lead")
        .with_status(today)
    )


def my_tasks_q(user) -> Q:
    """Tasks that are the user's work: led by them, assigned to a unit they lead (whoever leads the task: the
    unit's leader answers for all of it, so their overdue count is the unit's, as on its dashboard), or
    to a unit where they are an official without a lead set, or waiting for their approval
    (`awaiting_my_approval_q`). The my-tasks page and the API's `mine` filter both use it."""
    memberships = user_memberships(user)
    led = [u for u, _p, r in memberships if r == "leader"]
    member_of = [u for u, _p, r in memberships if r == "official"]
    return (
        Q(lead=user)
        | Q(assignee_unit_id__in=led)
        | Q(assignee_unit_id__in=member_of, lead__isnull=True)
        | awaiting_my_approval_q(user)
    )


#: Above this many plans, `_submitted_in_plans_of` filters by a subquery instead of a list of ids: a list
#: that long buys nothing (the leader's subtree holds most of the country's submitted tasks anyway) and would
#: be repeated in every condition that uses it.
PLAN_IDS_INLINE_MAX = 2000


def _submitted_in_plans_of(paths: list[str]) -> Q:
    """Submitted tasks of plans owned by the units at `paths` or under them (the user's led subtrees). The
    plan ids are read first, so the (plan, state) index finds the tasks: through the join to the owner unit
    (or a subquery), PostgreSQL reads every submitted task in the country and keeps this subtree's."""
    if not paths:
        return Q(pk__in=[])
    return Q(plan_id__in=_plans_owned_under(paths), state=TaskState.SUBMITTED)


def _plans_owned_under(paths: list[str]):
    """The ids of the plans owned by the units at `paths` or under them: a list, or a subquery when longer
    than `PLAN_IDS_INLINE_MAX`. No paths: no plan."""
    if not paths:
        return []
    owned = Q()
    for path in paths:
        owned |= Q(owner_unit__path__startswith=path)
    plans = Plan.objects.filter(owned).order_by()
    ids = list(plans.values_list("id", flat=True)[: PLAN_IDS_INLINE_MAX + 1])
    return ids if len(ids) <= PLAN_IDS_INLINE_MAX else plans.values("id")


def awaiting_my_approval_q(user) -> Q:
    """Submitted tasks of plans owned by a unit the user leads (or a unit under it)."""
    if user.is_superuser:
        return Q(state=TaskState.SUBMITTED)
    return _submitted_in_plans_of([path for _u, path, role in user_memberships(user) if role == "leader"])


# Buckets of the task lists: the tabs of "Việc của tôi" and of the task and plan pages.
BUCKETS = ("open", "due_soon", "overdue", "returned", "to_approve", "done", "all")


def bucket_q(bucket: str, *, user, today: dt.date, soon_until: dt.date) -> Q:
    """What a tab shows. "open" is everything not finished; "done" is approved."""
    return {
        "open": Q(state__in=(*OPEN_STATES, TaskState.SUBMITTED, TaskState.DRAFT)),
        "due_soon": Q(
            state__in=OPEN_STATES, effective_due_date__gte=today, effective_due_date__lte=soon_until
        ),
        "overdue": overdue_q(today),
        "returned": Q(state=TaskState.RETURNED),
        "to_approve": awaiting_my_approval_q(user),
        "done": Q(state=TaskState.APPROVED),
        "all": Q(),
    }[bucket]


def year_q(year: int) -> Q:
    """Tasks whose deadline (the effective due date, as the lists show it) falls in `year`; a task with no
    due date yet goes by its plan's year."""
    return Q(effective_due_date__year=year) | Q(effective_due_date__isnull=True, plan__year=year)


def my_task_list(*, user, today: dt.date | None = None):
    """The user's own work (`my_tasks_q`), drafts left out: they are not assigned to anyone yet."""
    return task_list(user=user, today=today).filter(my_tasks_q(user)).exclude(state=TaskState.DRAFT)


def bucket_counts(qs, *, user, today: dt.date, soon_until: dt.date, buckets=BUCKETS) -> dict[str, int]:
    """How many tasks of `qs` fall in each bucket, in one query."""
    return qs.aggregate(
        **{b: Count("id", filter=bucket_q(b, user=user, today=today, soon_until=soon_until)) for b in buckets}
    )
