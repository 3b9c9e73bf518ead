"""Writes for scoring: importing criteria sets, survey results and appraisals, and recomputing scores.

Scores are derived rows. `scores_recompute` rebuilds them from the source rows (tasks, survey results,
appraisals) for a batch of units with a handful of aggregate queries, calls the pure rules
(`scoring.rules`) and upserts the results; it is idempotent, so the incremental path (a Celery job per
changed unit), the full recompute command and the nightly reconciliation all give the same numbers.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.models import Unit
from org.spreadsheet import csv_untext
from tasks.files import zip_is_implausible
from tasks.models import TaskState, TaskStatus, status_conditions

from .criteria_file import CriteriaFileError, iter_nodes, parse_criteria_file
from .models import Appraisal, CriteriaSet, Criterion, LeafScore, SurveyResult, UnitScore
from .permissions import can_appraise, can_manage_criteria_set, user_is_appraiser
from .rules import (
    METRIC_RULES,
    CriteriaTree,
    LeafCounts,
    LeafResult,
    competition_ranks,
    final_points,
    points_key,
    score_leaf,
)
from .selectors import previous_set, scored_tasks, scoring_tree

log = logging.getLogger(__name__)
BATCH = 500
#: Points (survey results, appraisals) are stored with 4 decimals; more would be silently rounded.
POINTS_PLACES = 4
#: Why a criteria set may not be imported (the API asks before reading the upload, with the same words).
CRITERIA_SET_DENIED = gettext_lazy(
    "Only a superuser imports a criteria set that has no owner unit (it scores the whole country)."
)


# --- Criteria sets ---------------------------------------------------------------------------------------


@transaction.atomic
def criteria_set_import(*, data: bytes | str, actor=None) -> CriteriaSet:
    """Import a criteria set from its YAML file. A bad file is refused whole (ValidationError naming the
    criterion and the problem); nothing is written. Who may: `permissions.can_manage_criteria_set` (a set
    with no owner unit, as every set is today: superusers only), else PermissionDenied. `actor=None` is the
    system itself (`manage.py import_criteria` run by the operator, the demo loaders), which is trusted.

    Criteria are written one tree level per query; `order` is the position in the document, so ordering
    by it walks the tree depth first, as the file reads. The set's scores are computed after commit."""
    if actor is not None and not can_manage_criteria_set(actor, None):
        raise PermissionDenied(CRITERIA_SET_DENIED)
    try:
        spec = parse_criteria_file(data)
    except CriteriaFileError as exc:
        raise ValidationError({"file": exc.errors}) from exc
    if CriteriaSet.objects.filter(code=spec.code).exists():
        raise ValidationError(
            {"file": [_("A criteria set with code %(code)s already exists.") % {"code": spec.code}]}
        )
    source = bytes(data).decode("utf-8-sig") if not isinstance(data, str) else data
    cs = CriteriaSet.objects.create(
        code=spec.code,
        name=spec.name,
        year=spec.year,
        unit_kind=spec.unit_kind,
        period_start=spec.period_start,
        period_end=spec.period_end,
        source=source,
    )
    levels: dict[int, list[tuple[Criterion, str | None]]] = defaultdict(list)
    for position, (node, parent_code, depth, _sibling) in enumerate(iter_nodes(spec)):
        criterion = Criterion(
            criteria_set=cs,
            code=node.code,
            title=node.title,
            max_points=node.max_points,
            part=node.part,
            rule=node.rule,
            depth=depth,
            order=position,
        )
        levels[depth].append((criterion, parent_code))
    by_code: dict[str, Criterion] = {}
    for depth in sorted(levels):
        rows = []
        for criterion, parent_code in levels[depth]:
            criterion.parent = by_code[parent_code] if parent_code else None
            rows.append(criterion)
        created = Criterion.objects.bulk_create(rows)
        if any(c.pk is None for c in created):  # a backend that cannot return ids from a bulk insert
            created = list(Criterion.objects.filter(criteria_set=cs, depth=depth))
        by_code.update((c.code, c) for c in created)
    transaction.on_commit(lambda: _queue_set_recompute(cs.pk), robust=True)
    return cs


