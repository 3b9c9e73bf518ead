"""The leader dashboard (Tổng quan): the year's task progress of a unit's subtree, by month and by
sub-unit, who is falling behind, the overdue tasks by age, and each unit's index score and rank."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from org.models import Unit
from tasks.selectors import StatusCounts

from .. import dashboard as board
from .. import permissions, selectors
from ._common import int_param, svg_number


def _month_chart(months, *, year: int, today) -> dict:
    """Geometry of the grouped bar chart: completion and on-time percent of the tasks due each month."""
    width, height, left, right, top, bottom = 960, 260, 42, 8, 16, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / 12
    bar = step * 0.34
    columns = []
    for i, (month, progress) in enumerate(months):
        x0 = left + i * step
        future = (year, month.month) > (today.year, today.month)
        column = {"month": month, "label": f"{month.month:02d}", "x": svg_number(x0 + step / 2), "bars": []}
        for kind, value, offset in (
            ("completion", progress.completion_percent, step / 2 - bar - 1),
            ("on_time", progress.on_time_percent, step / 2 + 1),
        ):
            if value is None or future:
                continue
            h = max(plot_h * value / 100, 1)
            column["bars"].append(
                {
                    "kind": kind,
                    "value": value,
                    "x": svg_number(x0 + offset),
                    "y": svg_number(top + plot_h - h),
                    "w": svg_number(bar),
                    "h": svg_number(h),
                    "tx": svg_number(x0 + offset + bar / 2),
                    "ty": svg_number(top + plot_h - h - 3),
                }
            )
        column["progress"] = progress
        column["future"] = future
        columns.append(column)
    grid = [{"value": v, "y": svg_number(top + plot_h * (1 - v / 100))} for v in (0, 25, 50, 75, 100)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right_x": width - right,
        "label_y": svg_number(height - 10),
        "grid": grid,
        "columns": columns,
    }


@dataclass
class UnitRow:
    unit: Unit
    own: bool  # the focus unit itself (only the tasks assigned to it directly)
    progress: StatusCounts
    score: board.ScoreLine | None


def _year_param(request, default: int) -> int:
    year = int_param(request, "year")
    return year if year is not None and 2000 <= year <= 2100 else default


def _focus(request, user, roots: list[Unit]) -> Unit:
    """The unit asked for (404 unless the user may see its dashboard), else the first one they lead."""
    unit_id = int_param(request, "unit")
    if unit_id is None:
        return roots[0]
    return get_object_or_404(Unit.objects.filter(permissions.led_units_q(user)), pk=unit_id)


def _unit_rows(focus: Unit, children: list[Unit], by_unit: dict, scores) -> list[UnitRow]:
    """A row per sub-unit, after the focus unit's own row when tasks are assigned to it directly (or it
    has no sub-units)."""
    rows = [UnitRow(c, False, by_unit.get(c.pk, StatusCounts()), scores.get(c.pk)) for c in children]
    if focus.pk in by_unit or not children:
        rows.insert(0, UnitRow(focus, True, by_unit.get(focus.pk, StatusCounts()), scores.get(focus.pk)))
    return rows


def _behind(rows: list[UnitRow]) -> list[UnitRow]:
    """The five rows with the most overdue tasks (then the lowest on-time rate)."""
    late = (r for r in rows if r.progress.overdue)
    return sorted(late, key=lambda r: (-r.progress.overdue, r.progress.on_time_percent or 0, r.unit.code))[:5]


@login_required
@require_GET
def dashboard(request):
    """Tổng quan: how the tasks of the leader's unit and its sub-units are going this year, who is falling
    behind, what is overdue and for how long, and each unit's index score and rank."""
    user = request.user
    today = timezone.localdate()
    roots = board.led_units(user)
    if not roots:
        raise PermissionDenied(_("Trang tổng quan dành cho lãnh đạo đơn vị."))
    focus = _focus(request, user, roots)
    year = _year_param(request, today.year)
    trail = list(
        Unit.objects.filter(pk__in=focus.ancestor_ids()[:-1])
        .filter(permissions.led_units_q(user))
        .order_by("path")
    )
    children = list(Unit.objects.filter(parent=focus).order_by("code"))
    months, by_unit = board.year_progress(user=user, unit=focus, year=year, today=today)
    scores = board.latest_scores(unit_ids=[focus.pk, *(c.pk for c in children)], year=year)
    rows = _unit_rows(focus, children, by_unit, scores)
    ages = board.overdue_by_age(user=user, unit=focus, year=year, today=today)
    return render(
        request,
        "scoring/dashboard.html",
        {
            "focus": focus,
            "roots": roots,
            "trail": trail,
            "year": year,
            "years": sorted({*range(today.year, today.year - 8, -1), year}, reverse=True),
            "today": today,
            "chart": _month_chart(months, year=year, today=today),
            "total": sum((p for _m, p in months), StatusCounts()),
            "rows": rows,
            "behind": _behind(rows),
            "focus_score": scores.get(focus.pk),
            "ages": ages,
            "ages_max": max((n for _k, n in ages), default=0),
            "overdue_count": sum(n for _k, n in ages),
            "oldest": board.oldest_overdue(user=user, unit=focus, year=year, today=today),
            "round_tasks": selectors.round_sheets_owed(user, roots),
        },
    )
