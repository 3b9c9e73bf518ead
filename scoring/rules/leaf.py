"""One leaf's points and reason, from its rule, its max and its task counts, by rule family: the task rules
(`task_on_time`, `task_ratio_bands`, `deduction`: the counts), the metric rules (`metric_bands`,
`metric_proportional`: the latest approved value), `survey` (the imported points) and `manual` (nothing
until appraised)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from criteria.definitions import METRIC_RULES, TASK_RULES

from .numbers import ZERO, fmt, round_fraction, to_decimal


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
        reason = _("điểm điều tra đã nhập: %(points)s") % {"points": fmt(imported)}
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
    if rule_type in TASK_RULES:
        auto = _task_points(rule_type, rule, max_points, on_time, late, overdue, pending)
        # Projected: every pending task counted as on time (`LeafCounts.projected`).
        projected = _task_points(rule_type, rule, max_points, on_time + pending, late, overdue, 0)
    else:
        # Metric rules read the latest approved value: pending tasks do not change it.
        auto = projected = _metric_points(rule_type, rule, max_points, counts.metric)
    return LeafResult(auto, projected, False, _reason(rule_type, rule, counts) if with_reason else "")


def _task_points(
    rule_type: str,
    rule: Mapping[str, Any],
    max_points: Decimal,
    on_time: int,
    late: int,
    overdue: int,
    pending: int,
) -> Decimal:
    """The task rules' points for n > 0: from how many linked tasks are done on time, late, overdue or
    pending."""
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

    # deduction
    per_item = to_decimal(rule["per_item"])
    return max(max_points - per_item * (late + overdue + pending), ZERO)


def _metric_points(
    rule_type: str, rule: Mapping[str, Any], max_points: Decimal, metric: Decimal | None
) -> Decimal:
    """The metric rules: points from the latest approved value (none approved yet: 0)."""
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
    given = rule.get("bands")
    if not given:
        raise ValueError(f"rule {rule.get('type')} needs bands")
    return [(to_decimal(threshold), to_decimal(points)) for threshold, points in given]


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
            "value": fmt(counts.metric),
            "target": fmt(to_decimal(rule["target"])),
        }
    return _("giá trị số liệu được duyệt: %(value)s") % {"value": fmt(counts.metric)}


def final_points(auto: Decimal, appraised: Decimal | None) -> Decimal:
    """The leaf's final score: the appraised points where an appraiser set them, else the automatic ones."""
    return auto if appraised is None else appraised
