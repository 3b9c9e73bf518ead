"""What a recompute reads: the set's leaves and tree once per run, then each batch's source rows in bulk
(task counts and metrics, survey and appraised points, last year's totals) with a handful of queries,
however many tasks there are. Reads only; `recompute` decides what to do with them."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField, Case, Count, F, Value, When

from criteria.definitions import METRIC_RULES
from criteria.models import CriteriaSet
from tasks.models import TaskState, TaskStatus, status_conditions

from ..models import Adjustment, Appraisal, LeafAssessment, SurveyResult
from ..rules import CriteriaTree
from ..selectors import previous_totals, scored_tasks, scoring_tree
from ._upsert import latest_metrics


@dataclass
class Leaf:
    """A leaf criterion as the recompute scores it."""

    criterion_id: int
    code: str
    max_points: Decimal
    rule: dict

    def __post_init__(self) -> None:
        #: What the points depend on besides the counts (`_rows.ScoreMemo`): the rule as stored, and the max.
        self.fingerprint = (json.dumps(self.rule, sort_keys=True), str(self.max_points))
        self.scope = self.rule.get("scope", "leaf")
        self.rule_type = self.rule.get("type")
        self.is_metric = self.rule_type in METRIC_RULES
        self.is_manual = self.rule_type == "manual"


def set_leaves(cs: CriteriaSet) -> tuple[list[Leaf], CriteriaTree]:
    """The set's leaves in document order, and its tree (one query)."""
    criteria = list(cs.criteria.select_related("parent").order_by("order"))
    leaves = [Leaf(c.pk, c.code, c.max_points, c.rule) for c in criteria if c.rule is not None]
    return leaves, scoring_tree(criteria)


@dataclass
class Context:
    """What every batch of one recompute shares, read once."""

    cs: CriteriaSet
    leaves: list[Leaf]
    tree: CriteriaTree
    today: object
    now: object
    previous: CriteriaSet | None
    dependents: list[CriteriaSet]


# --- Task counts ---------------------------------------------------------------------------------------

#: A leaf's counts while they are gathered: [on time, late, overdue, pending], in this order.
STATUSES = (TaskStatus.ON_TIME, TaskStatus.LATE, TaskStatus.OVERDUE, TaskStatus.PENDING)
_STATUS_KEYS = tuple(status.value for status in STATUSES)
NO_COUNTS = (0, 0, 0, 0)


def _count_fields(today) -> dict:
    conditions = status_conditions(today)
    return {status.value: Count("state", filter=conditions[status]) for status in STATUSES}


def _new_counts() -> list[int]:
    return [0, 0, 0, 0]


def _add(into: list[int], counts: Sequence[int]) -> None:
    into[0] += counts[0]
    into[1] += counts[1]
    into[2] += counts[2]
    into[3] += counts[3]


def _count_rows(cs: CriteriaSet, unit_ids: list[int], today) -> list[tuple]:
    """(unit id, criterion code, assigned by another unit, *counts in `STATUSES` order) of the units' linked
    tasks: one aggregate query for the whole batch."""
    higher = Case(
        When(plan__owner_unit_id=F("assignee_unit_id"), then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )
    query = (
        scored_tasks(criteria_set=cs, unit_ids=unit_ids)
        .annotate(by_higher=higher)
        .values("assignee_unit_id", "criterion_code", "by_higher")
        .annotate(**_count_fields(today))
        .order_by()
        .values_list("assignee_unit_id", "criterion_code", "by_higher", *_STATUS_KEYS)
        .query
    )
    # The rows as the driver gives them: a batch has tens of thousands, and Django's per-value converters
    # (which would only turn integers into integers) cost more than the query.
    with connection.cursor() as cursor:
        cursor.execute(*query.sql_with_params())
        return cursor.fetchall()


def _counts(cs: CriteriaSet, unit_ids: list[int], today, leaves: list[Leaf]):
    """The units' linked-task counts, grouped by unit, criterion code and whether the plan's owner is
    another unit; the `scope: plan` and `scope: assigned_by_higher` counts are sums of those groups. A
    second query reads the metric of the most recently approved linked task per unit and metric leaf."""
    by_leaf: dict[tuple[int, str], list[int]] = defaultdict(_new_counts)
    by_plan: dict[int, list[int]] = defaultdict(_new_counts)
    by_higher: dict[int, list[int]] = defaultdict(_new_counts)
    for unit_id, code, is_higher, *counts in _count_rows(cs, unit_ids, today):
        _add(by_leaf[unit_id, code], counts)
        _add(by_plan[unit_id], counts)
        if is_higher:
            _add(by_higher[unit_id], counts)
    metric_codes = [leaf.code for leaf in leaves if leaf.is_metric]
    metrics: dict[tuple[int, str], Decimal | None] = {}
    if metric_codes:
        approved = scored_tasks(criteria_set=cs, unit_ids=unit_ids, today=None).filter(
            criterion_code__in=metric_codes, state=TaskState.APPROVED
        )
        metrics = latest_metrics(approved)
    return by_leaf, by_plan, by_higher, metrics


# --- One batch -----------------------------------------------------------------------------------------


@dataclass
class BatchInputs:
    """What one batch's recompute reads, in bulk, keyed by unit (and leaf code or criterion id)."""

    by_leaf: dict[tuple[int, str], list[int]]
    by_plan: dict[int, list[int]]
    by_higher: dict[int, list[int]]
    metrics: dict[tuple[int, str], Decimal | None]
    surveys: dict[tuple[int, int], Decimal]
    appraisals: dict[tuple[int, int], Decimal]
    self_points: dict[tuple[int, int], Decimal]
    adjustments: dict[int, tuple[Decimal, Decimal]]
    previous_totals: dict[int, Decimal]


def _points_by_leaf(model, cs: CriteriaSet, unit_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    """(unit id, criterion id) → points of the batch's survey results or appraisals."""
    return {
        (row["unit_id"], row["criterion_id"]): row["points"]
        for row in model.objects.filter(criteria_set=cs, unit_id__in=unit_ids).values(
            "unit_id", "criterion_id", "points"
        )
    }


def batch_inputs(ctx: Context, unit_ids: list[int]) -> BatchInputs:
    """A batch's source rows: task counts and metrics, survey and appraised points, the round's self points
    and bonus and penalty, last year's totals (published ones once that set is published)."""
    cs = ctx.cs
    by_leaf, by_plan, by_higher, metrics = _counts(cs, unit_ids, ctx.today, ctx.leaves)
    self_points = {}
    if any(leaf.is_manual for leaf in ctx.leaves):
        self_points = {
            (u, c): p
            for u, c, p in LeafAssessment.objects.filter(
                criteria_set=cs, unit_id__in=unit_ids, self_points__isnull=False
            ).values_list("unit_id", "criterion_id", "self_points")
        }
    adjustments = {}
    if cs.allows_adjustments:
        adjustments = {
            u: (b, p)
            for u, b, p in Adjustment.objects.filter(criteria_set=cs, unit_id__in=unit_ids).values_list(
                "unit_id", "bonus", "penalty"
            )
        }
    prev = previous_totals(ctx.previous, unit_ids) if ctx.previous is not None else {}
    return BatchInputs(
        by_leaf,
        by_plan,
        by_higher,
        metrics,
        surveys=_points_by_leaf(SurveyResult, cs, unit_ids),
        appraisals=_points_by_leaf(Appraisal, cs, unit_ids),
        self_points=self_points,
        adjustments=adjustments,
        previous_totals=prev,
    )
