"""The deadline calendar: the month's grid (Monday first) of the tasks the user sees, by effective due date,
each in its tone (in time, due soon, overdue, done…) and linking to its page; today, weekends and the working
calendar's holidays and days off marked; the previous and next months a click away. On a phone the same
month is a list by day (app CSS). A `?month=` that is not a month shows the current one with a message."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from org.calendar import get_calendar

from ..choices import TaskTone
from ..month import grid_span, holiday_name_in, month_grid, month_key, month_shift, parse_month
from ..selectors import tasks_due_between


@login_required
@require_GET
def task_calendar(request):
    today = timezone.localdate()
    raw = request.GET.get("month")
    first, understood = parse_month(raw, today=today)
    start, end = grid_span(first)
    tasks = list(tasks_due_between(user=request.user, first=start, last=end, today=today))
    month = month_grid(
        first, today=today, working=get_calendar(), tasks=tasks, holiday_name=holiday_name_in(get_language())
    )
    context = {
        "month": month,
        "bad_month": None if understood else raw,
        "this_month": month_key(today.replace(day=1)),
        "is_this_month": first == today.replace(day=1),
        "prev_month": month_key(month_shift(first, -1)),
        "next_month": month_key(month_shift(first, 1)),
        "prev_first": month_shift(first, -1),
        "next_first": month_shift(first, 1),
        "tone_labels": dict(TaskTone.choices),
        "weekdays": [_("T2"), _("T3"), _("T4"), _("T5"), _("T6"), _("T7"), _("CN")],
    }
    return render(request, "tasks/calendar.html", context)
