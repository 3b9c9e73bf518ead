"""Server-rendered scoring pages: the leader dashboard, the ranking table (chart, export), a unit's
breakdown, and the appraiser pages (survey import with a preview, appraisal entry).

Thin: reads come from `scoring.selectors` and `scoring.dashboard`, writes go through `scoring.services`.
Something the user may not see answers 404; something they may see but not do answers 403. Every page
takes a constant number of queries, however many units, criteria and tasks there are.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from criteria import selectors as criteria_selectors
from criteria.models import CriteriaSet
from org.models import Unit
from org.selectors import user_memberships
from org.spreadsheet import csv_text
from org.web import add_service_errors, paginate, whole_number
from tasks.models import TaskStatus
from tasks.selectors import StatusCounts, TaskTone

from . import dashboard as board
from . import permissions, selectors, services
from .forms import AppraisalLeafForm, SurveyUploadForm
from .models import Appraisal, SurveyResult, UnitScore

#: How a linked task's scoring status is coloured, in the tones of the task lists.
STATUS_TONES = {
    TaskStatus.ON_TIME: TaskTone.DONE_ON_TIME,
    TaskStatus.LATE: TaskTone.DONE_LATE,
    TaskStatus.OVERDUE: TaskTone.OVERDUE,
    TaskStatus.PENDING: TaskTone.IN_TIME,
}
SURVEY_SALT = "scoring.survey-preview"
SURVEY_PREVIEW_MAX_AGE = 3600  # seconds between the preview and the confirmation
SURVEY_PREVIEW_ROWS = 500  # rows shown in the preview (all of them are imported)


def _int_param(request, name: str) -> int | None:
    """A whole-number query parameter; None when absent; 404 when not a number (a hand-edited URL)."""
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    number = whole_number(raw)
    if number is None:
        raise Http404
    return number


def _fmt(value) -> str:
    """A number for an SVG attribute: never localised (a comma would break the drawing)."""
    return f"{float(value):.1f}"


# --- Leader dashboard ---------------------------------------------------------------------------------------


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
        column = {"month": month, "label": f"{month.month:02d}", "x": _fmt(x0 + step / 2), "bars": []}
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
                    "x": _fmt(x0 + offset),
                    "y": _fmt(top + plot_h - h),
                    "w": _fmt(bar),
                    "h": _fmt(h),
                    "tx": _fmt(x0 + offset + bar / 2),
                    "ty": _fmt(top + plot_h - h - 3),
                }
            )
        column["progress"] = progress
        column["future"] = future
        columns.append(column)
    grid = [{"value": v, "y": _fmt(top + plot_h * (1 - v / 100))} for v in (0, 25, 50, 75, 100)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right_x": width - right,
        "label_y": _fmt(height - 10),
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
    year = _int_param(request, "year")
    return year if year is not None and 2000 <= year <= 2100 else default


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
    unit_id = _int_param(request, "unit")
    focus = roots[0]
    if unit_id is not None:
        focus = get_object_or_404(Unit.objects.filter(permissions.led_units_q(user)), pk=unit_id)
    year = _year_param(request, today.year)
    trail = list(
        Unit.objects.filter(pk__in=focus.ancestor_ids()[:-1])
        .filter(permissions.led_units_q(user))
        .order_by("path")
    )
    children = list(Unit.objects.filter(parent=focus).order_by("code"))
    months, by_unit = board.year_progress(user=user, unit=focus, year=year, today=today)
    scores = board.latest_scores(unit_ids=[focus.pk, *(c.pk for c in children)], year=year)
    rows = [UnitRow(c, False, by_unit.get(c.pk, StatusCounts()), scores.get(c.pk)) for c in children]
    if focus.pk in by_unit or not children:
        rows.insert(0, UnitRow(focus, True, by_unit.get(focus.pk, StatusCounts()), scores.get(focus.pk)))
    behind = sorted(
        (r for r in rows if r.progress.overdue),
        key=lambda r: (-r.progress.overdue, r.progress.on_time_percent or 0, r.unit.code),
    )[:5]
    total = sum((p for _m, p in months), StatusCounts())
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
            "total": total,
            "rows": rows,
            "behind": behind,
            "focus_score": scores.get(focus.pk),
            "ages": ages,
            "ages_max": max((n for _k, n in ages), default=0),
            "overdue_count": sum(n for _k, n in ages),
            "oldest": board.oldest_overdue(user=user, unit=focus, year=year, today=today),
        },
    )


# --- Ranking ------------------------------------------------------------------------------------------------


def _member_units(user) -> list[tuple[int, str, int | None]]:
    """(id, kind, parent id) of the units where the user holds a membership. One query."""
    ids = [u for u, _p, _r in user_memberships(user)]
    if not ids:
        return []
    return list(Unit.objects.filter(pk__in=ids).order_by("path").values_list("pk", "kind", "parent_id"))


def _default_set(sets: list[CriteriaSet], members, today) -> CriteriaSet:
    """This year's set (or the latest one before it) of a unit kind the user has to do with: the kind of
    their own units, else the kind of the units under them."""
    past = [s for s in sets if s.year <= today.year] or sets
    latest = [s for s in past if s.year == past[0].year]
    kinds = {kind for _u, kind, _p in members}
    for s in latest:
        if s.unit_kind in kinds:
            return s
    if members:
        below = set(
            Unit.objects.filter(parent_id__in=[u for u, _k, _p in members])
            .values_list("kind", flat=True)
            .distinct()
            .order_by()
        )
        for s in latest:
            if s.unit_kind in below:
                return s
    return latest[0]


def _default_group(cs: CriteriaSet, groups: list[Unit], members, user) -> int | None:
    """The user's own peer group: their unit's parent, else the group under their unit, else the first
    group inside their subtree, else the first group."""
    ids = {g.pk for g in groups}
    for _u, kind, parent in members:
        if kind == cs.unit_kind and parent in ids:
            return parent
    for unit, _k, _p in members:
        if unit in ids:
            return unit
    for group in groups:
        if permissions.can_see_breakdown(user, group):
            return group.pk
    return groups[0].pk if groups else None


def _bar_rows(rows: list[UnitScore]) -> list[dict]:
    return [{"score": r, "width": _fmt(min(max(r.percent, Decimal(0)), Decimal(100)))} for r in rows]


@login_required
@require_GET
def ranking(request):
    """Xếp hạng: the PAR-index table of a criteria set and a peer group, with a chart and the export."""
    user = request.user
    today = timezone.localdate()
    sets = list(criteria_selectors.criteria_set_list())
    if not sets:
        return render(request, "scoring/ranking.html", {"sets": []})
    set_id = _int_param(request, "set")
    members = _member_units(user)
    if set_id is None:
        cs = _default_set(sets, members, today)
    else:
        cs = next((s for s in sets if s.pk == set_id), None)
        if cs is None:
            raise Http404
    groups = list(selectors.peer_groups(criteria_set=cs))
    parent_id = _int_param(request, "parent")
    if parent_id is None or parent_id not in {g.pk for g in groups}:
        parent_id = _default_group(cs, groups, members, user)
    rows = selectors.ranking(criteria_set=cs, parent_unit=parent_id)
    if parent_id is None:  # a set of top-level units: one group without a parent
        rows = rows.filter(parent_unit__isnull=True)
    rows = list(rows)
    member_ids = {u for u, _k, _p in members}
    for row in rows:
        row.can_see = permissions.can_see_breakdown(user, row.unit)
        row.mine = row.unit_id in member_ids
    export = reverse("criteria-set-export", kwargs={"pk": cs.pk, "format": "xlsx"})
    return render(
        request,
        "scoring/ranking.html",
        {
            "sets": sets,
            "cs": cs,
            "groups": groups,
            "parent": next((g for g in groups if g.pk == parent_id), None),
            "rows": rows,
            "bars": _bar_rows(rows),
            "export_url": f"{export}?parent={parent_id}" if parent_id else export,
        },
    )


@login_required
@require_GET
def unit_breakdown(request, set_id: int, unit_id: int):
    """A unit's score criterion by criterion: automatic and appraised points, the reason, the points lost
    and still to win, and the tasks behind them. Only for members of the unit or a unit above it."""
    user = request.user
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    unit = Unit.objects.select_related("parent").filter(pk=unit_id).first()
    if unit is None or unit.kind != cs.unit_kind or not permissions.can_see_breakdown(user, unit):
        raise Http404
    bd = selectors.breakdown(criteria_set=cs, unit=unit, today=timezone.localdate())
    peers = UnitScore.objects.filter(criteria_set=cs, parent_unit_id=unit.parent_id).count()
    return render(
        request,
        "scoring/breakdown.html",
        {
            "cs": cs,
            "unit": unit,
            "bd": bd,
            "score": bd.score,
            "peers": peers,
            "losses": bd.losses[:10],
            "status_tones": STATUS_TONES,
            "can_appraise": permissions.can_appraise(user, unit),
        },
    )


# --- Appraisers ---------------------------------------------------------------------------------------------


def _require_appraiser(user) -> None:
    if not permissions.user_is_appraiser(user):
        raise PermissionDenied(_("Trang thẩm định dành cho thẩm định viên."))


def _appraiser_units_q(user) -> Q:
    """Units in the subtree of a unit where the user is an appraiser (superusers: all)."""
    return permissions.appraised_units_q(user)


def _pick_set(request, sets: list[CriteriaSet], today) -> CriteriaSet:
    set_id = _int_param(request, "set")
    if set_id is not None:
        cs = next((s for s in sets if s.pk == set_id), None)
        if cs is None:
            raise Http404
        return cs
    past = [s for s in sets if s.year <= today.year] or sets
    return past[0]


@login_required
@require_GET
def appraisal_index(request):
    """Thẩm định: the units an appraiser scores on a criteria set, with where each stands."""
    user = request.user
    _require_appraiser(user)
    sets = list(criteria_selectors.criteria_set_list())
    if not sets:
        return render(request, "scoring/appraisal_index.html", {"sets": []})
    cs = _pick_set(request, sets, timezone.localdate())
    units = (
        Unit.objects.filter(kind=cs.unit_kind)
        .filter(_appraiser_units_q(user))
        .select_related("parent")
        .order_by("parent__code", "code")
    )
    page = paginate(request, units, per_page=50)
    ids = [u.pk for u in page.object_list]
    scores = {s.unit_id: s for s in UnitScore.objects.filter(criteria_set=cs, unit_id__in=ids)}
    appraised = dict(
        Appraisal.objects.filter(criteria_set=cs, unit_id__in=ids)
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("unit_id", "n")
    )
    leaves = criteria_selectors.scorable_criteria(criteria_set=cs).aggregate(
        all=Count("id"), manual=Count("id", filter=Q(rule__type="manual"))
    )
    rows = [{"unit": u, "score": scores.get(u.pk), "appraised": appraised.get(u.pk, 0)} for u in page]
    return render(
        request,
        "scoring/appraisal_index.html",
        {"sets": sets, "cs": cs, "page": page, "rows": rows, "leaves": leaves},
    )


def _survey_csv(parsed) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(services.SURVEY_HEADER)
    for unit, criterion, points in parsed:
        writer.writerow([unit.code, criterion.code, format(points, "f")])
    return out.getvalue()


def _survey_preview(cs: CriteriaSet, parsed) -> list[dict]:
    """The rows as they will be imported, beside the points stored now (one query)."""
    shown = parsed[:SURVEY_PREVIEW_ROWS]
    current = {
        (u, c): p
        for u, c, p in SurveyResult.objects.filter(
            criteria_set=cs, unit_id__in={u.pk for u, _c, _p in shown}
        ).values_list("unit_id", "criterion_id", "points")
    }
    return [
        {"unit": u, "criterion": c, "points": p, "current": current.get((u.pk, c.pk))} for u, c, p in shown
    ]


@login_required
def survey_import(request, set_id: int):
    """Import survey results in two steps: upload a file and see what it holds (or every bad row, and
    nothing imported), then confirm. The confirmation carries the checked rows, signed, so what is
    imported is exactly what was previewed."""
    user = request.user
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    _require_appraiser(user)
    form = SurveyUploadForm()
    context = {
        "cs": cs,
        "survey_leaves": criteria_selectors.scorable_criteria(criteria_set=cs).filter(rule__type="survey"),
    }
    status = 200
    if request.method == "POST" and "payload" in request.POST:
        try:
            payload = signing.loads(request.POST["payload"], salt=SURVEY_SALT, max_age=SURVEY_PREVIEW_MAX_AGE)
            if payload.get("set") != cs.pk or payload.get("user") != user.pk:
                raise signing.BadSignature
        except signing.BadSignature:
            messages.error(request, _("Bản xem trước đã hết hạn; hãy tải tệp lên lại."))
            return redirect("scoring:survey", set_id=cs.pk)
        try:
            result = services.survey_import(
                actor=user, criteria_set=cs, data=payload["csv"].encode(), filename=payload.get("name", "")
            )
        except (ValidationError, PermissionDenied) as exc:
            # The file passed at the preview; what changed since (a unit, a role) is told on the upload page.
            for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
                messages.error(request, message)
            return redirect("scoring:survey", set_id=cs.pk)
        else:
            messages.success(
                request,
                _(
                    "Đã nhập %(rows)d kết quả điều tra cho %(units)d đơn vị. Điểm và xếp hạng cập nhật "
                    "trong giây lát."
                )
                % {"rows": result.rows, "units": len(result.unit_ids)},
            )
            return redirect(f"{reverse('scoring:appraisal')}?set={cs.pk}")
    elif request.method == "POST":
        form = SurveyUploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                # Units outside the user's subtree are refused there, worded as unknown codes are.
                parsed = services.survey_parse(
                    actor=user, criteria_set=cs, data=upload.read(), filename=upload.name
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                status = 200
                context.update(
                    preview=_survey_preview(cs, parsed),
                    preview_total=len(parsed),
                    preview_units=len({u.pk for u, _c, _p in parsed}),
                    filename=upload.name,
                    payload=signing.dumps(
                        {"set": cs.pk, "user": user.pk, "csv": _survey_csv(parsed), "name": upload.name},
                        salt=SURVEY_SALT,
                        compress=True,
                    ),
                )
    context["form"] = form
    return render(request, "scoring/survey_import.html", context, status=status)


@login_required
@require_GET
def survey_template(request, set_id: int):
    """A CSV to fill in: the header, then one line per unit the appraiser scores and survey criterion."""
    user = request.user
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    _require_appraiser(user)
    codes = list(
        criteria_selectors.scorable_criteria(criteria_set=cs)
        .filter(rule__type="survey")
        .values_list("code", flat=True)
    )
    units = (
        Unit.objects.filter(kind=cs.unit_kind)
        .filter(_appraiser_units_q(user))
        .order_by("path")
        .values_list("code", flat=True)[:5000]
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(services.SURVEY_HEADER)
    for unit in units:
        for code in codes:
            # A code is user text: one starting with "=" must open as text, not run as a formula.
            writer.writerow([csv_text(unit), csv_text(code), ""])
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dieu-tra-{cs.pk}.csv"'
    return response


def _leaf_prefix(code: str) -> str:
    return "c" + code.replace(".", "_")


def _points_text(value: Decimal | None) -> str:
    """Stored points (4 decimals) as typed: 1.5000 → 1.5, 2.0000 → 2."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def _appraisal_items(data, bd, current: dict[str, Appraisal]) -> list[dict]:
    """One item per node of the breakdown; a leaf's item holds its form (bound to `data` when posted) and
    its saved appraisal."""
    items = []
    for node in bd.nodes:
        if not node.is_leaf:
            items.append({"node": node})
            continue
        saved = current.get(node.code)
        form = AppraisalLeafForm(
            data,
            prefix=_leaf_prefix(node.code),
            max_points=node.max_points,
            initial={
                "points": _points_text(saved.points if saved else None),
                "note": saved.note if saved else "",
            },
        )
        items.append({"node": node, "form": form, "saved": saved})
    return items


