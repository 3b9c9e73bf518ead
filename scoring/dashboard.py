"""Reads for the leader dashboard: how the tasks of a unit's subtree are going this year (completion and
on-time rates by month, by sub-unit), the overdue tasks by age, and each unit's index score and rank.

The dashboard lives in `scoring` because it shows index scores; the task reads below only use what
`tasks` offers (`with_status`, `overdue`, the `StatusCounts` tally), and who may see which unit's
dashboard is `scoring.permissions` (`can_see_dashboard`, `led_units_q`). Every function takes a constant
number of queries, however many units and tasks there are: grouped aggregates, rolled up to sub-units in
Python by materialised path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from org.models import Role, Unit
from org.selectors import user_memberships
from tasks.models import Task
from tasks.selectors import StatusCounts

from .models import UnitScore
from .permissions import can_see_dashboard
from .selectors import UNCOUNTED_STATES

#: Overdue by how many calendar days: (label key, from, to) with `to=None` open-ended.
AGE_BUCKETS = (("1-5", 1, 5), ("6-10", 6, 10), ("11-20", 11, 20), (">20", 21, None))


# --- Whose dashboard --------------------------------------------------------------------------------------


def led_units(user) -> list[Unit]:
    """The units whose dashboards the user starts from: those they lead (superusers: the top-level units),
    by path. One query. Which units' dashboards they may see is `permissions.led_units_q`."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Unit.objects.filter(parent__isnull=True).order_by("path"))
    ids = [u for u, _p, r in user_memberships(user) if r == Role.LEADER]
    return list(Unit.objects.filter(pk__in=ids).order_by("path")) if ids else []


# --- Task progress ------------------------------------------------------------------------------------------


def _year_tasks(user, unit: Unit, year: int):
    """Counted tasks assigned in the unit's subtree whose effective due date falls in `year`.

    Only for a unit whose dashboard the user may see (`can_see_dashboard`), and every task assigned inside
    such a subtree is visible to its leader, so the scope is the subtree itself. Selecting by assignee-unit
    ids (rather than `visible_to`'s OR over assignee and owner paths) lets PostgreSQL use the
    (assignee_unit, state) index: a commune's dashboard reads its own tasks, not a million.
    """
    if not can_see_dashboard(user, unit):
        return Task.objects.none()
    return Task.objects.filter(
        assignee_unit_id__in=Unit.objects.filter(path__startswith=unit.path).values("id"),
        effective_due_date__gte=dt.date(year, 1, 1),
        effective_due_date__lte=dt.date(year, 12, 31),
    ).exclude(state__in=UNCOUNTED_STATES)


def year_progress(
    *, user, unit: Unit, year: int, today: dt.date
) -> tuple[list[tuple[dt.date, StatusCounts]], dict[int, StatusCounts]]:
    """Progress of `year`'s tasks in the unit's subtree, by month (twelve (first day, counts) pairs) and by
    direct sub-unit (each sub-unit's whole subtree; the unit's own key holds the tasks assigned to it
    directly). One scan of the tasks, grouped by month, assignee unit and status, plus one read of the
    subtree's unit paths to roll the units up."""
    months = {dt.date(year, m, 1): StatusCounts() for m in range(1, 13)}
    by_unit: dict[int, StatusCounts] = {}
    rows = list(
        _year_tasks(user, unit, year)
        .with_status(today)
        .annotate(month=TruncMonth("effective_due_date"))
        .values("month", "assignee_unit_id", "status_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    paths = dict(
        Unit.objects.filter(pk__in={row["assignee_unit_id"] for row in rows}).values_list("pk", "path")
    )
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        months[month].add(row["status_code"], row["n"])
        rest = paths[row["assignee_unit_id"]][len(unit.path) :].strip("/")
        key = int(rest.split("/", 1)[0]) if rest else unit.pk
        by_unit.setdefault(key, StatusCounts()).add(row["status_code"], row["n"])
    return list(months.items()), by_unit


def _overdue(user, unit: Unit, year: int, today: dt.date):
    """Tasks of the unit's subtree due in `year`, past their effective due date and not approved."""
    return _year_tasks(user, unit, year).overdue(today).order_by()


def overdue_by_age(*, user, unit: Unit, year: int, today: dt.date) -> list[tuple[str, int]]:
    """How many of `year`'s tasks are overdue by 1–5, 6–10, 11–20 and more than 20 calendar days. One
    query."""
    counts = {}
    for key, low, high in AGE_BUCKETS:
        cond = Q(effective_due_date__lte=today - dt.timedelta(days=low))
        if high is not None:
            cond &= Q(effective_due_date__gte=today - dt.timedelta(days=high))
        counts[key] = Count("id", filter=cond)
    totals = _overdue(user, unit, year, today).aggregate(**counts)
    return [(key, totals[key]) for key, _l, _h in AGE_BUCKETS]


def oldest_overdue(*, user, unit: Unit, year: int, today: dt.date, limit: int = 8) -> list[Task]:
    """`year`'s tasks overdue the longest, with their unit and plan. One query."""
    return list(
        _overdue(user, unit, year, today)
        .select_related("assignee_unit", "plan")
        .order_by("effective_due_date", "id")[:limit]
    )


# --- Index scores -------------------------------------------------------------------------------------------


@dataclass
class ScoreLine:
    score: UnitScore
    peers: int  # units in the peer group (same set, same parent)


@dataclass
class Scores:
    by_unit: dict[int, ScoreLine] = field(default_factory=dict)

    def get(self, unit_id: int) -> ScoreLine | None:
        return self.by_unit.get(unit_id)


def latest_scores(*, unit_ids: list[int], year: int) -> Scores:
    """Each unit's score on `year`'s criteria set of its kind (the most recently imported set when a year
    has several), with the size of its peer group. Two queries."""
    rows = list(
        UnitScore.objects.filter(unit_id__in=unit_ids, criteria_set__year=year)
        .select_related("criteria_set")
        .order_by("unit_id", "criteria_set__created_at", "criteria_set_id")
    )
    chosen: dict[int, UnitScore] = {}
    for row in rows:
        chosen[row.unit_id] = row  # the last one wins: the most recent set
    result = Scores()
    if not chosen:
        return result
    groups = Q(pk__in=[])
    for s in chosen.values():
        groups |= Q(criteria_set_id=s.criteria_set_id, parent_unit_id=s.parent_unit_id)
    sizes = {
        (r["criteria_set_id"], r["parent_unit_id"]): r["n"]
        for r in UnitScore.objects.filter(groups)
        .values("criteria_set_id", "parent_unit_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    for unit_id, s in chosen.items():
        result.by_unit[unit_id] = ScoreLine(s, sizes.get((s.criteria_set_id, s.parent_unit_id), 1))
    return result
