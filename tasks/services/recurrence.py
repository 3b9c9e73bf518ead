"""Recurring task series (issue 15): a template with a schedule (`tasks.schedule`) whose occurrences are
created as ordinary tasks of the plan, assigned, `lead_days` working days before they are due, for the
series' units or every unit of a kind in the plan's reach, until the series ends. Pausing stops new
occurrences, editing changes the ones not yet created (those created live their own lives), skipping
names one period that is never created.

`series_generate_due` (a beat job) creates what is due in bulk, one `tasks_create_bulk` per plan, and is
idempotent: the unique key (series, period, unit) makes a cycle run twice, or after a killed worker, create
each occurrence once. An occurrence already past due when the job first sees it is not created (a series
started late does not flood its units with overdue tasks).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.calendar import get_calendar
from org.models import Membership, Unit, UnitKind
from plans.models import PlanState
from plans.permissions import can_manage_plan, plan_reaches, reach_q

from .. import schedule as sched
from ..models import Schedule, Task, TaskSeries
from .bulk import tasks_create_bulk
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


def series_due_occurrences(series: TaskSeries, today: dt.date, calendar=None) -> list[sched.Occurrence]:
    """The occurrences of the series whose creation day has come and that are not past due nor skipped."""
    calendar = calendar or get_calendar()
    found = sched.occurrences(
        schedule=series.schedule,
        due_day=series.due_day,
        lead_days=series.lead_days,
        starts_on=max(series.starts_on, today),
        ends_on=series.ends_on,
        until=today + dt.timedelta(days=2 * _MAX_LEAD_DAYS),
        calendar=calendar,
        rrule_text=series.rrule,
    )
    skipped = set(series.skipped or ())
    return [o for o in found if o.create_on <= today and o.key not in skipped]


def series_generate_due(*, now=None) -> int:
    """Create every occurrence due to be created now, of every active series, in bulk: one batch (one
    transaction, one outbox event) per plan. Returns how many tasks were created."""
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
        .select_related("plan__owner_unit", "plan__criteria_set", "created_by")
        .prefetch_related("assignee_units")
        .order_by("plan_id", "id")
    )
    by_plan: dict[int, list[tuple[TaskSeries, list[sched.Occurrence]]]] = defaultdict(list)
    for series in active:
        due = series_due_occurrences(series, today, calendar)
        if due:
            by_plan[series.plan_id].append((series, due))
    created = 0
    for items in by_plan.values():
        created += _generate_plan(items, now=now)
    return created


def _generate_plan(items, *, now) -> int:
    plan = items[0][0].plan
    kinds = {s.unit_kind for s, _o in items if s.unit_kind}
    by_kind: dict[str, list[int]] = defaultdict(list)
    if kinds:
        for pk, kind in (
            Unit.objects.filter(reach_q(plan), kind__in=kinds).order_by("path").values_list("pk", "kind")
        ):
            by_kind[kind].append(pk)
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
    # What earlier cycles created is left out before the insert (the unique key stays the guard).
    existing = set(
        Task.objects.filter(
            series_id__in=[s.pk for s, _o in items], period__in={o.key for _s, occ in items for o in occ}
        ).values_list("series_id", "period", "assignee_unit_id")
    )
    rows = []
    for series, occurrences in items:
        unit_ids = (
            by_kind[series.unit_kind]
            if series.unit_kind
            else [u.pk for u in series.assignee_units.all() if plan_reaches(plan, u)]
        )
        for occurrence in occurrences:
            for unit_id in unit_ids:
                if (series.pk, occurrence.key, unit_id) in existing:
                    continue
                lead_id = series.lead_id if (series.lead_id, unit_id) in members else None
                rows.append(
                    {
                        "title": series.title,
                        "description": series.description,
                        "criterion_code": series.criterion_code,
                        "priority": series.priority,
                        "assignee_unit": unit_id,
                        "lead": lead_id,
                        "start_date": min(occurrence.create_on, occurrence.due),
                        "due_date": occurrence.due,
                        "series": series.pk,
                        "period": occurrence.key,
                    }
                )
    if not rows:
        return 0
    actor = items[0][0].created_by
    try:
        result = tasks_create_bulk(actor=actor, plan=plan, rows=rows, assign=True, check_actor=False, now=now)
    except ValidationError as exc:  # e.g. a criterion removed from the plan's set: the other plans go on
        log.warning("recurring series of plan %s not generated: %s", plan.pk, exc.messages[:5])
        return 0
    return len(result.created)
