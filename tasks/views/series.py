"""The recurring tasks of a plan (Nhiệm vụ định kỳ, issue 15): the plan's list of series, a new series with
a preview of its next due dates, a series' page (its coming occurrences, each skippable; the edit form;
pause and resume). Writes go through `tasks.services.recurrence`, the same services as /api/series/, which
decide who may; the pages ask `tasks.permissions` what to offer. The dates come from the schedule's own
code (`TaskSeries.upcoming`, `tasks.schedule`): due on the rule's date moved to the next working day."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from org.web import add_service_errors, is_htmx
from plans.models import Plan

from .. import permissions, services
from ..forms import SeriesForm, SkipForm
from ..models import Task, TaskSeries
from .common import STATE_ERRORS, get_plan, post_or_page, require

#: How many coming occurrences the form's preview and a series' page list.
PREVIEW_COUNT = 6
UPCOMING_COUNT = 8


def get_series(request, pk: int) -> TaskSeries:
    """The series a URL names, when the user sees its plan (404 otherwise, as the API answers)."""
    qs = TaskSeries.objects.filter(plan__in=Plan.objects.visible_to(request.user)).select_related(
        "plan__owner_unit", "plan__criteria_set"
    )
    return get_object_or_404(qs.prefetch_related("assignee_units"), pk=pk)


def _preview(form, today) -> list:
    """The next due dates of the series the (valid) form describes; a rule that cannot be read is an error
    on its field, never a 500."""
    try:
        return form.unsaved().upcoming(today, count=PREVIEW_COUNT)
    except (ValueError, TypeError) as exc:
        form.add_error("rrule", _("Không đọc được quy tắc RRULE: %(error)s.") % {"error": exc})
        return []


def _status(request, form) -> int:
    """A refused form answers 400; but the live preview (htmx, on each change) is swapped in only from a
    200, so that it can say what to fix."""
    return 400 if form.errors and not is_htmx(request) else 200


def _save(form, call):
    try:
        return call(units=form.units(), **form.service_fields())
    except ValidationError as exc:
        add_service_errors(form, exc)
    except STATE_ERRORS as exc:
        form.add_error(None, str(exc))
    return None


@login_required
@require_GET
def series_list(request, pk: int):
    plan = get_plan(request, pk)
    today = timezone.localdate()
    rows = []
    for series in TaskSeries.objects.filter(plan=plan).prefetch_related("assignee_units").order_by("id"):
        try:
            coming = [o for o in series.upcoming(today, count=3) if not o.skipped]
        except ValueError:  # a rule stored before the checks existed: the series shows, without dates
            coming = []
        rows.append({"series": series, "next": coming[0] if coming else None})
    context = {
        "plan": plan,
        "rows": rows,
        "today": today,
        "can_add": permissions.can_add_task(request.user, plan),
    }
    return render(request, "tasks/series_list.html", context)


@login_required
def series_create(request, pk: int):
    plan = get_plan(request, pk)
    require(permissions.can_add_task(request.user, plan))
    today = timezone.localdate()
    initial = {"starts_on": today, "lead_days": 10}
    form = SeriesForm(request.POST or None, user=request.user, plan=plan, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        preview = _preview(form, today)
        if "preview" not in request.POST and not form.errors:
            call = lambda **fields: services.series_create(actor=request.user, plan=plan, **fields)  # noqa: E731
            series = _save(form, call)
            if series is not None:
                messages.success(request, _("Đã tạo nhiệm vụ định kỳ “%(title)s”.") % {"title": series.title})
                return redirect("tasks:series_detail", pk=series.pk)
    status = _status(request, form)
    context = {"plan": plan, "form": form, "series": None, "preview": preview}
    return render(request, "tasks/series_form.html", context, status=status)


@login_required
def series_detail(request, pk: int):
    """A series' page: its coming occurrences (skip one, take a skip back), pause or resume, and for those
    who may change it, the edit form (POST saves it)."""
    series = get_series(request, pk)
    plan = series.plan
    can_manage = permissions.can_manage_series(request.user, series)
    if request.method == "POST":
        require(can_manage)
    today = timezone.localdate()
    form = None
    if can_manage:
        initial = {name: getattr(series, name) for name in SeriesForm.SERVICE_FIELDS}
        initial["assignee_units"] = list(series.assignee_units.all())
        form = SeriesForm(request.POST or None, user=request.user, plan=plan, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        preview = _preview(form, today)
        if "preview" not in request.POST and not form.errors:
            call = lambda **fields: services.series_update(actor=request.user, series=series, **fields)  # noqa: E731
            if _save(form, call) is not None:
                messages.success(request, _("Đã lưu nhiệm vụ định kỳ."))
                return redirect("tasks:series_detail", pk=series.pk)
    try:
        upcoming = series.upcoming(today, count=UPCOMING_COUNT)
    except ValueError:
        upcoming = []
    created = set(
        Task.objects.filter(series=series, period__in=[o.key for o in upcoming]).values_list(
            "period", flat=True
        )
    )
    context = {
        "plan": plan,
        "series": series,
        "form": form,
        "preview": preview,
        "upcoming": upcoming,
        "created": created,
        "can_manage": can_manage,
        "task_count": Task.objects.filter(series=series).count(),
    }
    status = _status(request, form) if form is not None else 200
    return render(request, "tasks/series_detail.html", context, status=status)


@login_required
@post_or_page("tasks:series_detail")
def series_pause(request, pk: int, paused: bool):
    series = get_series(request, pk)
    services.series_pause(actor=request.user, series=series, paused=paused)
    messages.success(
        request,
        _("Đã tạm dừng: không giao thêm kỳ nào cho đến khi tiếp tục.")
        if paused
        else _("Đã tiếp tục: các kỳ chưa quá hạn sẽ được giao đúng lịch."),
    )
    return redirect("tasks:series_detail", pk=series.pk)


@login_required
@post_or_page("tasks:series_detail")
def series_skip(request, pk: int):
    series = get_series(request, pk)
    form = SkipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Không rõ kỳ cần bỏ qua."))
        return redirect("tasks:series_detail", pk=series.pk)
    period, skip = form.cleaned_data["period"], form.cleaned_data["skip"]
    services.series_skip(actor=request.user, series=series, period=period, skip=skip)
    messages.success(
        request,
        (_("Đã bỏ qua kỳ %(period)s.") if skip else _("Kỳ %(period)s sẽ được giao lại."))
        % {"period": period},
    )
    return redirect("tasks:series_detail", pk=series.pk)
