"""Recomputing scores: the batch recompute, its inputs and the incremental, full and nightly paths.

Scores are derived rows. `scores_recompute` rebuilds them from the source rows (tasks, survey results,
appraisals) for a batch of units with a handful of aggregate queries, calls the pure rules
(`scoring.rules`) and upserts the results; it is idempotent, so the incremental path (a Celery job per
changed unit), the full recompute command and the nightly reconciliation all give the same numbers.

`BATCH` and `_recompute_batch` are read at call time: the fault tests' worker (tests/faults/worker_app.py)
sets and wraps them on this module.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, F, Value, When
from django.utils import timezone

from criteria.models import CriteriaSet
from org.models import Unit
from tasks.models import TaskState, TaskStatus, status_conditions

from .. import jobs
from ..models import Appraisal, LeafScore, SurveyResult, UnitScore
from ..rules import METRIC_RULES, CriteriaTree, LeafCounts, LeafResult, final_points, points_key, score_leaf
from ..selectors import previous_set, scored_tasks, scoring_tree
from ._upsert import UNIT_COLUMNS, scores_upsert
from .ranking import ranks_recompute

#: The name the reconciliation always logged under (before the services became a package).
log = logging.getLogger("scoring.services")
BATCH = 500
#: What the reconciliation compares and reports: a unit's published scores.
SNAPSHOT_FIELDS = UnitScore.SCORE_FIELDS
_TOTAL = UNIT_COLUMNS.index("total")


# --- Queueing ----------------------------------------------------------------------------------------------


def scores_request(*, criteria_set_id: int, unit_ids: Iterable[int]) -> None:
    """Queue a recompute of these units after commit (done by a worker within seconds). The write that
    asked for it is committed whatever happens: should the broker be down, the failure is logged (not
    raised into the user's request) and the nightly reconciliation brings the scores up to date."""
    ids = sorted(set(unit_ids))
    if ids:
        transaction.on_commit(lambda: jobs.recompute_units(criteria_set_id, ids), robust=True)


@dataclass
class _Leaf:
    criterion_id: int
    code: str
    max_points: Decimal
    rule: dict

    def __post_init__(self) -> None:
        #: What the points depend on besides the counts (`_ScoreMemo`): the rule as stored, and the max.
        self.fingerprint = (json.dumps(self.rule, sort_keys=True), str(self.max_points))
        self.scope = self.rule.get("scope", "leaf")
        self.rule_type = self.rule.get("type")
        self.is_metric = self.rule_type in METRIC_RULES


def _leaves(cs: CriteriaSet) -> tuple[list[_Leaf], CriteriaTree]:
    criteria = list(cs.criteria.select_related("parent").order_by("order"))
    leaves = [_Leaf(c.pk, c.code, c.max_points, c.rule) for c in criteria if c.rule is not None]
    return leaves, scoring_tree(criteria)


_STATUSES = (TaskStatus.ON_TIME, TaskStatus.LATE, TaskStatus.OVERDUE, TaskStatus.PENDING)


def _count_fields(today) -> dict:
    conditions = status_conditions(today)
    return {status.value: Count("state", filter=conditions[status]) for status in _STATUSES}


_STATUS_KEYS = tuple(status.value for status in _STATUSES)
#: A leaf's counts while they are gathered: [on time, late, overdue, pending], the order of `_STATUSES`.
_NO_COUNTS = (0, 0, 0, 0)


def _new_counts() -> list[int]:
    return [0, 0, 0, 0]


def _add(into: list[int], counts: Sequence[int]) -> None:
    into[0] += counts[0]
    into[1] += counts[1]
    into[2] += counts[2]
    into[3] += counts[3]


def _counts(cs: CriteriaSet, unit_ids: list[int], today, leaves: list[_Leaf]):
    """The units' linked-task counts with one aggregate query for the whole batch, grouped by unit,
    criterion code and whether the plan's owner is another unit; the `scope: plan` and
    `scope: assigned_by_higher` counts are sums of those groups. A second query reads the metric of the
    most recently approved linked task per unit and metric leaf."""
    higher = Case(
        When(plan__owner_unit_id=F("assignee_unit_id"), then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )
    by_leaf: dict[tuple[int, str], list[int]] = defaultdict(_new_counts)
    by_plan: dict[int, list[int]] = defaultdict(_new_counts)
    by_higher: dict[int, list[int]] = defaultdict(_new_counts)
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
        rows = cursor.fetchall()
    for unit_id, code, is_higher, *counts in rows:
        _add(by_leaf[unit_id, code], counts)
        _add(by_plan[unit_id], counts)
        if is_higher:
            _add(by_higher[unit_id], counts)
    metric_codes = [leaf.code for leaf in leaves if leaf.rule.get("type") in METRIC_RULES]
    metrics: dict[tuple[int, str], Decimal | None] = {}
    if metric_codes:
        approved = scored_tasks(criteria_set=cs, unit_ids=unit_ids, today=None).filter(
            criterion_code__in=metric_codes, state=TaskState.APPROVED
        )
        if connection.vendor == "postgresql":
            # One row per unit and leaf, the most recently approved (the exact reverse of the order below).
            approved = approved.order_by(
                "assignee_unit_id", "criterion_code", "-approved_at", "-id"
            ).distinct("assignee_unit_id", "criterion_code")
        else:
            approved = approved.order_by("approved_at", "id")
        for unit_id, code, value in approved.values_list(
            "assignee_unit_id", "criterion_code", "metric_value"
        ):
            metrics[(unit_id, code)] = value  # the last one wins: the most recently approved
    return by_leaf, by_plan, by_higher, metrics


def _dependent_sets(cs: CriteriaSet) -> list[CriteriaSet]:
    """The sets whose delta reads `cs`'s totals: next year's sets of the same unit kind, when `cs` is the
    set `previous_set` picks for them (the latest imported of its year)."""
    latest = previous_set(unit_kind=cs.unit_kind, year=cs.year + 1)
    if latest is None or latest.pk != cs.pk:
        return []
    return list(CriteriaSet.objects.filter(unit_kind=cs.unit_kind, year=cs.year + 1))


@dataclass
class _Context:
    """What every batch of one recompute shares, read once."""

    cs: CriteriaSet
    leaves: list[_Leaf]
    tree: CriteriaTree
    today: object
    now: object
    previous: CriteriaSet | None
    dependents: list[CriteriaSet]


class _ScoreMemo:
    """Leaf results by distinct input, kept by the process across recomputes: a worker takes chunk after
    chunk of the same set, and the rules are pure, so an input scored once never needs scoring again. The
    key holds everything the rule reads (the rule itself, the max, and `points_key` of the counts), so an
    edited rule or max simply misses. Bounded: when full, it starts afresh (a set has some 20,000 distinct
    inputs at national scale)."""

    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self.results: dict[tuple, LeafResult] = {}

    def score(self, leaf: _Leaf, on_time: int, late: int, overdue: int, pending: int, metric, survey):
        key = (leaf.fingerprint, *points_key(leaf.rule_type, on_time, late, overdue, pending, metric, survey))
        result = self.results.get(key)
        if result is None:
            if len(self.results) >= self.limit:
                self.results = {}
            counts = LeafCounts(on_time, late, overdue, pending, metric)
            result = self.results[key] = score_leaf(
                leaf.rule, leaf.max_points, counts, survey_points=survey, with_reason=False
            )
        return result


_score_memo = _ScoreMemo()


def score_memo_clear() -> None:
    """Forget the memoised leaf results of this process (a benchmark's cold run starts from nothing)."""
    _score_memo.results = {}


@dataclass
class _BatchInputs:
    """What one batch's recompute reads, in bulk, keyed by unit (and leaf code or criterion id)."""

    by_leaf: dict[tuple[int, str], list[int]]
    by_plan: dict[int, list[int]]
    by_higher: dict[int, list[int]]
    metrics: dict[tuple[int, str], Decimal | None]
    surveys: dict[tuple[int, int], Decimal]
    appraisals: dict[tuple[int, int], Decimal]
    previous_totals: dict[int, Decimal]


def _units_lock(cs: CriteriaSet, unit_ids: list[int]) -> list[tuple[int, int | None]]:
    """(unit id, parent id) of the batch's units scored on `cs`, locked in id order.

    Serialises recomputes of the same unit: a job that read older task rows can then never overwrite the
    result of one that read newer rows. FOR NO KEY UPDATE does not block inserts that reference the units."""
    return list(
        Unit.objects.filter(pk__in=unit_ids, kind=cs.unit_kind)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "parent_id")
    )


def _batch_inputs(ctx: _Context, unit_ids: list[int]) -> _BatchInputs:
    """A batch's source rows: task counts and metrics, survey and appraised points, last year's totals."""
    cs = ctx.cs
    by_leaf, by_plan, by_higher, metrics = _counts(cs, unit_ids, ctx.today, ctx.leaves)
    surveys = {
        (s["unit_id"], s["criterion_id"]): s["points"]
        for s in SurveyResult.objects.filter(criteria_set=cs, unit_id__in=unit_ids).values(
            "unit_id", "criterion_id", "points"
        )
    }
    appraisals = {
        (a["unit_id"], a["criterion_id"]): a["points"]
        for a in Appraisal.objects.filter(criteria_set=cs, unit_id__in=unit_ids).values(
            "unit_id", "criterion_id", "points"
        )
    }
    previous_totals = {}
    if ctx.previous is not None:
        previous_totals = dict(
            UnitScore.objects.filter(criteria_set=ctx.previous, unit_id__in=unit_ids).values_list(
                "unit_id", "total"
            )
        )
    return _BatchInputs(by_leaf, by_plan, by_higher, metrics, surveys, appraisals, previous_totals)


def _unit_leaves(
    ctx: _Context, inputs: _BatchInputs, unit_id: int, leaf_rows: list[tuple]
) -> tuple[dict, dict, set]:
    """Score every leaf of one unit, appending its leaf rows (in `LEAF_COLUMNS` order) to `leaf_rows`.
    Returns the final and the projected points by leaf code, and the codes of the excluded leaves."""
    points, projected, excluded = {}, {}, set()
    score = _score_memo.score
    by_leaf, metrics, surveys, appraisals = inputs.by_leaf, inputs.metrics, inputs.surveys, inputs.appraisals
    plan_counts = inputs.by_plan.get(unit_id, _NO_COUNTS)
    higher_counts = inputs.by_higher.get(unit_id, _NO_COUNTS)
    for leaf in ctx.leaves:
        scope = leaf.scope
        if scope == "plan":
            on_time, late, overdue, pending = plan_counts
        elif scope == "assigned_by_higher":
            on_time, late, overdue, pending = higher_counts
        else:
            on_time, late, overdue, pending = by_leaf.get((unit_id, leaf.code), _NO_COUNTS)
        metric = metrics.get((unit_id, leaf.code)) if leaf.is_metric else None
        survey = surveys.get((unit_id, leaf.criterion_id))
        # The rules are pure and their inputs repeat a lot across units: score each distinct one once.
        result = score(leaf, on_time, late, overdue, pending, metric, survey)
        appraised = appraisals.get((unit_id, leaf.criterion_id))
        if appraised is None:
            final, final_projected = result.auto_points, result.projected_points
            if result.excluded:
                excluded.add(leaf.code)
        else:
            appraised = min(appraised, leaf.max_points)
            final = final_points(result.auto_points, appraised)
            final_projected = final_points(result.projected_points, appraised)
        points[leaf.code] = final
        projected[leaf.code] = final_projected
        leaf_rows.append(
            (
                leaf.criterion_id,
                unit_id,
                on_time,
                late,
                overdue,
                pending,
                metric,
                result.auto_points,
                result.projected_points,
                appraised,
                final,
                result.excluded and appraised is None,
            )
        )
    return points, projected, excluded


def _unit_row(
    ctx: _Context, inputs: _BatchInputs, unit_id: int, parent_id: int | None, leaf_rows: list[tuple]
) -> tuple:
    """One unit's score row (in `UNIT_COLUMNS` order), its leaf rows appended to `leaf_rows` on the way."""
    points, projected, excluded = _unit_leaves(ctx, inputs, unit_id, leaf_rows)
    totals = ctx.tree.aggregate(points, excluded)
    projected_totals = ctx.tree.aggregate(projected, excluded)
    prev = inputs.previous_totals.get(unit_id)
    row = {
        "unit_id": unit_id,
        "parent_unit_id": parent_id,
        "evidence_points": totals.evidence_points,
        "survey_points": totals.survey_points,
        "total": totals.total,
        "applicable_max": totals.applicable_max,
        "percent": totals.percent,
        "projected_total": projected_totals.total,
        "projected_percent": projected_totals.percent,
        "delta": None if prev is None else totals.total - prev,
        "computed_at": ctx.now,
    }
    return tuple(row[name] for name in UNIT_COLUMNS)


@transaction.atomic
def _recompute_batch(ctx: _Context, unit_ids: list[int]) -> tuple[set, int]:
    """Recompute and upsert the scores of one batch of units. Returns the parent ids whose peer groups
    need re-ranking (the current ones and those the units had when last scored) and how many units of the
    batch are scored on the set."""
    cs = ctx.cs
    units = _units_lock(cs, unit_ids)
    unit_ids = [u for u, _p in units]
    parents = {p for _u, p in units}
    if not unit_ids:
        return parents, 0
    parents |= set(
        UnitScore.objects.filter(criteria_set=cs, unit_id__in=unit_ids).values_list(
            "parent_unit_id", flat=True
        )
    )
    inputs = _batch_inputs(ctx, unit_ids)
    leaf_rows: list[tuple] = []
    unit_rows = [_unit_row(ctx, inputs, unit_id, parent_id, leaf_rows) for unit_id, parent_id in units]
    scores_upsert(criteria_set=cs, leaf_rows=leaf_rows, unit_rows=unit_rows)
    totals_now = {row[0]: row[_TOTAL] for row in unit_rows}
    for dependent in ctx.dependents:
        _deltas_write(dependent, totals_now)
    return parents, len(units)


def _deltas_write(cs: CriteriaSet, previous_totals: dict[int, Decimal | None]) -> int:
    """Set the delta of these units' scores on `cs` from their previous-year totals (None: no score)."""
    changed = []
    for pk, unit_id, total, delta in UnitScore.objects.filter(
        criteria_set=cs, unit_id__in=list(previous_totals)
    ).values_list("pk", "unit_id", "total", "delta"):
        prev = previous_totals[unit_id]
        new = None if prev is None else total - prev
        if new != delta:
            changed.append(UnitScore(pk=pk, delta=new))
    UnitScore.objects.bulk_update(changed, ["delta"], batch_size=2000)
    return len(changed)


def scored_units(cs: CriteriaSet):
    """The units scored on a criteria set: every unit of the set's kind."""
    return Unit.objects.filter(kind=cs.unit_kind)


def _drop_unscored(cs: CriteriaSet, unit_ids: set[int] | None, dependents: list[CriteriaSet]) -> set:
    """Delete the score rows of units no longer scored on `cs` (their kind changed): among `unit_ids`, or
    all of them when None. Returns the parent ids of the peer groups they leave."""
    qs = UnitScore.objects.filter(criteria_set=cs).exclude(unit__kind=cs.unit_kind)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    gone = list(qs.values_list("unit_id", "parent_unit_id"))
    if not gone:
        return set()
    ids = [u for u, _p in gone]
    with transaction.atomic():
        LeafScore.objects.filter(criteria_set=cs, unit_id__in=ids).delete()
        UnitScore.objects.filter(criteria_set=cs, unit_id__in=ids).delete()
        for dependent in dependents:
            _deltas_write(dependent, dict.fromkeys(ids))
    return {p for _u, p in gone}


def scores_recompute(
    *,
    criteria_set: CriteriaSet,
    unit_ids: Iterable[int] | None = None,
    now=None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Recompute the scores of the given units (all scored units when None) from the source rows, re-rank
    their peer groups and refresh the deltas of next year's sets that compare with them. Idempotent: any
    number of runs, in any order, leave the same rows. Returns the number of units recomputed;
    `progress(n)` is called after each batch of n units.

    Queries: a fixed handful per run plus about ten per batch of `BATCH` units, however many tasks."""
    now = now or timezone.now()
    leaves, tree = _leaves(criteria_set)
    ctx = _Context(
        cs=criteria_set,
        leaves=leaves,
        tree=tree,
        today=timezone.localdate(now),
        now=now,
        previous=previous_set(unit_kind=criteria_set.unit_kind, year=criteria_set.year),
        dependents=_dependent_sets(criteria_set),
    )
    if unit_ids is None:
        requested = None
        units = list(scored_units(criteria_set).order_by("pk").values_list("pk", flat=True))
    else:
        requested = set(unit_ids)
        units = sorted(requested)
    parents = _drop_unscored(criteria_set, requested, ctx.dependents)
    done = 0
    for start in range(0, len(units), BATCH):
        batch = units[start : start + BATCH]
        batch_parents, scored = _recompute_batch(ctx, batch)
        parents |= batch_parents
        done += scored
        if progress:
            progress(len(batch))
    ranks_recompute(criteria_set=criteria_set, parent_ids=parents, all_groups=unit_ids is None)
    return done


def scores_recompute_chunks(*, criteria_set: CriteriaSet, size: int | None = None) -> list[list[int]]:
    """Prepare a full recompute done in parallel: drop the scores of units no longer scored on the set
    (re-ranking the groups they leave) and cut the scored units into chunks of about `size` units along
    peer groups (same parent). A chunk holds whole peer groups, so `scores_recompute(unit_ids=chunk)` ranks
    them completely by itself, and two chunks never wait on each other's row locks. `size` defaults to
    settings.SCORING_PARALLEL_UNITS: a set of at most that many units makes one chunk."""
    size = size or settings.SCORING_PARALLEL_UNITS
    dependents = _dependent_sets(criteria_set)
    left = _drop_unscored(criteria_set, None, dependents)
    if left:
        ranks_recompute(criteria_set=criteria_set, parent_ids=left)
    groups: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in scored_units(criteria_set).order_by("parent_id", "pk").values_list("pk", "parent_id"):
        groups[parent].append(pk)
    chunks: list[list[int]] = []
    current: list[int] = []
    for parent in sorted(groups, key=lambda p: (p is None, p or 0)):
        if current and len(current) + len(groups[parent]) > size:
            chunks.append(current)
            current = []
        current.extend(groups[parent])
    if current:
        chunks.append(current)
    return chunks


def score_snapshot(criteria_set: CriteriaSet) -> dict:
    """What a unit's published scores are now, to compare before and after a reconciliation."""
    return {
        row[0]: row[1:]
        for row in UnitScore.objects.filter(criteria_set=criteria_set).values_list(
            "unit_id", *SNAPSHOT_FIELDS
        )
    }


def scores_reconcile(*, criteria_set: CriteriaSet, now=None) -> list[int]:
    """The nightly safety net: recompute everything and report the units whose scores had to change (a
    day passing turns pending tasks overdue, and calendar edits move effective due dates, so some change
    is expected; each one is logged with what changed)."""
    before = score_snapshot(criteria_set)
    scores_recompute(criteria_set=criteria_set, now=now)
    after = score_snapshot(criteria_set)
    changed = sorted(u for u in set(after) | set(before) if before.get(u) != after.get(u))
    if changed:
        details = []
        for unit_id in changed[:50]:
            old, new = before.get(unit_id), after.get(unit_id)
            diff = {
                name: (None if old is None else old[i], None if new is None else new[i])
                for i, name in enumerate(SNAPSHOT_FIELDS)
                if (old is None or new is None or old[i] != new[i])
            }
            details.append(f"unit {unit_id}: {diff}")
        log.warning(
            "reconcile %s: %d unit(s) changed:\n%s", criteria_set.code, len(changed), "\n".join(details)
        )
    return changed
