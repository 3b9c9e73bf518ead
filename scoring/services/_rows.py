"""Turning a batch's inputs into score rows, in memory: each leaf through the pure rules (`scoring.rules`,
memoised by distinct input), appraisals applied, the tree rolled up. No queries here; the rows are tuples
in the column order of `_upsert`, which writes them."""

from __future__ import annotations

from ..rules import (
    ZERO,
    LeafCounts,
    LeafResult,
    adjusted,
    class_for,
    final_points,
    own_points,
    points_key,
    score_leaf,
)
from ._inputs import NO_COUNTS, BatchInputs, Context, Leaf
from ._upsert import UNIT_COLUMNS


class ScoreMemo:
    """Leaf results by distinct input, kept by the process across recomputes: a worker takes chunk after
    chunk of the same set, and the rules are pure, so an input scored once never needs scoring again. The
    key holds everything the rule reads (the rule itself, the max, and `points_key` of the counts), so an
    edited rule or max simply misses. Bounded: when full, it starts afresh (a set has some 20,000 distinct
    inputs at national scale)."""

    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self.results: dict[tuple, LeafResult] = {}

    def score(self, leaf: Leaf, on_time: int, late: int, overdue: int, pending: int, metric, survey):
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


_score_memo = ScoreMemo()


def score_memo_clear() -> None:
    """Forget the memoised leaf results of this process (a benchmark's cold run starts from nothing)."""
    _score_memo.results = {}


def _unit_leaves(
    ctx: Context, inputs: BatchInputs, unit_id: int, leaf_rows: list[tuple]
) -> tuple[dict, dict, set]:
    """Score every leaf of one unit, appending its leaf rows (in `LEAF_COLUMNS` order) to `leaf_rows`.
    Returns the final and the projected points by leaf code, and the codes of the excluded leaves."""
    points, projected, excluded = {}, {}, set()
    score = _score_memo.score
    by_leaf, metrics, surveys, appraisals = inputs.by_leaf, inputs.metrics, inputs.surveys, inputs.appraisals
    self_points = inputs.self_points
    plan_counts = inputs.by_plan.get(unit_id, NO_COUNTS)
    higher_counts = inputs.by_higher.get(unit_id, NO_COUNTS)
    for leaf in ctx.leaves:
        scope = leaf.scope
        if scope == "plan":
            on_time, late, overdue, pending = plan_counts
        elif scope == "assigned_by_higher":
            on_time, late, overdue, pending = higher_counts
        else:
            on_time, late, overdue, pending = by_leaf.get((unit_id, leaf.code), NO_COUNTS)
        metric = metrics.get((unit_id, leaf.code)) if leaf.is_metric else None
        survey = surveys.get((unit_id, leaf.criterion_id))
        # The rules are pure and their inputs repeat a lot across units: score each distinct one once.
        result = score(leaf, on_time, late, overdue, pending, metric, survey)
        appraised = appraisals.get((unit_id, leaf.criterion_id))
        given = self_points.get((unit_id, leaf.criterion_id)) if leaf.is_manual else None
        if given is not None:
            given = min(given, leaf.max_points)
        own = own_points(result.auto_points, given)
        own_projected = own_points(result.projected_points, given)
        if appraised is None:
            final, final_projected = own, own_projected
            if result.excluded and given is None:
                excluded.add(leaf.code)
        else:
            appraised = min(appraised, leaf.max_points)
            final = final_points(own, appraised)
            final_projected = final_points(own_projected, appraised)
        points[leaf.code] = final
        projected[leaf.code] = final_projected
        # LEAF_COLUMNS: the keys, then LeafScore.SCORE_FIELDS in their order.
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
                given,
                own,
                appraised,
                final,
                result.excluded and appraised is None and given is None,
            )
        )
    return points, projected, excluded


def unit_row(
    ctx: Context, inputs: BatchInputs, unit_id: int, parent_id: int | None, leaf_rows: list[tuple]
) -> tuple:
    """One unit's score row (in `UNIT_COLUMNS` order), its leaf rows appended to `leaf_rows` on the way."""
    points, projected, excluded = _unit_leaves(ctx, inputs, unit_id, leaf_rows)
    bonus, penalty = inputs.adjustments.get(unit_id, (ZERO, ZERO))
    totals = adjusted(ctx.tree.aggregate(points, excluded), bonus, penalty)
    projected_totals = adjusted(ctx.tree.aggregate(projected, excluded), bonus, penalty)
    prev = inputs.previous_totals.get(unit_id)
    row = {
        "unit_id": unit_id,
        "parent_unit_id": parent_id,
        "evidence_points": totals.evidence_points,
        "survey_points": totals.survey_points,
        "bonus": bonus,
        "penalty": penalty,
        "class_label": class_for(ctx.cs.classes, totals.percent),
        "total": totals.total,
        "applicable_max": totals.applicable_max,
        "percent": totals.percent,
        "projected_total": projected_totals.total,
        "projected_percent": projected_totals.percent,
        "delta": None if prev is None else totals.total - prev,
        "computed_at": ctx.now,
    }
    return tuple(row[name] for name in UNIT_COLUMNS)
