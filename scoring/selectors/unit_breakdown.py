"""A unit's score breakdown, criterion by criterion (`breakdown`, `breakdowns`): the automatic, self,
appraised and final points, the reason in words, the appraisal note and the tasks behind them, read in bulk
(six queries for any number of units) from the stored score rows. Re-exported by `scoring.selectors`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet, Criterion
from org.models import Unit
from tasks.models import TaskStatus

from ..models import Appraisal, LeafScore, SurveyResult, UnitScore
from ..rules import CriteriaTree, LeafCounts, score_leaf
from . import scored_tasks, scoring_tree

ZERO = Decimal(0)


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
