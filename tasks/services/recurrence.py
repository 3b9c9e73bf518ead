"""Recurring task series (issue 15): a template with a schedule (`tasks.schedule`) whose occurrences are
created as ordinary tasks of the plan, assigned, `lead_days` working days before they are due, for the
series' units or every unit of a kind in the plan's reach, until the series ends. Pausing stops new
occurrences, editing changes the ones not yet created (those created live their own lives), skipping
names one period that is never created.

`series_generate_due` (a beat job) creates what is due in one batch for every plan, and is
idempotent: the unique key (series, period, unit) makes a cycle run twice, or after a killed worker, create
each occurrence once. An occurrence already past due when the job first sees it is not created (a series
started late does not flood its units with overdue tasks).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import Criterion
from org.calendar import get_calendar
from org.models import Membership, Unit, UnitKind
from plans.models import PlanState
from plans.permissions import can_manage_plan, plan_reaches, reach_root

from .. import schedule as sched
from ..models import Schedule, Task, TaskSeries
from .bulk import Content, Placement, tasks_write_bulk
from .crud import ASSIGNEE_OUT_OF_REACH, LEAD_NOT_MEMBER, check_may_add_tasks

log = logging.getLogger(__name__)

SERIES_FIELDS = (
    "title",
    "description",
    "criterion_code",
    "priority",
    "unit_kind",
    "lead",
    "schedule",
    "rrule",
    "due_day",
    "lead_days",
    "starts_on",
    "ends_on",
)
#: Look this far ahead for occurrences whose creation day has come (lead days are working days).
_MAX_LEAD_DAYS = 120


def _validate(series: TaskSeries, units: list[Unit] | None) -> None:
    plan = series.plan
    errors: dict[str, list[str]] = {}
    if series.schedule not in Schedule.values:
        errors["schedule"] = [_("Lịch không hợp lệ.")]
    elif series.schedule == Schedule.RRULE:
        try:
            sched.parse_rrule(series.rrule, series.starts_on)
        except (ValueError, TypeError) as exc:
            errors["rrule"] = [_("Không đọc được quy tắc RRULE: %(error)s.") % {"error": exc}]
    if series.lead_days > _MAX_LEAD_DAYS:
        errors["lead_days"] = [_("Giao trước nhiều nhất %(n)d ngày làm việc.") % {"n": _MAX_LEAD_DAYS}]
    if series.unit_kind and series.unit_kind not in UnitKind.values:
        errors["unit_kind"] = [_("Cấp đơn vị không hợp lệ.")]
    if units is not None:
        if bool(series.unit_kind) == bool(units):
            errors["assignee_units"] = [_("Chọn các đơn vị thực hiện hoặc một cấp đơn vị.")]
        elif any(not plan_reaches(plan, u) for u in units):
            errors["assignee_units"] = [str(ASSIGNEE_OUT_OF_REACH)]
    if (
        series.lead_id is not None
        and units is not None
        and (
            len(units) != 1
            or not Membership.objects.filter(
                user_id=series.lead_id, unit=units[0], user__is_active=True
            ).exists()
        )
    ):
        errors["lead"] = [str(LEAD_NOT_MEMBER)]
    if series.criterion_code:
        if plan.criteria_set_id is None:
            errors["criterion_code"] = [_("Kế hoạch chưa gắn bộ tiêu chí.")]
        elif not plan.criteria_set.criteria.filter(code=series.criterion_code, rule__isnull=False).exists():
            errors["criterion_code"] = [
                _("'%(code)s' không phải tiêu chí được chấm điểm của %(set)s.")
                % {"code": series.criterion_code, "set": plan.criteria_set.code}
            ]
    if series.ends_on and series.ends_on < series.starts_on:
        errors["ends_on"] = [_("Ngày kết thúc trước ngày bắt đầu.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def series_create(
    *, actor, plan, title: str, schedule: str, starts_on: dt.date, units=None, now=None, **fields
):
    """A new recurring series on `plan` (leaders of its owner unit): `units` (the assignee units) or
    `unit_kind` (every unit of that kind in the plan's reach), and the fields of `SERIES_FIELDS`."""
    now = now or timezone.now()
    check_may_add_tasks(actor, plan)
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Không dùng được trường này ở đây.")] for f in unknown})
    series = TaskSeries(
        plan=plan,
        title=title,
        schedule=schedule,
        starts_on=starts_on,
        created_by=actor,
        created_at=now,
        **fields,
    )
    units = list(units or [])
    _validate(series, units)
    series.full_clean(exclude=["plan", "created_by", "lead"])
    series.save()
    if units:
        series.assignee_units.set(units)
    return series


def _check_manager(actor, series: TaskSeries) -> None:
    if not can_manage_plan(actor, series.plan):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị ban hành kế hoạch được sửa nhiệm vụ định kỳ này."))


@transaction.atomic
def series_update(*, actor, series: TaskSeries, units=None, now=None, **fields) -> TaskSeries:
    """Change the series: the occurrences not yet created follow; those created stay as they are."""
    series = TaskSeries.objects.select_for_update().select_related("plan__owner_unit").get(pk=series.pk)
    _check_manager(actor, series)
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Không dùng được trường này ở đây.")] for f in unknown})
    for name, value in fields.items():
        setattr(series, name, value)
    current = list(series.assignee_units.all()) if units is None else list(units)
    _validate(series, current)
    series.full_clean(exclude=["plan", "created_by", "lead"])
    series.save()
    if units is not None:
        series.assignee_units.set(units)
    return series


@transaction.atomic
def series_pause(*, actor, series: TaskSeries, paused: bool = True, now=None) -> TaskSeries:
    """Pause (or resume, `paused=False`) a series: while paused no occurrence is created; on resuming, only
    the occurrences not yet past due are."""
    series = TaskSeries.objects.select_for_update().select_related("plan__owner_unit").get(pk=series.pk)
    _check_manager(actor, series)
    series.paused = paused
    series.save(update_fields=["paused", "updated_at"])
    return series


@transaction.atomic
def series_skip(*, actor, series: TaskSeries, period: str, skip: bool = True, now=None) -> TaskSeries:
    """Skip one occurrence (by its period key, e.g. "2027-BC2"), or take the skip back (`skip=False`)."""
    series = TaskSeries.objects.select_for_update().select_related("plan__owner_unit").get(pk=series.pk)
    _check_manager(actor, series)
    skipped = [p for p in series.skipped if p != period]
    if skip:
        skipped.append(period)
    series.skipped = sorted(skipped)
    series.save(update_fields=["skipped", "updated_at"])
    return series


def series_due_occurrences(
    series: TaskSeries, today: dt.date, calendar=None, memo: dict | None = None
) -> list[sched.Occurrence]:
    """The occurrences of the series whose creation day has come and that are not past due nor skipped.
    `memo` (a dict kept over one cycle) computes each distinct schedule once: a cycle's series mostly share
    theirs (the four report periods of every plan)."""
    calendar = calendar or get_calendar()
    args = {
        "schedule": series.schedule,
        "due_day": series.due_day,
        "lead_days": series.lead_days,
        "starts_on": max(series.starts_on, today),
        "ends_on": series.ends_on,
        "until": today + dt.timedelta(days=2 * _MAX_LEAD_DAYS),
        "rrule_text": series.rrule,
    }
    key = tuple(args.values())
    found = memo.get(key) if memo is not None else None
    if found is None:
        found = sched.occurrences(calendar=calendar, **args)
        if memo is not None:
            memo[key] = found
    skipped = set(series.skipped or ())
    return [o for o in found if o.create_on <= today and o.key not in skipped]


@transaction.atomic
def series_generate_due(*, now=None) -> int:
    """Create every occurrence due to be created now, of every active series, in ONE batch: one transaction
    and one statement for the tasks and their history rows, one outbox event per plan. The rows are checked
    set-based: the units are those of the plan's reach (read, not given), a lead only for a unit they are an
    active member of, and a series whose criterion is no longer scored in its plan's set is left out (and
    logged) while the others go on. Returns how many tasks were created."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = get_calendar()
    active = (
        TaskSeries.objects.filter(
            paused=False,
            plan__state=PlanState.ISSUED,
            starts_on__lte=today + dt.timedelta(days=2 * _MAX_LEAD_DAYS),
        )
        .exclude(ends_on__lt=today)
        .select_related("plan__owner_unit__parent", "plan__criteria_set")
        .prefetch_related("assignee_units")
        .order_by("plan_id", "id")
    )
    items: list[tuple[TaskSeries, list[sched.Occurrence]]] = []
    memo: dict = {}
    for series in active:
        due = series_due_occurrences(series, today, calendar, memo)
        if due:
            items.append((series, due))
    items = _scored_only(items)
    if not items:
        return 0
    contents, placements = _batch(items)
    result = tasks_write_bulk(contents=contents, placements=placements, actor=None, now=now)
    return len(result.ids)


def _scored_only(items):
    """The series whose criterion code (if any) is a scored criterion of their plan's set: one query."""
    wanted = {(s.plan.criteria_set_id, s.criterion_code) for s, _o in items if s.criterion_code}
    scored = (
        set(
            Criterion.objects.filter(
                criteria_set_id__in={set_id for set_id, _c in wanted if set_id},
                code__in={code for _s, code in wanted},
                rule__isnull=False,
            ).values_list("criteria_set_id", "code")
        )
        if wanted
        else set()
    )
    kept = []
    for series, occurrences in items:
        if series.criterion_code and (series.plan.criteria_set_id, series.criterion_code) not in scored:
            log.warning(
                "recurring series %s not generated: %r is not a scored criterion of plan %s's set",
                series.pk,
                series.criterion_code,
                series.plan_id,
            )
            continue
        kept.append((series, occurrences))
    return kept


def _batch(items) -> tuple[list[Content], list[Placement]]:
    """Every due occurrence of every series for each of its units, less what earlier cycles created (the
    unique key stays the guard): the contents (a series' occurrence) and their placements (its units)."""
    plans = {s.plan_id: s.plan for s, _o in items}
    kinds = {s.unit_kind for s, _o in items if s.unit_kind}
    # Every unit of the kinds asked for, once, with its path: a plan's reach is a path prefix.
    units = (
        list(Unit.objects.filter(kind__in=kinds).order_by("path").values_list("pk", "kind", "path"))
        if kinds
        else []
    )
    roots = {pk: reach_root(plan.owner_unit).path for pk, plan in plans.items()}
    leads = {s.lead_id for s, _o in items if s.lead_id}
    members = (
        set(
            Membership.objects.filter(user_id__in=leads, user__is_active=True).values_list(
                "user_id", "unit_id"
            )
        )
        if leads
        else set()
    )
    existing = set(
        Task.objects.filter(
            series_id__in=[s.pk for s, _o in items], period__in={o.key for _s, occ in items for o in occ}
        ).values_list("series_id", "period", "assignee_unit_id")
    )
    contents: list[Content] = []
    placements: list[Placement] = []
    reach: dict[tuple[int, str], list[int]] = {}
    for series, occurrences in items:
        plan = series.plan
        if series.unit_kind:
            key = (plan.pk, series.unit_kind)
            if key not in reach:
                root = roots[plan.pk]
                reach[key] = [
                    pk for pk, kind, path in units if kind == series.unit_kind and path.startswith(root)
                ]
            unit_ids = reach[key]
        else:
            unit_ids = [u.pk for u in series.assignee_units.all() if plan_reaches(plan, u)]
        for occurrence in occurrences:
            index = len(contents)
            rows = [
                Placement(
                    index,
                    unit_id,
                    series.lead_id if (series.lead_id, unit_id) in members else None,
                    len(placements) + n + 1,
                )
                for n, unit_id in enumerate(
                    u for u in unit_ids if (series.pk, occurrence.key, u) not in existing
                )
            ]
            if not rows:
                continue
            contents.append(
                Content(
                    plan=plan,
                    fields={
                        "title": series.title,
                        "description": series.description,
                        "criterion_code": series.criterion_code,
                        "priority": series.priority,
                        "start_date": min(occurrence.create_on, occurrence.due),
                        "due_date": occurrence.due,
                        "series": series.pk,
                        "period": occurrence.key,
                    },
                    assign=True,
                    row=index + 1,
                    actor_id=series.created_by_id,
                    own_actor=True,
                )
            )
            placements.extend(rows)
    return contents, placements
