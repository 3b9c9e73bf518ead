"""Writes for scoring: importing criteria sets, survey results and appraisals, and recomputing scores.

Scores are derived rows. `scores_recompute` rebuilds them from the source rows (tasks, survey results,
appraisals) for a batch of units with a handful of aggregate queries, calls the pure rules
(`scoring.rules`) and upserts the results; it is idempotent, so the incremental path (a Celery job per
changed unit), the full recompute command and the nightly reconciliation all give the same numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Unit
from org.selectors import user_has_role, user_is_admin
from tasks.models import Task, TaskState, TaskStatus

from .criteria_file import CriteriaFileError, iter_nodes, parse_criteria_file
from .models import Appraisal, CriteriaSet, Criterion, LeafScore, SurveyResult, UnitScore
from .rules import METRIC_RULES, LeafCounts, NodeDef, aggregate, competition_ranks, final_points, score_leaf

log = logging.getLogger(__name__)
BATCH = 500


# --- Criteria sets ---------------------------------------------------------------------------------------


@transaction.atomic
def criteria_set_import(*, data: bytes | str, actor=None) -> CriteriaSet:
    """Import a criteria set from its YAML file. A bad file is refused whole (ValidationError naming the
    criterion and the problem); nothing is written."""
    if actor is not None and not user_is_admin(actor):
        raise PermissionDenied(_("Only administrators import criteria sets."))
    try:
        spec = parse_criteria_file(data)
    except CriteriaFileError as exc:
        raise ValidationError({"file": exc.errors}) from exc
    if CriteriaSet.objects.filter(code=spec.code).exists():
        raise ValidationError(
            {"file": [_("A criteria set with code %(code)s already exists.") % {"code": spec.code}]}
        )
    source = data.decode("utf-8") if isinstance(data, bytes) else data
    cs = CriteriaSet.objects.create(
        code=spec.code,
        name=spec.name,
        year=spec.year,
        unit_kind=spec.unit_kind,
        period_start=spec.period_start,
        period_end=spec.period_end,
        source=source,
    )
    by_code: dict[str, Criterion] = {}
    for node, parent_code, depth, order in iter_nodes(spec):
        by_code[node.code] = Criterion.objects.create(
            criteria_set=cs,
            parent=by_code.get(parent_code) if parent_code else None,
            code=node.code,
            title=node.title,
            max_points=node.max_points,
            part=node.part,
            rule=node.rule,
            depth=depth,
            order=order,
        )
    return cs


# --- Survey and appraisal --------------------------------------------------------------------------------


@dataclass
class SurveyImportResult:
    rows: int
    unit_ids: list[int] = field(default_factory=list)


SURVEY_MAX_BYTES = 5 * 1024 * 1024
SURVEY_MAX_ROWS = 50_000


def _survey_rows(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """(row number, cells) from a CSV or XLSX file, header row included."""
    if len(data) > SURVEY_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 5 MB.")]})
    if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        import zipfile

        from openpyxl import load_workbook

        from tasks.files import MAX_INFLATED_BYTES

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if sum(i.file_size for i in zf.infolist()) > MAX_INFLATED_BYTES:
                    raise ValidationError({"file": [_("The workbook expands to an implausible size.")]})
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except ValidationError:
            raise
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise ValidationError({"file": [_("The file is not a readable XLSX workbook.")]}) from exc
        rows = []
        for n, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
            if n > SURVEY_MAX_ROWS + 1:
                raise ValidationError({"file": [_("More than %(n)d rows.") % {"n": SURVEY_MAX_ROWS}]})
            cells = ["" if v is None else str(v).strip() for v in row]
            if any(cells):
                rows.append((n, cells))
        wb.close()
        return rows
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": [_("The file is neither UTF-8 CSV nor XLSX.")]}) from exc
    rows = []
    for n, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if n > SURVEY_MAX_ROWS + 1:
            raise ValidationError({"file": [_("More than %(n)d rows.") % {"n": SURVEY_MAX_ROWS}]})
        cells = [c.strip() for c in cells]
        if any(cells):
            rows.append((n, cells))
    return rows


def survey_parse(
    *, criteria_set: CriteriaSet, data: bytes, filename: str = ""
) -> list[tuple[Unit, Criterion, Decimal]]:
    """Read and check a survey file (unit_code, criterion_code, points). Every error names its row; any
    error refuses the whole file."""
    rows = _survey_rows(data, filename)
    if not rows:
        raise ValidationError({"file": [_("The file is empty.")]})
    header = [c.lower() for c in rows[0][1][:3]]
    if header != ["unit_code", "criterion_code", "points"]:
        raise ValidationError({"file": [_("The first row must be: unit_code, criterion_code, points.")]})
    body = rows[1:]
    units = {u.code: u for u in Unit.objects.filter(code__in=[r[0] for _n, r in body if r])}
    criteria = {c.code: c for c in criteria_set.criteria.filter(part="survey", rule__type="survey")}
    errors, parsed, seen = [], [], set()
    for n, cells in body:
        cells = (cells + ["", "", ""])[:3]
        unit_code, code, raw = cells
        unit = units.get(unit_code)
        criterion = criteria.get(code)
        if unit is None:
            errors.append(_("row %(n)d: unknown unit code '%(c)s'") % {"n": n, "c": unit_code})
        elif unit.kind != criteria_set.unit_kind:
            errors.append(_("row %(n)d: unit %(c)s is not scored on this set") % {"n": n, "c": unit_code})
        if criterion is None:
            errors.append(
                _("row %(n)d: '%(c)s' is not a survey criterion of %(s)s")
                % {"n": n, "c": code, "s": criteria_set.code}
            )
        try:
            points = Decimal(raw.replace(",", "."))
            if not points.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(_("row %(n)d: points '%(p)s' is not a number") % {"n": n, "p": raw})
            continue
        if criterion is not None and not Decimal(0) <= points <= criterion.max_points:
            errors.append(
                _("row %(n)d: points %(p)s outside 0..%(m)s") % {"n": n, "p": raw, "m": criterion.max_points}
            )
        if (unit_code, code) in seen:
            errors.append(_("row %(n)d: %(u)s / %(c)s appears twice") % {"n": n, "u": unit_code, "c": code})
        seen.add((unit_code, code))
        if unit is not None and criterion is not None:
            parsed.append((unit, criterion, points))
    if errors:
        raise ValidationError({"file": errors[:200]})
    return parsed


def user_can_appraise(user, unit: Unit) -> bool:
    """Appraisers import surveys and enter appraisals for units in their subtree."""
    return user_has_role(user, "appraiser", unit)


@transaction.atomic
def survey_import(
    *, actor, criteria_set: CriteriaSet, data: bytes, filename: str = "", now=None
) -> SurveyImportResult:
    """Import survey results; the affected units' scores update after commit."""
    now = now or timezone.now()
    parsed = survey_parse(criteria_set=criteria_set, data=data, filename=filename)
    refused = sorted({u.code for u, _c, _p in parsed if not user_can_appraise(actor, u)})
    if refused:
        raise PermissionDenied(
            _("You may not enter survey results for: %(units)s") % {"units": ", ".join(refused)}
        )
    SurveyResult.objects.bulk_create(
        [
            SurveyResult(
                criteria_set=criteria_set, criterion=c, unit=u, points=p, imported_at=now, imported_by=actor
            )
            for u, c, p in parsed
        ],
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
    """Set (or, with points=None, clear) the appraised points of one leaf for one unit."""
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
        if not Decimal(0) <= points <= criterion.max_points:
            raise ValidationError(
                {"points": [_("Points must be between 0 and %(max)s.") % {"max": criterion.max_points}]}
            )
        appraisal, _created = Appraisal.objects.update_or_create(
            criterion=criterion,
            unit=unit,
            defaults={
                "criteria_set": criteria_set,
                "points": points,
                "note": note,
                "appraiser": actor,
                "updated_at": now,
            },
        )
    scores_request(criteria_set_id=criteria_set.pk, unit_ids=[unit.pk])
    return appraisal


# --- Recompute ---------------------------------------------------------------------------------------------


def scores_request(*, criteria_set_id: int, unit_ids: Iterable[int]) -> None:
    """Queue a recompute of these units after commit (done by a worker within seconds)."""
    from .tasks import recompute_units

    ids = sorted(set(unit_ids))
    if ids:
        transaction.on_commit(lambda: recompute_units.delay(criteria_set_id, ids))


@dataclass
class _Leaf:
    criterion_id: int
    code: str
    max_points: Decimal
    rule: dict


def _leaves(cs: CriteriaSet) -> tuple[list[_Leaf], list[NodeDef]]:
    leaves, nodes = [], []
    for c in cs.criteria.select_related("parent").order_by("order"):
        nodes.append(
            NodeDef(
                code=c.code,
                max_points=c.max_points,
                part=c.part,
                parent_code=c.parent.code if c.parent_id else None,
            )
        )
        if c.rule is not None:
            leaves.append(_Leaf(c.pk, c.code, c.max_points, c.rule))
    return leaves, nodes


def _count_fields() -> dict:
    return {
        "on_time": Count("id", filter=Q(status_code=TaskStatus.ON_TIME)),
        "late": Count("id", filter=Q(status_code=TaskStatus.LATE)),
        "overdue": Count("id", filter=Q(status_code=TaskStatus.OVERDUE)),
        "pending": Count("id", filter=Q(status_code=TaskStatus.PENDING)),
    }


def _counts(cs: CriteriaSet, unit_ids: list[int], today: dt.date, leaves: list[_Leaf]):
    """The unit's linked-task counts, gathered with three aggregate queries for the whole batch:
    per (unit, criterion code), per unit (scope: plan), per unit for plans owned by another unit
    (scope: assigned_by_higher); plus the metric of the most recently approved linked task."""
    base = (
        Task.objects.filter(plan__criteria_set=cs, assignee_unit_id__in=unit_ids)
        .exclude(state=TaskState.CANCELLED)
        .with_status(today)
    )
    by_leaf: dict[tuple[int, str], dict] = {}
    for row in base.values("assignee_unit_id", "criterion_code").annotate(**_count_fields()).order_by():
        by_leaf[(row["assignee_unit_id"], row["criterion_code"])] = row
    by_plan: dict[int, dict] = {}
    scopes = {leaf.rule.get("scope", "leaf") for leaf in leaves}
    if "plan" in scopes:
        for row in base.values("assignee_unit_id").annotate(**_count_fields()).order_by():
            by_plan[row["assignee_unit_id"]] = row
    by_higher: dict[int, dict] = {}
    if "assigned_by_higher" in scopes:
        for row in (
            base.exclude(plan__owner_unit_id=F("assignee_unit_id"))
            .values("assignee_unit_id")
            .annotate(**_count_fields())
            .order_by()
        ):
            by_higher[row["assignee_unit_id"]] = row
    metric_codes = [leaf.code for leaf in leaves if leaf.rule.get("type") in METRIC_RULES]
    metrics: dict[tuple[int, str], Decimal | None] = {}
    if metric_codes:
        for unit_id, code, value in (
            Task.objects.filter(
                plan__criteria_set=cs,
                assignee_unit_id__in=unit_ids,
                criterion_code__in=metric_codes,
                state=TaskState.APPROVED,
            )
            .order_by("approved_at", "id")
            .values_list("assignee_unit_id", "criterion_code", "metric_value")
        ):
            metrics[(unit_id, code)] = value  # the last one wins: the most recently approved
    return by_leaf, by_plan, by_higher, metrics


def _leaf_counts(row: dict | None, metric) -> LeafCounts:
    if not row:
        return LeafCounts(metric=metric)
    return LeafCounts(
        on_time=row["on_time"],
        late=row["late"],
        overdue=row["overdue"],
        pending=row["pending"],
        metric=metric,
    )


def _previous_set(cs: CriteriaSet) -> CriteriaSet | None:
    return (
        CriteriaSet.objects.filter(unit_kind=cs.unit_kind, year=cs.year - 1)
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def _recompute_batch(
    cs: CriteriaSet,
    units: list[tuple[int, int | None]],
    leaves,
    nodes,
    today,
    now,
    previous: CriteriaSet | None,
) -> None:
    unit_ids = [u for u, _p in units]
    by_leaf, by_plan, by_higher, metrics = _counts(cs, unit_ids, today, leaves)
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
    if previous is not None:
        previous_totals = dict(
            UnitScore.objects.filter(criteria_set=previous, unit_id__in=unit_ids).values_list(
                "unit_id", "total"
            )
        )
    leaf_rows, unit_rows = [], []
    for unit_id, parent_id in units:
        points, projected, excluded = {}, {}, set()
        for leaf in leaves:
            scope = leaf.rule.get("scope", "leaf")
            row = (
                by_plan.get(unit_id)
                if scope == "plan"
                else by_higher.get(unit_id)
                if scope == "assigned_by_higher"
                else by_leaf.get((unit_id, leaf.code))
            )
            counts = _leaf_counts(row, metrics.get((unit_id, leaf.code)))
            result = score_leaf(
                leaf.rule, leaf.max_points, counts, survey_points=surveys.get((unit_id, leaf.criterion_id))
            )
            appraised = appraisals.get((unit_id, leaf.criterion_id))
            if appraised is not None:
                appraised = min(appraised, leaf.max_points)
            final = final_points(result.auto_points, appraised)
            points[leaf.code] = final
            projected[leaf.code] = final_points(result.projected_points, appraised)
            if result.excluded and appraised is None:
                excluded.add(leaf.code)
            leaf_rows.append(
                LeafScore(
                    criteria_set=cs,
                    criterion_id=leaf.criterion_id,
                    unit_id=unit_id,
                    on_time=counts.on_time,
                    late=counts.late,
                    overdue=counts.overdue,
                    pending=counts.pending,
                    metric=counts.metric,
                    auto_points=result.auto_points,
                    projected_points=result.projected_points,
                    appraised_points=appraised,
                    points=final,
                    excluded=result.excluded and appraised is None,
                )
            )
        totals = aggregate(nodes, points, excluded)
        projected_totals = aggregate(nodes, projected, excluded)
        prev = previous_totals.get(unit_id)
        unit_rows.append(
            UnitScore(
                criteria_set=cs,
                unit_id=unit_id,
                parent_unit_id=parent_id,
                evidence_points=totals.evidence_points,
                survey_points=totals.survey_points,
                total=totals.total,
                applicable_max=totals.applicable_max,
                percent=totals.percent,
                projected_total=projected_totals.total,
                projected_percent=projected_totals.percent,
                delta=None if prev is None else totals.total - prev,
                computed_at=now,
            )
        )
    LeafScore.objects.bulk_create(
        leaf_rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["criterion", "unit"],
        update_fields=[
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
        ],
    )
    UnitScore.objects.bulk_create(
        unit_rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["criteria_set", "unit"],
        update_fields=[
            "parent_unit",
            "evidence_points",
            "survey_points",
            "total",
            "applicable_max",
            "percent",
            "projected_total",
            "projected_percent",
            "delta",
            "computed_at",
        ],
    )


def scored_units(cs: CriteriaSet):
    """The units scored on a criteria set: every unit of the set's kind."""
    return Unit.objects.filter(kind=cs.unit_kind)


def scores_recompute(
    *, criteria_set: CriteriaSet, unit_ids: Iterable[int] | None = None, now=None, progress=None
) -> int:
    """Recompute the scores of the given units (all scored units when None) and re-rank their peer groups.
    Returns the number of units recomputed. `progress(n)` is called after each batch."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    leaves, nodes = _leaves(criteria_set)
    qs = scored_units(criteria_set)
    if unit_ids is not None:
        qs = qs.filter(pk__in=list(unit_ids))
    units = list(qs.order_by("pk").values_list("pk", "parent_id"))
    previous = _previous_set(criteria_set)
    for start in range(0, len(units), BATCH):
        batch = units[start : start + BATCH]
        _recompute_batch(criteria_set, batch, leaves, nodes, today, now, previous)
        if progress:
            progress(len(batch))
    ranks_recompute(criteria_set=criteria_set, parent_ids={p for _u, p in units}, all_groups=unit_ids is None)
    return len(units)


@transaction.atomic
def ranks_recompute(*, criteria_set: CriteriaSet, parent_ids: set, all_groups: bool = False) -> int:
    """Rank units within each peer group (same set, same parent) by percent: 1, 1, 3. Returns rows changed."""
    qs = UnitScore.objects.filter(criteria_set=criteria_set)
    if not all_groups:
        with_parent = [p for p in parent_ids if p is not None]
        cond = Q(parent_unit_id__in=with_parent)
        if None in parent_ids:
            cond |= Q(parent_unit__isnull=True)
        qs = qs.filter(cond)
    groups: dict[int | None, list[tuple[int, Decimal, int | None]]] = defaultdict(list)
    for pk, parent, percent, rank in qs.select_for_update().values_list(
        "pk", "parent_unit_id", "percent", "rank"
    ):
        groups[parent].append((pk, percent, rank))
    changed = []
    for rows in groups.values():
        for (pk, _percent, old), new in zip(rows, competition_ranks([r[1] for r in rows]), strict=True):
            if old != new:
                changed.append(UnitScore(pk=pk, rank=new))
    UnitScore.objects.bulk_update(changed, ["rank"], batch_size=2000)
    return len(changed)


def score_snapshot(criteria_set: CriteriaSet) -> dict:
    """What a unit's published scores are now, to compare before and after a reconciliation."""
    return {
        row[0]: row[1:]
        for row in UnitScore.objects.filter(criteria_set=criteria_set).values_list(
            "unit_id", "evidence_points", "survey_points", "total", "percent", "rank", "projected_total"
        )
    }


def scores_reconcile(*, criteria_set: CriteriaSet, now=None) -> list[int]:
    """The nightly safety net: recompute everything and report the units whose scores had to change (a
    day passing turns pending tasks overdue, so some change is expected; anything else is logged)."""
    before = score_snapshot(criteria_set)
    scores_recompute(criteria_set=criteria_set, now=now)
    after = score_snapshot(criteria_set)
    changed = sorted(u for u in after if before.get(u) != after[u])
    if changed:
        log.warning("reconcile %s: %d unit(s) changed: %s", criteria_set.code, len(changed), changed[:50])
    return changed