def _queue_set_recompute(criteria_set_id: int) -> None:
    from .tasks import recompute_set

    recompute_set.delay(criteria_set_id)


# --- Survey and appraisal --------------------------------------------------------------------------------


@dataclass
class SurveyImportResult:
    rows: int
    unit_ids: list[int] = field(default_factory=list)


SURVEY_MAX_BYTES = 5 * 1024 * 1024
SURVEY_MAX_ROWS = 50_000
SURVEY_HEADER = ["unit_code", "criterion_code", "points"]
_MAX_INFLATED_BYTES = 100 * 1024 * 1024


def _cell_text(value) -> str:
    """A spreadsheet cell as text. Floats lose their binary noise (0.30000000000000004 → 0.3) but keep
    every digit a person could have typed."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 9))
    return str(value).strip()


def _survey_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """(row number, cells) from a CSV or XLSX file (told apart by content, not name), header included."""
    if len(data) > SURVEY_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 5 MB.")]})
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": [_("The file is neither UTF-8 CSV nor XLSX.")]}) from exc
    if "\x00" in text:
        raise ValidationError({"file": [_("The file is neither UTF-8 CSV nor XLSX.")]})
    first = text.split("\n", 1)[0]
    # Spreadsheets set to Vietnamese write CSV with ";" (the decimal separator is the comma).
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    try:
        for n, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            if n > SURVEY_MAX_ROWS + 1:
                raise ValidationError({"file": [_("More than %(n)d rows.") % {"n": SURVEY_MAX_ROWS}]})
            cells = [c.strip() for c in cells]
            if any(cells):
                rows.append((n, cells))
    except csv.Error as exc:
        raise ValidationError({"file": [_("The CSV file cannot be read: %(e)s") % {"e": exc}]}) from exc
    return rows


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    rows = []
    try:
        if zip_is_implausible(io.BytesIO(data), size=len(data), max_inflated=_MAX_INFLATED_BYTES):
            raise ValidationError({"file": [_("The workbook expands to an implausible size.")]})
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for n, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
                if n > SURVEY_MAX_ROWS + 1:
                    raise ValidationError({"file": [_("More than %(n)d rows.") % {"n": SURVEY_MAX_ROWS}]})
                cells = [_cell_text(v) for v in row[:10]]
                if any(cells):
                    rows.append((n, cells))
        finally:
            wb.close()
    except ValidationError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds on a damaged file
        raise ValidationError({"file": [_("The file is not a readable XLSX workbook.")]}) from exc
    return rows


def _points_value(raw: str) -> Decimal | None:
    """Points as typed: "7.5" or "7,5"; None when not a finite number."""
    if "_" in raw:  # Decimal() reads "1_0" as 10; a person did not mean that
        return None
    try:
        points = Decimal(raw.replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return points if points.is_finite() else None


def _unit_lookup(codes: set[str]) -> Callable[[str], Unit | None]:
    """The unit a survey cell names, in one query. A code as typed wins; else the code without the
    apostrophe that `org.spreadsheet.csv_text` puts before a leading "=", "+", "-" or "@" in the template."""
    units = {u.code: u for u in Unit.objects.filter(code__in=codes | {csv_untext(c) for c in codes})}
    return lambda code: units.get(code) or units.get(csv_untext(code))


def survey_parse(
    *, actor, criteria_set: CriteriaSet, data: bytes, filename: str = ""
) -> list[tuple[Unit, Criterion, Decimal]]:
    """Read and check a survey file (unit_code, criterion_code, points) for `actor`. Every error names its
    row; any error refuses the whole file. A unit code that does not exist and one outside the units the
    actor appraises get the same message, so the import tells nobody which codes exist elsewhere.
    `filename` is only used in messages: the content decides the format."""
    rows = _survey_rows(bytes(data))
    if not rows:
        raise ValidationError({"file": [_("The file is empty.")]})
    header = [c.lower() for c in rows[0][1][:3]]
    if header != SURVEY_HEADER:
        raise ValidationError({"file": [_("The first row must be: unit_code, criterion_code, points.")]})
    body = rows[1:]
    if not body:
        raise ValidationError({"file": [_("The file has no rows under its header.")]})
    unit_for = _unit_lookup({r[0] for _n, r in body if r})
    criteria = {c.code: c for c in criteria_set.criteria.filter(part="survey", rule__type="survey")}
    errors, parsed, seen = [], [], set()
    for n, cells in body:
        unit_code, code, raw = (cells + ["", "", ""])[:3]
        unit = unit_for(unit_code)
        criterion = criteria.get(code) or criteria.get(csv_untext(code))
        if unit is None or not can_appraise(actor, unit):
            unit = None  # unknown and someone else's read the same
            errors.append(
                _("row %(n)d: unit '%(c)s' is not a unit you appraise") % {"n": n, "c": unit_code[:40]}
            )
        elif unit.kind != criteria_set.unit_kind:
            errors.append(_("row %(n)d: unit %(c)s is not scored on this set") % {"n": n, "c": unit_code})
        if criterion is None:
            errors.append(
                _("row %(n)d: '%(c)s' is not a survey criterion of %(s)s")
                % {"n": n, "c": code[:40], "s": criteria_set.code}
            )
        points = _points_value(raw)
        if points is None:
            errors.append(_("row %(n)d: points '%(p)s' is not a number") % {"n": n, "p": raw[:40]})
            continue
        if points.as_tuple().exponent < -POINTS_PLACES:
            errors.append(
                _("row %(n)d: points %(p)s have more than %(k)d decimals")
                % {"n": n, "p": raw[:40], "k": POINTS_PLACES}
            )
        elif criterion is not None and not Decimal(0) <= points <= criterion.max_points:
            errors.append(
                _("row %(n)d: points %(p)s outside 0..%(m)s") % {"n": n, "p": raw, "m": criterion.max_points}
            )
        # By what the cells resolve to: "'-A" and "-A" are one unit, and one upsert cannot write a row twice.
        key = (unit.pk if unit else unit_code, criterion.pk if criterion else code)
        if key in seen:
            errors.append(_("row %(n)d: %(u)s / %(c)s appears twice") % {"n": n, "u": unit_code, "c": code})
        seen.add(key)
        if unit is not None and criterion is not None:
            parsed.append((unit, criterion, points))
    if errors:
        shown = errors[:200]
        if len(errors) > len(shown):
            shown.append(_("… and %(n)d more errors.") % {"n": len(errors) - len(shown)})
        raise ValidationError({"file": shown})
    return parsed


#: The pages and `appraisal_set` ask by this name (and `services.user_is_appraiser`, imported above); the
#: rule itself is `permissions.can_appraise`.
user_can_appraise = can_appraise


@transaction.atomic
def survey_import(
    *, actor, criteria_set: CriteriaSet, data: bytes, filename: str = "", now=None
) -> SurveyImportResult:
    """Import survey results (CSV or XLSX: unit_code, criterion_code, points), replacing earlier results of
    the same unit and criterion. Only appraisers (403); a row naming a unit outside their subtree, like any
    bad row, refuses the whole file (400 naming the rows). The affected units' scores update after commit."""
    now = now or timezone.now()
    if not user_is_appraiser(actor):
        raise PermissionDenied(_("Only appraisers import survey results."))
    parsed = survey_parse(actor=actor, criteria_set=criteria_set, data=data, filename=filename)
    SurveyResult.objects.bulk_create(
        [
            SurveyResult(
                criteria_set=criteria_set, criterion=c, unit=u, points=p, imported_at=now, imported_by=actor
            )
            for u, c, p in parsed
        ],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["criterion", "unit"],
        update_fields=["points", "imported_at", "imported_by"],
    )
    unit_ids = sorted({u.pk for u, _c, _p in parsed})
    scores_request(criteria_set_id=criteria_set.pk, unit_ids=unit_ids)
    return SurveyImportResult(rows=len(parsed), unit_ids=unit_ids)


