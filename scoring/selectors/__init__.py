"""Reads for scoring: ranking tables and score breakdowns, and who may see them (the sets and their trees
are read through `criteria.selectors`).

SPEC §1: criteria sets and ranking tables are visible to every signed-in user; a unit's breakdown only to
users holding a membership (any role) in that unit or one of its ancestors, and to superusers.

The round's reads (its progress, a unit's score sheet, the published versions) are `selectors.round`,
re-exported here.

Every read here takes a constant number of queries, whatever the number of units, criteria or tasks: the
web pages, the API and the XLSX export all build on these functions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet, Criterion
from org.models import Unit
from tasks.models import Task, TaskState, TaskStatus

from ..models import Appraisal, LeafScore, PublishedResult, PublishedScore, SurveyResult, UnitScore
from ..rules import CriteriaTree, LeafCounts, NodeDef, score_leaf

ZERO = Decimal(0)
#: Tasks that count nowhere (SPEC §2), in the scores as on the dashboard: drafts are not yet assigned to the
#: unit, cancelled ones never count.
UNCOUNTED_STATES = (TaskState.DRAFT, TaskState.CANCELLED)


# --- Shared by the recompute and the reads ---------------------------------------------------------------


def scored_tasks(*, criteria_set: CriteriaSet, unit_ids: Iterable[int], today: dt.date | None = None):
    """The tasks scoring reads for these units: assigned to them, in plans bound to the set, neither draft
    nor cancelled. With `today`, annotated with `status_code` (on_time, late, overdue, pending)."""
    qs = Task.objects.filter(plan__criteria_set=criteria_set, assignee_unit_id__in=list(unit_ids)).exclude(
        state__in=UNCOUNTED_STATES
    )
    return qs.with_status(today) if today is not None else qs


def scored_units(cs: CriteriaSet) -> QuerySet[Unit]:
    """The units scored on a criteria set (SPEC §3): the units of its kind in its owner unit's subtree, or
    every unit of the kind in the country when the set has no owner."""
    qs = Unit.objects.filter(kind=cs.unit_kind)
    if cs.owner_unit_id is not None:
        qs = qs.subtree_of([cs.owner_unit])
    return qs


def is_scored_on(cs: CriteriaSet, unit: Unit) -> bool:
    """Is this unit scored on the set (its kind, below its owner)? No query."""
    if unit.kind != cs.unit_kind:
        return False
    return cs.owner_unit_id is None or cs.owner_unit_id in unit.ancestor_ids()


def previous_set(*, unit_kind: str, year: int, owner_unit_id: int | None = None) -> CriteriaSet | None:
    """The set a delta compares with: the latest imported set of the same unit kind and owner unit (none
    for a nationwide set) for `year - 1`."""
    qs = CriteriaSet.objects.filter(unit_kind=unit_kind, year=year - 1, owner_unit_id=owner_unit_id)
    return qs.order_by("-created_at", "-id").first()


def previous_set_of(cs: CriteriaSet) -> CriteriaSet | None:
    return previous_set(unit_kind=cs.unit_kind, year=cs.year, owner_unit_id=cs.owner_unit_id)


def previous_totals(previous: CriteriaSet, unit_ids: list[int]) -> dict[int, Decimal]:
    """The units' totals on last year's set, as a delta compares with them: its published totals (the latest
    version) once that set is published, else its live totals."""
    published = latest_result(previous)
    if published is not None:
        rows = PublishedScore.objects.filter(result=published, unit_id__in=unit_ids)
    else:
        rows = UnitScore.objects.filter(criteria_set=previous, unit_id__in=unit_ids)
    return dict(rows.values_list("unit_id", "total"))


def latest_result(cs: CriteriaSet) -> PublishedResult | None:
    """The set's latest published version, or None when it was never published (or is being corrected,
    its state back in final appraisal: the last version stays the published one until republished)."""
    return PublishedResult.objects.filter(criteria_set=cs).order_by("-version").first()


# --- Ranking -----------------------------------------------------------------------------------------------


def _by_peer_group(qs, parent_unit: Unit | int | None):
    """Score rows (live or published) with their unit and peer group loaded, grouped by peer group (the
    parent unit's code, top-level units first), each group by rank then unit code; one group only with
    `parent_unit`."""
    qs = qs.select_related("unit", "parent_unit")
    if parent_unit is not None:
        qs = qs.filter(parent_unit_id=getattr(parent_unit, "pk", parent_unit))
    return qs.order_by(
        F("parent_unit__code").asc(nulls_first=True), F("rank").asc(nulls_last=True), "unit__code"
    )


def ranking(*, criteria_set: CriteriaSet, parent_unit: Unit | int | None = None) -> QuerySet[UnitScore]:
    """The ranking table: one UnitScore per unit scored on the set, by peer group (same parent unit) and
    rank (`_by_peer_group`). One query, however many units."""
    return _by_peer_group(UnitScore.objects.filter(criteria_set=criteria_set), parent_unit)


def published_ranking(*, result: PublishedResult, parent_unit: Unit | int | None = None):
    """A published version's ranking table, ordered as `ranking` (PublishedScore rows): one query."""
    return _by_peer_group(PublishedScore.objects.filter(result=result), parent_unit)


#: A published ranking row as the API gives it: (field name, stored column), in the order of
#: `published_ranking_rows`.
PUBLISHED_ROW = (
    ("unit", "unit_id"),
    ("unit_code", "unit_code"),
    ("unit_name", "unit_name"),
    ("parent", "parent_unit_id"),
    *((name, name) for name in PublishedScore.FROZEN_FIELDS[1:-1]),
    ("class", "class_label"),
)
PUBLISHED_ROW_FIELDS = tuple(name for name, _column in PUBLISHED_ROW)


def published_ranking_rows(*, result: PublishedResult, parent_unit: Unit | int | None = None):
    """A published version's rows as plain tuples in `PUBLISHED_ROW_FIELDS` order, with the names as
    published (no join): what the API pages through, by peer group (parent unit id), then rank and unit
    code. One query, however many units."""
    qs = PublishedScore.objects.filter(result=result)
    if parent_unit is not None:
        qs = qs.filter(parent_unit_id=getattr(parent_unit, "pk", parent_unit))
    order = (F("parent_unit_id").asc(nulls_first=True), F("rank").asc(nulls_last=True), "unit_code")
    return qs.order_by(*order).values_list(*(column for _name, column in PUBLISHED_ROW))


def peer_groups(*, criteria_set: CriteriaSet) -> QuerySet[Unit]:
    """The parent units of the set's peer groups (for a filter), by code."""
    return Unit.objects.filter(
        pk__in=UnitScore.objects.filter(criteria_set=criteria_set).values("parent_unit_id")
    ).order_by("code")


# --- Breakdown ---------------------------------------------------------------------------------------------


def units_with_visible_breakdown(user) -> QuerySet[Unit]:
    """The units whose breakdown the user may see (`permissions.can_see_breakdown`): the subtrees of their
    memberships."""
    return Unit.objects.visible_to(user)


@dataclass
class LinkedTask:
    id: int
    title: str
    state: str
    status: str  # on_time, late, overdue, pending
    effective_due_date: dt.date | None
    metric_value: Decimal | None

    @property
    def status_label(self) -> str:
        return str(TaskStatus(self.status).label)


@dataclass
class NodeScore:
    """One criterion of a unit's breakdown. Leaves carry the automatic, appraised and final points, the
    reason in words, the appraisal note and the tasks behind the points; every node carries its max, its
    applicable max (0 when excluded), its final, automatic and projected points."""

    code: str
    title: str
    part: str
    depth: int
    parent_code: str | None
    is_leaf: bool
    max_points: Decimal
    applicable_max: Decimal
    points: Decimal
    auto_points: Decimal
    projected_points: Decimal
    rule_type: str | None = None
    self_points: Decimal | None = None
    own_points: Decimal = ZERO
    appraised_points: Decimal | None = None
    appraisal_note: str = ""
    excluded: bool = False
    auto_excluded: bool = False  # excluded by the rule alone, appraisal aside (for the automatic totals)
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0
    metric: Decimal | None = None
    reason: str = ""
    computed: bool = True
    tasks: list[LinkedTask] = field(default_factory=list)

    @property
    def points_lost(self) -> Decimal:
        """What the node misses of what it could score (0 for an excluded leaf)."""
        return max(self.applicable_max - self.points, ZERO)

    @property
    def points_to_win(self) -> Decimal:
        """What completing every pending task on time would still bring."""
        return max(self.projected_points - self.points, ZERO)


@dataclass
class Breakdown:
    criteria_set: CriteriaSet
    unit: Unit
    score: UnitScore | None  # None until the unit's scores were first computed
    nodes: list[NodeScore]  # every criterion, in document order

    @property
    def leaves(self) -> list[NodeScore]:
        return [n for n in self.nodes if n.is_leaf]

    @property
    def points_lost(self) -> Decimal:
        return ZERO if self.score is None else max(self.score.applicable_max - self.score.total, ZERO)

    @property
    def points_to_win(self) -> Decimal:
        return ZERO if self.score is None else max(self.score.projected_total - self.score.total, ZERO)

    @property
    def losses(self) -> list[NodeScore]:
        """Every leaf below its max, the largest loss first ('points lost')."""
        below = [n for n in self.leaves if n.points_lost > 0]
        return sorted(below, key=lambda n: (-n.points_lost, n.code))


def scoring_tree(criteria: Iterable[Criterion]) -> CriteriaTree:
    """A set's tree as the rules roll it up, checked, from its criteria (read with their parents)."""
    return CriteriaTree(
        NodeDef(c.code, c.max_points, c.part, c.parent.code if c.parent_id else None) for c in criteria
    )


def breakdown(*, criteria_set: CriteriaSet, unit: Unit, today: dt.date | None = None) -> Breakdown:
    """A unit's per-criterion breakdown (six queries). Ask `permissions.can_see_breakdown` first."""
    return breakdowns(criteria_set=criteria_set, units=[unit], today=today)[unit.pk]


@dataclass
class _BreakdownInputs:
    """What the breakdowns of a batch of units read, in bulk: one query each."""

    criteria: list[Criterion]  # in document order, with their parents
    tree: CriteriaTree
    scores: dict[int, UnitScore]  # by unit id
    leaf_scores: dict[tuple[int, int], LeafScore]  # by (unit id, criterion id), as are the next two
    notes: dict[tuple[int, int], str]
    surveys: dict[tuple[int, int], Decimal]
    tasks: dict[int, list[tuple[LinkedTask, str, bool]]]  # by unit id: (task, criterion code, by higher)


def breakdowns(
    *,
    criteria_set: CriteriaSet,
    units: Iterable[Unit],
    today: dt.date | None = None,
    with_tasks: bool = True,
) -> dict[int, Breakdown]:
    """Breakdowns of many units with six queries in all: criteria, unit scores, leaf scores, appraisals,
    survey results and the linked tasks (left out with `with_tasks=False`: the score sheets list no tasks).
    Reasons are worded at read time from the stored counts (through `scoring.rules.score_leaf`), so they
    come in the reader's language; task statuses are as of `today`."""
    units = list(units)
    inputs = _breakdown_inputs(
        criteria_set, [u.pk for u in units], today or timezone.localdate(), with_tasks=with_tasks
    )
    return {unit.pk: _unit_breakdown(criteria_set, unit, inputs) for unit in units}


def _by_unit_and_criterion(model, cs: CriteriaSet, unit_ids: list[int], column: str) -> dict:
    """(unit id, criterion id) → `column` of the units' rows of `model` (appraisals, survey results)."""
    rows = model.objects.filter(criteria_set=cs, unit_id__in=unit_ids)
    return {
        (r.unit_id, r.criterion_id): getattr(r, column) for r in rows.only("unit_id", "criterion_id", column)
    }


def _linked_tasks(cs: CriteriaSet, unit_ids: list[int], today: dt.date) -> dict[int, list]:
    """The units' scored tasks as of `today`, by assignee unit: (task, criterion code, assigned by a unit
    other than the plan's owner), by effective due date."""
    by_unit: dict[int, list[tuple[LinkedTask, str, bool]]] = defaultdict(list)
    rows = (
        scored_tasks(criteria_set=cs, unit_ids=unit_ids, today=today)
        .order_by("effective_due_date", "id")
        .values_list(
            "id",
            "title",
            "state",
            "status_code",
            "effective_due_date",
            "metric_value",
            "criterion_code",
            "assignee_unit_id",
            "plan__owner_unit_id",
        )
    )
    for *task, code, unit_id, owner_id in rows:
        by_unit[unit_id].append((LinkedTask(*task), code, owner_id != unit_id))
    return by_unit


def _breakdown_inputs(cs: CriteriaSet, unit_ids: list[int], today: dt.date, *, with_tasks: bool):
    criteria = list(cs.criteria.select_related("parent").order_by("order", "id"))
    return _BreakdownInputs(
        criteria=criteria,
        tree=scoring_tree(criteria),
        scores={s.unit_id: s for s in UnitScore.objects.filter(criteria_set=cs, unit_id__in=unit_ids)},
        leaf_scores={
            (ls.unit_id, ls.criterion_id): ls
            for ls in LeafScore.objects.filter(criteria_set=cs, unit_id__in=unit_ids)
        },
        notes=_by_unit_and_criterion(Appraisal, cs, unit_ids, "note"),
        surveys=_by_unit_and_criterion(SurveyResult, cs, unit_ids, "points"),
        tasks=_linked_tasks(cs, unit_ids, today) if with_tasks else {},
    )


def _linked(rule: dict, code: str, tasks: list[tuple[LinkedTask, str, bool]]) -> list[LinkedTask]:
    scope = rule.get("scope", "leaf")
    if scope == "plan":
        return [t for t, _c, _h in tasks]
    if scope == "assigned_by_higher":
        return [t for t, _c, higher in tasks if higher]
    return [t for t, c, _h in tasks if c == code]


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _leaf_reason(rule: dict, auto_reason: str, auto: Decimal, appraised: Decimal | None) -> str:
    if appraised is None:
        return auto_reason
    if rule.get("type") == "manual":
        return _("đã thẩm định: %(points)s điểm") % {"points": _fmt(appraised)}
    return _("thẩm định: %(points)s điểm (tự chấm %(auto)s điểm: %(reason)s)") % {
        "points": _fmt(appraised),
        "auto": _fmt(auto),
        "reason": auto_reason,
    }


def _node(c: Criterion, **values) -> NodeScore:
    """A criterion's node: what it is (code, title, part, depth, parent, max), then `values`."""
    return NodeScore(
        code=c.code,
        title=c.title,
        part=c.part,
        depth=c.depth,
        parent_code=c.parent.code if c.parent_id else None,
        max_points=c.max_points,
        **values,
    )


def _leaf_node(c: Criterion, key: tuple[int, int], inputs: _BreakdownInputs, tasks: list) -> NodeScore:
    """A leaf's node from its stored score (with counts and reason), or marked not computed yet."""
    node = _node(
        c,
        is_leaf=True,
        applicable_max=c.max_points,
        points=ZERO,
        auto_points=ZERO,
        projected_points=ZERO,
        rule_type=c.rule.get("type"),
        appraisal_note=inputs.notes.get(key, ""),
        tasks=_linked(c.rule, c.code, tasks),
    )
    ls = inputs.leaf_scores.get(key)
    if ls is None:
        node.computed = False
        node.reason = _("chưa tính điểm")
        return node
    counts = LeafCounts(
        on_time=ls.on_time, late=ls.late, overdue=ls.overdue, pending=ls.pending, metric=ls.metric
    )
    result = score_leaf(c.rule, c.max_points, counts, survey_points=inputs.surveys.get(key))
    node.on_time, node.late = counts.on_time, counts.late
    node.overdue, node.pending, node.metric = counts.overdue, counts.pending, ls.metric
    node.points, node.auto_points = ls.points, ls.auto_points
    node.self_points, node.own_points = ls.self_points, ls.own_points
    node.appraised_points = ls.appraised_points
    node.projected_points = ls.projected_points if ls.appraised_points is None else ls.appraised_points
    node.excluded = ls.excluded
    node.reason = _leaf_reason(c.rule, result.reason, ls.auto_points, ls.appraised_points)
    node.auto_excluded = result.excluded
    return node


def _unit_breakdown(cs: CriteriaSet, unit: Unit, inputs: _BreakdownInputs) -> Breakdown:
    tasks = inputs.tasks.get(unit.pk, [])
    leaves = {
        c.code: _leaf_node(c, (unit.pk, c.pk), inputs, tasks) for c in inputs.criteria if c.rule is not None
    }
    excluded = {code for code, n in leaves.items() if n.excluded}
    excluded_auto = {code for code, n in leaves.items() if n.auto_excluded}
    totals = inputs.tree.aggregate({code: n.points for code, n in leaves.items()}, excluded)
    auto_totals = inputs.tree.aggregate({code: n.auto_points for code, n in leaves.items()}, excluded_auto)
    projected = inputs.tree.aggregate({code: n.projected_points for code, n in leaves.items()}, excluded)
    nodes = []
    for c in inputs.criteria:
        node = leaves.get(c.code) or _node(
            c,
            is_leaf=False,
            applicable_max=ZERO,
            points=totals.node_points[c.code],
            auto_points=auto_totals.node_points[c.code],
            projected_points=projected.node_points[c.code],
        )
        node.applicable_max = totals.node_applicable_max[c.code]
        nodes.append(node)
    return Breakdown(criteria_set=cs, unit=unit, score=inputs.scores.get(unit.pk), nodes=nodes)


def appraisal_history(*, criteria_set, unit, limit: int = 50) -> list:
    """The audit entries of a unit's appraisal and survey points on a set, newest first (the appraisal
    page shows who changed which leaf, from what to what)."""
    from org.models import AuditAction, AuditEntry

    return list(
        AuditEntry.objects.about(criteria_set)
        .filter(unit=unit, action__in=[AuditAction.APPRAISAL_SAVED, AuditAction.SURVEY_IMPORTED])
        .select_related("actor")[:limit]
    )


# The round's reads, under the one `scoring.selectors` name callers use.
from .round import (  # noqa: E402, F401
    ProgressRow,
    Sheet,
    SheetLeaf,
    is_published,
    published_result,
    published_results,
    round_history,
    round_progress,
    round_read,
    round_unit_counts,
    self_assessment_read,
    self_assessment_sheet,
)
