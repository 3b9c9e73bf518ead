"""Scoring rules (domain/criteria-format.md): plain values in, points out.

Pure: no ORM, no clock, no I/O. The service layer gathers each leaf's task counts in bulk, calls
`score_leaf` per leaf, applies appraisals with `final_points`, rolls the tree up with `aggregate` and ranks
peers with `competition_ranks`. The full recompute and the incremental path call the same functions, so
they give the same numbers.

Arithmetic is exact: points are Decimals built from their string form, ratios are compared as fractions
(`threshold <= on_time / n` is checked as `threshold * n <= on_time`, never through a rounded quotient).
Only two results can have infinitely many decimals, and both are rounded once, half up, to
`POINTS_PLACES` (4) decimals: `metric_proportional` points (max x value / target) and the percent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

# The words of a criteria set and one criterion as the tree sees it belong to the criteria app.
from criteria.definitions import METRIC_RULES, PARTS, TASK_RULES, NodeDef

#: Decimal places kept where a division makes them necessary (proportional points, percent).
POINTS_PLACES = 4
ZERO = Decimal(0)


def to_decimal(value: Any) -> Decimal:
    """A Decimal from a Decimal, int, str or float, through its string form (never float arithmetic)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str):
        return Decimal(str(value))
    raise TypeError(f"not a number: {value!r}")


def round_fraction(value: Fraction, places: int = POINTS_PLACES) -> Decimal:
    """`value` as a Decimal rounded half up (away from zero) to `places` decimals, computed exactly."""
    return round_ratio(value.numerator, value.denominator, places)