@transaction.atomic
def appraisal_set(
    *,
    actor,
    criteria_set: CriteriaSet,
    unit: Unit,
    code: str,
    points: Decimal | None,
    note: str = "",
    now=None,
) -> Appraisal | None:
    """Set (or, with points=None, clear) the appraised points of one leaf for one unit, with a note. The
    automatic points stay beside them; the unit's scores update after commit."""
    now = now or timezone.now()
    if not user_can_appraise(actor, unit):
        raise PermissionDenied(_("Only appraisers of this unit's subtree enter appraisals."))
    criterion = criteria_set.criteria.filter(code=code, rule__isnull=False).first()
    if criterion is None:
        raise ValidationError(
            {
                "code": [
                    _("'%(code)s' is not a leaf criterion of %(set)s.")
                    % {"code": code, "set": criteria_set.code}
                ]
            }
        )
    if unit.kind != criteria_set.unit_kind:
        raise ValidationError({"unit": [_("This unit is not scored on this criteria set.")]})
    if points is None:
        Appraisal.objects.filter(criterion=criterion, unit=unit).delete()
        appraisal = None
    else:
        points = Decimal(points)
        if not points.is_finite() or not Decimal(0) <= points <= criterion.max_points:
            raise ValidationError(
                {"points": [_("Points must be between 0 and %(max)s.") % {"max": criterion.max_points}]}
            )
        if points.as_tuple().exponent < -POINTS_PLACES:
            raise ValidationError(
                {"points": [_("Points have at most %(k)d decimals.") % {"k": POINTS_PLACES}]}
            )
        appraisal, _created = Appraisal.objects.update_or_create(
            criterion=criterion,
            unit=unit,
            defaults={
                "criteria_set": criteria_set,
                "points": points,
                "note": (note or "").strip(),
                "appraiser": actor,
                "updated_at": now,
            },
        )
    scores_request(criteria_set_id=criteria_set.pk, unit_ids=[unit.pk])
    return appraisal