def _appraisal_changes(leaf_items: list[dict]) -> list[tuple[dict, Decimal | None, str]]:
    """(item, points, note) of the valid leaf forms whose points or note differ from what is saved."""
    changes = []
    for item in leaf_items:
        points = item["form"].cleaned_data["points"]
        note = (item["form"].cleaned_data["note"] or "").strip()
        saved = item["saved"]
        if saved is None and points is None:
            continue
        if saved is not None and points == saved.points and note == saved.note:
            continue
        changes.append((item, points, note))
    return changes


def _appraisals_save(*, user, cs: CriteriaSet, unit: Unit, changes: list) -> bool:
    """Save the changes together, or none of them: a refused one puts its error on its form and rolls the
    others back. True when saved."""
    failed = False
    with transaction.atomic():
        for item, points, note in changes:
            try:
                services.appraisal_set(
                    actor=user,
                    criteria_set=cs,
                    unit=unit,
                    code=item["node"].code,
                    points=points,
                    note=note,
                )
            except ValidationError as exc:
                add_service_errors(item["form"], exc, field_map={"code": "points"})
                failed = True
        if failed:
            transaction.set_rollback(True)
    return not failed


@login_required
def appraisal_unit(request, set_id: int, unit_id: int):
    """Appraisal entry for one unit: each leaf's automatic points beside a box for the appraised points
    and a note. An emptied box clears the appraisal. Everything is saved together, or nothing."""
    user = request.user
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    unit = Unit.objects.visible_to(user).select_related("parent").filter(pk=unit_id).first()
    if unit is None or unit.kind != cs.unit_kind:
        raise Http404
    if not permissions.can_appraise(user, unit):
        raise PermissionDenied(_("Chỉ thẩm định viên phụ trách đơn vị này được nhập điểm thẩm định."))
    bd = selectors.breakdown(criteria_set=cs, unit=unit, today=timezone.localdate())
    # The appraisals as stored (the breakdown's points follow them once the worker has recomputed).
    current = {
        a.criterion.code: a
        for a in Appraisal.objects.filter(criteria_set=cs, unit=unit).select_related("criterion", "appraiser")
    }
    data = request.POST if request.method == "POST" else None
    items = _appraisal_items(data, bd, current)
    status = 200
    if data is not None:
        leaf_items = [i for i in items if "form" in i]
        if all(i["form"].is_valid() for i in leaf_items):
            changes = _appraisal_changes(leaf_items)
            if _appraisals_save(user=user, cs=cs, unit=unit, changes=changes):
                if changes:
                    messages.success(
                        request,
                        _("Đã lưu %(n)d điểm thẩm định. Điểm của đơn vị cập nhật trong giây lát.")
                        % {"n": len(changes)},
                    )
                else:
                    messages.info(request, _("Không có thay đổi nào để lưu."))
                return redirect("scoring:appraisal_unit", set_id=cs.pk, unit_id=unit.pk)
        status = 400
    errors = sum(1 for i in items if "form" in i and i["form"].errors)
    return render(
        request,
        "scoring/appraisal_unit.html",
        {"cs": cs, "unit": unit, "bd": bd, "items": items, "error_count": errors},
        status=status,
    )