def round_ratio(numerator: int, denominator: int, places: int = POINTS_PLACES) -> Decimal:
    """numerator / denominator (integers, denominator > 0) as a Decimal rounded half up (away from zero) to
    `places` decimals, computed exactly in integers."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    units, remainder = divmod(abs(numerator) * 10**places, denominator)
    if 2 * remainder >= denominator:
        units += 1
    if numerator < 0:
        units = -units
    return Decimal(units).scaleb(-places)


def _fmt(value: Decimal) -> str:
    """A number as a user reads it: no exponent, no trailing zeros (97.50 -> 97.5, 100 -> 100)."""
    return format(value.normalize(), "f")


# --- One leaf ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafCounts:
    """A unit's linked tasks for one leaf, by state (SPEC §2); cancelled tasks are never counted.

    `metric` is the metric value of the most recently approved linked task, None when none is approved
    (or that task carries no value).
    """

    on_time: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0
    metric: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("on_time", "late", "overdue", "pending"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"LeafCounts.{name} must be a non-negative integer, not {value!r}")
        if self.metric is not None and not isinstance(self.metric, Decimal):
            object.__setattr__(self, "metric", to_decimal(self.metric))
        if self.metric is not None and not self.metric.is_finite():
            raise ValueError("LeafCounts.metric must be a finite number")

    @property
    def n(self) -> int:
        """Number of linked, non-cancelled tasks."""
        return self.on_time + self.late + self.overdue + self.pending

    @property
    def approved(self) -> int:
        return self.on_time + self.late

    def projected(self) -> LeafCounts:
        """The same counts with every pending task counted as on time."""
        return replace(self, on_time=self.on_time + self.pending, pending=0)


@dataclass(frozen=True)
class LeafResult:
    """Points of one leaf for one unit.

    `auto_points` is the automatic score; `projected_points` what it would be if every pending task
    were completed on time; `excluded` drops the leaf and its max from the unit's applicable max
    (`when_no_tasks: exclude`); `reason` says, in the active language, why the points are what they are.
    """

    auto_points: Decimal
    projected_points: Decimal
    excluded: bool
    reason: str


def score_leaf(
    rule: Mapping[str, Any],
    max_points: Decimal,
    counts: LeafCounts,
    *,
    survey_points: Decimal | None = None,
    with_reason: bool = True,
) -> LeafResult:
    """Score one leaf from its rule (as normalised by `criteria.criteria_file`), its max and its task counts.

    `survey_points` is the imported survey result for a `survey` rule (None until imported); other rules
    ignore it. With `with_reason=False` the reason is left empty (the bulk recompute stores points, and the
    reason is worded at read time in the reader's language). Raises ValueError for an unknown rule type or
    a malformed rule.
    """
    # One body for both, so the points can never differ: without words, every message is "".
    words = _ if with_reason else _no_words
    return _score_leaf(rule, max_points, counts, survey_points, words, with_reason=with_reason)


def points_key(
    rule_type: str,
    on_time: int,
    late: int,
    overdue: int,
    pending: int,
    metric: Decimal | None,
    survey_points: Decimal | None,
) -> tuple:
    """The part of a leaf's inputs that its points (auto, projected, excluded) depend on, for one rule.

    Two inputs with equal keys get equal points from `score_leaf` (not equal reasons), so a bulk recompute
    scores each distinct key of a leaf once: a metric rule reads only whether there are tasks and the
    latest approved value, a task rule only the counts, a survey rule only the imported points.
    """
    if rule_type == "survey":
        return (survey_points,)
    if rule_type == "manual":
        return ()
    if on_time + late + overdue + pending == 0:
        return (False,)
    if rule_type in METRIC_RULES:
        return (True, metric)
    return (True, on_time, late, overdue, pending)


def _no_words(_message: str) -> str:
    return ""


def _score_leaf(
    rule: Mapping[str, Any],
    max_points: Decimal,
    counts: LeafCounts,
    survey_points: Decimal | None,
    _,  # gettext, or `_no_words` when no reason is wanted
    *,
    with_reason: bool,
) -> LeafResult:
    max_points = to_decimal(max_points)
    if max_points < 0:
        raise ValueError("max_points must not be negative")
    rule_type = rule.get("type")

    if rule_type == "survey":
        if survey_points is None:
            return LeafResult(ZERO, ZERO, False, _("chưa nhập kết quả điều tra"))
        imported = to_decimal(survey_points)
        points = min(max(imported, ZERO), max_points)
        reason = _("điểm điều tra đã nhập: %(points)s") % {"points": _fmt(imported)}
        return LeafResult(points, points, False, reason)

    if rule_type == "manual":
        return LeafResult(ZERO, ZERO, False, _("chờ thẩm định"))

    if rule_type not in TASK_RULES and rule_type not in METRIC_RULES:
        raise ValueError(f"unknown rule type: {rule_type!r}")

    if counts.n == 0:
        when_no_tasks = rule.get("when_no_tasks", "zero")
        if when_no_tasks == "zero":
            return LeafResult(ZERO, ZERO, False, _("chưa có nhiệm vụ nào gắn với tiêu chí"))
        if when_no_tasks == "full":
            reason = _("không có nhiệm vụ nào gắn với tiêu chí: được điểm tối đa theo quy định")
            return LeafResult(max_points, max_points, False, reason)
        if when_no_tasks == "exclude":
            reason = _("không có nhiệm vụ nào gắn với tiêu chí: không tính vào điểm tối đa")
            return LeafResult(ZERO, ZERO, True, reason)
        raise ValueError(f"unknown when_no_tasks: {when_no_tasks!r}")

    on_time, late, overdue, pending = counts.on_time, counts.late, counts.overdue, counts.pending
    auto = _points(rule_type, rule, max_points, on_time, late, overdue, pending, counts.metric)
    if rule_type in METRIC_RULES:
        projected = auto  # pending tasks do not change the latest approved value
    else:
        # Projected: every pending task counted as on time (`LeafCounts.projected`).
        projected = _points(rule_type, rule, max_points, on_time + pending, late, overdue, 0, counts.metric)
    return LeafResult(auto, projected, False, _reason(rule_type, rule, counts) if with_reason else "")


def _points(
    rule_type: str,
    rule: Mapping[str, Any],
    max_points: Decimal,
    on_time: int,
    late: int,
    overdue: int,
    pending: int,
    metric: Decimal | None,
) -> Decimal:
    """The points of a task or metric rule for n > 0 (the counts as in `LeafCounts`)."""
    n = on_time + late + overdue + pending
    if rule_type == "task_on_time":
        if on_time == n:
            return max_points
        if on_time + late == n:  # all approved, some late
            late_points = rule.get("late_points")
            return max_points / 2 if late_points is None else to_decimal(late_points)
        return ZERO

    if rule_type == "task_ratio_bands":
        count_mode = rule.get("count", "on_time")
        if count_mode == "on_time":
            done = on_time
        elif count_mode == "approved":
            done = on_time + late
        else:
            raise ValueError(f"unknown count: {count_mode!r}")
        # threshold <= done / n, compared exactly in integers as p x n <= done x q for threshold = p / q.
        for threshold, points in _bands(rule):
            p, q = threshold.as_integer_ratio()
            if p * n <= done * q:
                return points
        return ZERO

    if rule_type == "deduction":
        per_item = to_decimal(rule["per_item"])
        return max(max_points - per_item * (late + overdue + pending), ZERO)

    # Metric rules read the latest approved value; pending tasks do not change it.
    if metric is None:
        return ZERO
    if rule_type == "metric_bands":
        for threshold, points in _bands(rule):
            if threshold <= metric:
                return points
        return ZERO
    # metric_proportional: max x min(1, value / target), never below 0.
    target = to_decimal(rule["target"])
    if target <= 0:
        raise ValueError("metric_proportional target must be > 0")
    share = min(max(Fraction(metric) / Fraction(target), Fraction(0)), Fraction(1))
    return round_fraction(Fraction(max_points) * share)


def _bands(rule: Mapping[str, Any]) -> list[tuple[Decimal, Decimal]]:
    bands = rule.get("bands")
    if not bands:
        raise ValueError(f"rule {rule.get('type')} needs bands")
    return [(to_decimal(threshold), to_decimal(points)) for threshold, points in bands]


def _counts_summary(counts: LeafCounts) -> str:
    """E.g. "2/4 nhiệm vụ đúng hạn, 1 trễ hạn, 1 chưa đến hạn": what a user needs to see which tasks cost."""
    parts = [_("%(on_time)s/%(n)s nhiệm vụ đúng hạn") % {"on_time": counts.on_time, "n": counts.n}]
    if counts.late:
        parts.append(_("%(count)s trễ hạn") % {"count": counts.late})
    if counts.overdue:
        parts.append(_("%(count)s quá hạn") % {"count": counts.overdue})
    if counts.pending:
        parts.append(_("%(count)s chưa đến hạn") % {"count": counts.pending})
    return ", ".join(parts)


def _reason(rule_type: str, rule: Mapping[str, Any], counts: LeafCounts) -> str:
    summary = _counts_summary(counts)
    if rule_type in TASK_RULES:
        return summary
    if counts.metric is None:
        return _("chưa có giá trị số liệu được duyệt (%(summary)s)") % {"summary": summary}
    if rule_type == "metric_proportional":
        return _("giá trị số liệu được duyệt: %(value)s / chỉ tiêu %(target)s") % {
            "value": _fmt(counts.metric),
            "target": _fmt(to_decimal(rule["target"])),
        }
    return _("giá trị số liệu được duyệt: %(value)s") % {"value": _fmt(counts.metric)}


def final_points(auto: Decimal, appraised: Decimal | None) -> Decimal:
    """The leaf's final score: the appraised points where an appraiser set them, else the automatic ones."""
    return auto if appraised is None else appraised


# --- The tree ------------------------------------------------------------------------------------------


@dataclass
class Totals:
    """A unit's scores on one criteria set.

    `node_points` and `node_applicable_max` hold every node, leaves included; `evidence_points` and
    `survey_points` are the sums of the top-level nodes of each part; `total` their sum; `applicable_max`
    is 100 less what excluded leaves remove; `percent` = total / applicable_max x 100, rounded half up to
    4 decimals (0 when nothing is applicable).
    """

    node_points: dict[str, Decimal] = field(default_factory=dict)
    node_applicable_max: dict[str, Decimal] = field(default_factory=dict)
    evidence_points: Decimal = ZERO
    survey_points: Decimal = ZERO
    total: Decimal = ZERO
    applicable_max: Decimal = ZERO
    percent: Decimal = ZERO


class CriteriaTree:
    """A criteria set's tree, checked once and laid out for rolling many units' leaf points up.

    Building it raises ValueError on an inconsistent tree (duplicate code, unknown parent, cycle, part not
    evidence or survey on a top-level node). A recompute builds one per set and calls `aggregate` for every
    unit, so the checks and the child lists are not redone per unit.
    """

    def __init__(self, nodes: Iterable[NodeDef]):
        nodes = list(nodes)
        by_code: dict[str, NodeDef] = {}
        for node in nodes:
            if node.code in by_code:
                raise ValueError(f"duplicate criterion code {node.code!r}")
            by_code[node.code] = node
        children: dict[str, list[str]] = {code: [] for code in by_code}
        roots: list[str] = []
        for node in nodes:
            if node.parent_code is None:
                if node.part not in PARTS:
                    raise ValueError(f"criterion {node.code}: part must be one of {PARTS}, not {node.part!r}")
                roots.append(node.code)
            elif node.parent_code not in by_code:
                raise ValueError(f"criterion {node.code}: unknown parent {node.parent_code!r}")
            else:
                children[node.parent_code].append(node.code)
        # Post-order from the roots (children before their parent), iteratively, so a deep tree cannot
        # exhaust the stack. A node not reached lies on a cycle.
        post_order: list[str] = []
        stack: list[tuple[str, bool]] = [(code, False) for code in roots]
        while stack:
            code, expanded = stack.pop()
            if expanded or not children[code]:
                post_order.append(code)
            else:
                stack.append((code, True))
                stack.extend((kid, False) for kid in children[code])
        if len(post_order) != len(by_code):
            raise ValueError("criteria tree has a cycle: some nodes are not reachable from a top-level node")
        #: (code, max, child codes) in post-order; a leaf has no child codes.
        self._steps = tuple(
            (code, to_decimal(by_code[code].max_points), tuple(children[code])) for code in post_order
        )
        self.leaves = frozenset(code for code in by_code if not children[code])
        self._codes = frozenset(by_code)
        self._evidence_roots = tuple(code for code in roots if by_code[code].part == "evidence")
        self._survey_roots = tuple(code for code in roots if by_code[code].part == "survey")
        self._roots = tuple(roots)

    def aggregate(self, leaf_points: Mapping[str, Decimal], excluded: Iterable[str] = ()) -> Totals:
        """Roll one unit's leaf points up the tree (the rules are those of `aggregate` below)."""
        excluded = excluded if isinstance(excluded, set | frozenset) else set(excluded)
        for code in (set(leaf_points) | excluded) - self.leaves:
            if code not in self._codes:
                raise ValueError(f"unknown criterion code {code!r}")
            raise ValueError(f"criterion {code} has children: only leaves take points or exclusion")

        points: dict[str, Decimal] = {}
        applicable: dict[str, Decimal] = {}
        for code, node_max, kids in self._steps:
            if not kids:
                if code in excluded:
                    points[code] = applicable[code] = ZERO
                    continue
                value = leaf_points.get(code, ZERO)
                if type(value) is not Decimal:
                    value = to_decimal(value)
                if not ZERO <= value <= node_max:
                    raise ValueError(f"criterion {code}: points {value} outside 0..{node_max}")
                points[code], applicable[code] = value, node_max
            else:
                points[code] = min(sum([points[kid] for kid in kids], ZERO), node_max)
                applicable[code] = min(sum([applicable[kid] for kid in kids], ZERO), node_max)

        evidence = sum([points[code] for code in self._evidence_roots], ZERO)
        survey = sum([points[code] for code in self._survey_roots], ZERO)
        total = evidence + survey
        applicable_max = sum([applicable[code] for code in self._roots], ZERO)
        if applicable_max > 0:
            # total / applicable_max x 100 from the exact ratios of the two Decimals.
            total_n, total_d = total.as_integer_ratio()
            max_n, max_d = applicable_max.as_integer_ratio()
            percent = round_ratio(total_n * max_d * 100, total_d * max_n)
        else:
            percent = Decimal(0).scaleb(-POINTS_PLACES)
        return Totals(
            node_points=points,
            node_applicable_max=applicable,
            evidence_points=evidence,
            survey_points=survey,
            total=total,
            applicable_max=applicable_max,
            percent=percent,
        )


def aggregate(
    nodes: Iterable[NodeDef],
    leaf_points: Mapping[str, Decimal],
    excluded: Iterable[str] = (),
) -> Totals:
    """Roll a unit's leaf points up the criteria tree.

    - A leaf scores `leaf_points[code]` (0 when absent: not scored yet). An excluded leaf scores 0 and its
      applicable max is 0, whatever `leaf_points` says.
    - A node with children scores the sum of its children's points, capped at its own max; its applicable
      max is min(its max, sum of its children's applicable max). So a parent whose children all are
      excluded drops out entirely, and one whose children offer more than its max still counts its max.
    - The percent is total / applicable_max x 100, computed exactly and rounded once, half up, to 4
      decimals: fine enough that two units which differ at 2 decimals (what users see and what ranks
      compare) never collapse, and exact enough that the incremental and full recomputes agree to the
      digit. It is 0 when the applicable max is 0 (every leaf excluded).

    Raises ValueError on an inconsistent tree (duplicate code, unknown parent, cycle, part not evidence or
    survey on a top-level node), on points for an unknown or non-leaf code, or on leaf points outside
    0..max: such inputs are a bug upstream, never something to repair silently. Scoring many units on one
    set? Build a `CriteriaTree` once and call its `aggregate`.
    """
    return CriteriaTree(nodes).aggregate(leaf_points, excluded)


# --- Ranks ---------------------------------------------------------------------------------------------

_SHOWN = Decimal("0.01")


def competition_ranks(percents: list[Decimal]) -> list[int]:
    """Standard competition ranks ("1, 1, 3") by percent, descending, in the order given.

    Percents are compared as users see them, rounded half up to 2 decimals: two units shown as 87.50 %
    share a rank even if their 4-decimal percents differ.
    """
    shown = [to_decimal(p).quantize(_SHOWN, rounding=ROUND_HALF_UP) for p in percents]
    ordered = sorted(shown, reverse=True)
    first_rank: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_rank.setdefault(value, position)
    return [first_rank[value] for value in shown]