# --- Recompute ---------------------------------------------------------------------------------------------


def scores_request(*, criteria_set_id: int, unit_ids: Iterable[int]) -> None:
    """Queue a recompute of these units after commit (done by a worker within seconds). The write that
    asked for it is committed whatever happens: should the broker be down, the failure is logged (not
    raised into the user's request) and the nightly reconciliation brings the scores up to date."""
    from .tasks import recompute_units

    ids = sorted(set(unit_ids))
    if ids:
        transaction.on_commit(lambda: recompute_units.delay(criteria_set_id, ids), robust=True)


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


@transaction.atomic
def _recompute_batch(ctx: _Context, unit_ids: list[int]) -> tuple[set, int]:
    """Recompute and upsert the scores of one batch of units. Returns the parent ids whose peer groups
    need re-ranking (the current ones and those the units had when last scored) and how many units of the
    batch are scored on the set."""
    cs = ctx.cs
    # Serialise recomputes of the same unit (row locks on the units, in id order): a job that read older
    # task rows can then never overwrite the result of one that read newer rows. FOR NO KEY UPDATE does not
    # block inserts that reference the units.
    units = list(
        Unit.objects.filter(pk__in=unit_ids, kind=cs.unit_kind)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "parent_id")
    )
    unit_ids = [u for u, _p in units]
    parents = {p for _u, p in units}
    if not unit_ids:
        return parents, 0
    parents |= set(
        UnitScore.objects.filter(criteria_set=cs, unit_id__in=unit_ids).values_list(
            "parent_unit_id", flat=True
        )
    )
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
    leaf_rows, unit_rows = [], []
    score = _score_memo.score
    for unit_id, parent_id in units:
        points, projected, excluded = {}, {}, set()
        plan_counts = by_plan.get(unit_id, _NO_COUNTS)
        higher_counts = by_higher.get(unit_id, _NO_COUNTS)
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
        totals = ctx.tree.aggregate(points, excluded)
        projected_totals = ctx.tree.aggregate(projected, excluded)
        prev = previous_totals.get(unit_id)
        unit_rows.append(
            (
                unit_id,
                parent_id,
                totals.evidence_points,
                totals.survey_points,
                totals.total,
                totals.applicable_max,
                totals.percent,
                projected_totals.total,
                projected_totals.percent,
                None if prev is None else totals.total - prev,
                ctx.now,
            )
        )
    if connection.vendor == "postgresql":
        _upsert_postgresql(cs, leaf_rows, unit_rows)
    else:
        _upsert_orm(cs, leaf_rows, unit_rows)
    totals_now = {row[0]: row[4] for row in unit_rows}
    for dependent in ctx.dependents:
        _deltas_write(dependent, totals_now)
    return parents, len(units)


LEAF_COLUMNS = (
    "criterion_id",
    "unit_id",
    "on_time",
    "late",
    "overdue",
    "pending",
    "metric",
    "auto_points",
    "projected_points",
    "appraised_points",
    "points",
    "excluded",
)
UNIT_COLUMNS = (
    "unit_id",
    "parent_unit_id",
    "evidence_points",
    "survey_points",
    "total",
    "applicable_max",
    "percent",
    "projected_total",
    "projected_percent",
    "delta",
    "computed_at",
)
_LEAF_TYPES = ("bigint", "bigint", "int", "int", "int", "int") + ("numeric",) * 5 + ("boolean",)
_UNIT_TYPES = ("bigint", "bigint") + ("numeric",) * 8 + ("timestamptz",)


def _upsert_orm(cs: CriteriaSet, leaf_rows: list[tuple], unit_rows: list[tuple]) -> None:
    """Write a batch's score rows with the ORM (any database)."""
    LeafScore.objects.bulk_create(
        [LeafScore(criteria_set=cs, **dict(zip(LEAF_COLUMNS, row, strict=True))) for row in leaf_rows],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["criterion", "unit"],
        update_fields=[c for c in LEAF_COLUMNS[2:]],
    )
    UnitScore.objects.bulk_create(
        [UnitScore(criteria_set=cs, **dict(zip(UNIT_COLUMNS, row, strict=True))) for row in unit_rows],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["criteria_set", "unit"],
        update_fields=[c.removesuffix("_id") if c == "parent_unit_id" else c for c in UNIT_COLUMNS[1:]],
    )


def _upsert_sql(
    table: str, columns: tuple, types: tuple, conflict: tuple, compare: tuple, always: tuple
) -> str:
    """INSERT … SELECT FROM unnest(one array per column) ON CONFLICT DO UPDATE, touching only rows whose
    values changed (`compare`); `always` columns are set whenever a row is touched. Parameters: the set id,
    one array per column, then (without `always`) the batch's unit ids and the set id again.

    Without `always` columns, rows equal to the stored ones are left out before the insert: they are
    compared with the batch's stored rows (read by unit through the (unit, set) index). ON CONFLICT DO
    UPDATE would lock a conflicting row even when its WHERE then skips the update, which writes every page
    of the table on a nightly run that changes nothing."""
    q = connection.ops.quote_name
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    cols = ", ".join(q(c) for c in columns)
    sets = ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in (*compare, *always))
    changed = " OR ".join(f"t.{q(c)} IS DISTINCT FROM EXCLUDED.{q(c)}" for c in compare)
    insert = f"INSERT INTO {q(table)} AS t (criteria_set_id, {cols}) "
    upsert = f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO UPDATE SET {sets}"
    if always:
        return f"{insert}SELECT %s, * FROM unnest({arrays}){upsert}"
    stored = f"(SELECT * FROM {q(table)} WHERE unit_id = ANY(%s::bigint[]) AND criteria_set_id = %s)"
    joined = " AND ".join(f"o.{q(c)} = v.{q(c)}" for c in conflict)
    differs = " OR ".join(f"o.{q(c)} IS DISTINCT FROM v.{q(c)}" for c in compare)
    return (
        f"{insert}SELECT %s, v.* FROM unnest({arrays}) AS v({cols}) "
        f"LEFT JOIN {stored} AS o ON {joined} WHERE o.{q(conflict[0])} IS NULL OR {differs}"
        f"{upsert} WHERE {changed}"
    )


def _upsert_postgresql(cs: CriteriaSet, leaf_rows: list[tuple], unit_rows: list[tuple]) -> None:
    """Write a batch's score rows with one statement per table: the rows travel as one array per column
    (no SQL built per row), and a leaf row whose values did not change is not rewritten at all."""
    leaf_sql = _upsert_sql(
        LeafScore._meta.db_table, LEAF_COLUMNS, _LEAF_TYPES, LEAF_COLUMNS[:2], LEAF_COLUMNS[2:], ()
    )
    unit_sql = _upsert_sql(
        UnitScore._meta.db_table,
        UNIT_COLUMNS,
        _UNIT_TYPES,
        ("criteria_set_id", "unit_id"),
        UNIT_COLUMNS[1:-1],
        ("computed_at",),
    )
    unit_ids = _array_param("bigint", tuple({row[0] for row in unit_rows}))
    with connection.cursor() as cursor:
        for sql, types, rows, extra in (
            (leaf_sql, _LEAF_TYPES, leaf_rows, [unit_ids, cs.pk]),
            (unit_sql, _UNIT_TYPES, unit_rows, []),
        ):
            if rows:
                columns = zip(*rows, strict=True)
                arrays = [_array_param(t, col) for t, col in zip(types, columns, strict=True)]
                cursor.execute(sql, [cs.pk, *arrays, *extra])


_LITERAL_TYPES = {
    "bigint": {int},
    "int": {int},
    "numeric": {Decimal, int},
    "boolean": {bool},
}


def _array_param(sql_type: str, values: tuple) -> str | list:
    """One column's values as an array parameter. Numbers and booleans go as the text of a PostgreSQL array
    literal (`{1,2.5,NULL}`), which the server parses far faster than the driver adapts a list element by
    element (a batch carries some 200,000 values); other types go as a list for the driver to adapt. The
    text holds only what `str` gives for the checked types, so no value can change the literal's shape."""
    allowed = _LITERAL_TYPES.get(sql_type)
    if allowed is None:
        return list(values)
    kinds = set(map(type, values))
    if not kinds <= allowed | {type(None)}:
        raise TypeError(f"{sql_type} array: unexpected {kinds - allowed - {type(None)}}")
    if type(None) in kinds:
        return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"
    return "{" + ",".join(map(str, values)) + "}"


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


@transaction.atomic
def ranks_recompute(*, criteria_set: CriteriaSet, parent_ids: set, all_groups: bool = False) -> int:
    """Rank units within each peer group (same set, same parent) by percent: 1, 1, 3. Returns rows changed.

    The group's rows are locked in unit order, the order score upserts take, so two jobs never deadlock."""
    qs = UnitScore.objects.filter(criteria_set=criteria_set)
    if not all_groups:
        with_parent = [p for p in parent_ids if p is not None]
        cond = Q(parent_unit_id__in=with_parent)
        if None in parent_ids:
            cond |= Q(parent_unit__isnull=True)
        qs = qs.filter(cond)
    groups: dict[int | None, list[tuple[int, Decimal, int | None]]] = defaultdict(list)
    for pk, parent, percent, rank in (
        qs.order_by("unit_id").select_for_update().values_list("pk", "parent_unit_id", "percent", "rank")
    ):
        groups[parent].append((pk, percent, rank))
    changed = []
    for rows in groups.values():
        for (pk, _percent, old), new in zip(rows, competition_ranks([r[1] for r in rows]), strict=True):
            if old != new:
                changed.append(UnitScore(pk=pk, rank=new))
    UnitScore.objects.bulk_update(changed, ["rank"], batch_size=2000)
    return len(changed)


SNAPSHOT_FIELDS = (
    "evidence_points",
    "survey_points",
    "total",
    "applicable_max",
    "percent",
    "rank",
    "delta",
    "projected_total",
    "projected_percent",
)


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
