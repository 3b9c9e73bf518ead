"""The appraiser's pages (Thẩm định): the units they score on a criteria set, with where each stands, and
one unit's appraisal entry beside what the unit said in its self-assessment, saved all together or not at
all, with its bonus and penalty."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from criteria import selectors as criteria_selectors
from criteria.models import CriteriaSet
from org.models import Unit
from org.web import add_service_errors, paginate

from .. import permissions, selectors, services
from ..forms import AppraisalLeafForm
from ..forms_round import AdjustmentForm
from ..models import Adjustment, Appraisal, UnitScore
from ._common import past_sets, require_appraiser, set_param
from .round import STATUS_LABELS, STATUS_TONES

# --- The units to appraise ---------------------------------------------------------------------------------


@login_required
@require_GET
def appraisal_index(request):
    """Thẩm định: the units an appraiser scores on a criteria set, with where each stands."""
    user = request.user
    require_appraiser(user)
    sets = list(criteria_selectors.criteria_set_list())
    if not sets:
        return render(request, "scoring/appraisal_index.html", {"sets": []})
    cs = set_param(request, sets) or past_sets(sets, timezone.localdate())[0]
    units = (
        Unit.objects.filter(kind=cs.unit_kind)
        .filter(permissions.appraised_units_q(user))
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
    progress = {r.unit.pk: r for r in selectors.round_progress(criteria_set=cs, units=ids)}
    rows = [
        {
            "unit": u,
            "score": scores.get(u.pk),
            "appraised": appraised.get(u.pk, 0),
            "sheet": _sheet_status(progress.get(u.pk)),
        }
        for u in page
    ]
    return render(
        request,
        "scoring/appraisal_index.html",
        {
            "sets": sets,
            "cs": cs,
            "page": page,
            "rows": rows,
            "leaves": leaves,
            "round_open": bool(progress),
        },
    )


def _sheet_status(row) -> dict | None:
    """A unit's self-assessment status as the round page shows it (label and tone), None without one."""
    if row is None:
        return None
    return {"label": STATUS_LABELS[row.status], "tone": STATUS_TONES[row.status], "status": row.status}


# --- One unit's appraisal entry ----------------------------------------------------------------------------


def _leaf_prefix(code: str) -> str:
    return "c" + code.replace(".", "_")


def _points_text(value: Decimal | None) -> str:
    """Stored points (4 decimals) as typed: 1.5000 → 1.5, 2.0000 → 2."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def _appraisal_items(data, bd, current: dict[str, Appraisal], sheet) -> list[dict]:
    """One item per node of the breakdown; a leaf's item holds its form (bound to `data` when posted), its
    saved appraisal and what the unit said about it (its sheet entry: own points, explanation, evidence,
    answer)."""
    said = {leaf.code: leaf for leaf in sheet.leaves}
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
        items.append({"node": node, "form": form, "saved": saved, "leaf": said.get(node.code)})
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


def _appraisals_save(*, user, cs: CriteriaSet, unit: Unit, changes: list) -> tuple[bool, str]:
    """Save the changes together, or none of them: a refused one puts its error on its form and rolls the
    others back. (saved, a page-level error: the round no longer takes appraisals). The unit's scores are
    then recomputed once, whatever the number of leaves saved."""
    failed = False
    try:
        with transaction.atomic(), services.scores_requests_batched():
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
    except services.RoundError as exc:
        return False, str(exc)
    return not failed, ""


def _appraise(request, cs: CriteriaSet, unit: Unit, items: list[dict]) -> tuple[bool, str, int]:
    """The posted appraisals: (done, page-level error, status)."""
    leaf_items = [i for i in items if "form" in i]
    if not all(i["form"].is_valid() for i in leaf_items):
        return False, "", 400
    changes = _appraisal_changes(leaf_items)
    saved, error = _appraisals_save(user=request.user, cs=cs, unit=unit, changes=changes)
    if not saved:
        return False, error, 409 if error else 400
    if changes:
        messages.success(
            request,
            _("Đã lưu %(n)d điểm thẩm định. Điểm của đơn vị cập nhật trong giây lát.") % {"n": len(changes)},
        )
    else:
        messages.info(request, _("Không có thay đổi nào để lưu."))
    return True, "", 302


def _adjustment_form(cs: CriteriaSet, row: Adjustment | None, data) -> AdjustmentForm | None:
    """The bonus and penalty form, where the set allows them (None otherwise)."""
    if not cs.allows_adjustments:
        return None
    initial = {"bonus": "", "penalty": "", "note": ""}
    if row is not None:
        initial = {"bonus": _points_text(row.bonus), "penalty": _points_text(row.penalty), "note": row.note}
    return AdjustmentForm(data, prefix="adj", criteria_set=cs, initial=initial)


def _adjust(request, cs: CriteriaSet, unit: Unit, form: AdjustmentForm | None) -> tuple[bool, str, int]:
    """The posted bonus and penalty, through `services.adjustment_set`: (done, page-level error, status)."""
    if form is None:
        return False, _("Bộ tiêu chí này không có điểm thưởng, điểm trừ."), 400
    if not form.is_valid():
        return False, "", 400
    data = form.cleaned_data
    try:
        services.adjustment_set(
            actor=request.user,
            criteria_set=cs,
            unit=unit,
            bonus=data.get("bonus"),
            penalty=data.get("penalty"),
            note=data.get("note", ""),
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False, "", 400
    except services.RoundError as exc:
        return False, str(exc), 409
    messages.success(request, _("Đã lưu điểm thưởng, điểm trừ. Điểm của đơn vị cập nhật trong giây lát."))
    return True, "", 302


def _appraised_unit(user, set_id: int, unit_id: int) -> tuple[CriteriaSet, Unit]:
    """The set and a unit of its kind the user may see (else 404) and appraise (else 403)."""
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    unit = Unit.objects.visible_to(user).select_related("parent").filter(pk=unit_id).first()
    if unit is None or unit.kind != cs.unit_kind:
        raise Http404
    if not permissions.can_appraise(user, unit):
        raise PermissionDenied(_("Chỉ thẩm định viên phụ trách đơn vị này được nhập điểm thẩm định."))
    return cs, unit


@login_required
def appraisal_unit(request, set_id: int, unit_id: int):
    """Appraisal entry for one unit: each leaf's automatic points and what the unit said (its own points,
    explanation, evidence, answer) beside a box for the appraised points and a note; an emptied box clears
    the appraisal; everything is saved together, or nothing. Then the bonus and penalty, where the set
    allows them. Read-only once the results are published."""
    user = request.user
    cs, unit = _appraised_unit(user, set_id, unit_id)
    bd = selectors.breakdown(criteria_set=cs, unit=unit, today=timezone.localdate())
    sheet = selectors.self_assessment_sheet(criteria_set=cs, unit=unit, breakdown=bd)
    # The appraisals as stored (the breakdown's points follow them once the worker has recomputed).
    current = {
        a.criterion.code: a
        for a in Appraisal.objects.filter(criteria_set=cs, unit=unit).select_related("criterion", "appraiser")
    }
    data = request.POST if request.method == "POST" else None
    adjusting = data is not None and "adjustment" in data
    items = _appraisal_items(None if adjusting else data, bd, current, sheet)
    adjustment = Adjustment.objects.filter(criteria_set=cs, unit=unit).first()
    adjust_form = _adjustment_form(cs, adjustment, data if adjusting else None)
    error, status = "", 200
    if data is not None:
        handle = _adjust(request, cs, unit, adjust_form) if adjusting else _appraise(request, cs, unit, items)
        done, error, status = handle
        if done:
            return redirect("scoring:appraisal_unit", set_id=cs.pk, unit_id=unit.pk)
    return render(
        request,
        "scoring/appraisal_unit.html",
        {
            "cs": cs,
            "unit": unit,
            "bd": bd,
            "sheet": sheet,
            "items": items,
            "error": error,
            "error_count": sum(1 for i in items if "form" in i and i["form"].errors),
            "adjust_form": adjust_form,
            "adjustment": adjustment,
            "published": sheet.round.is_published,
            "history": selectors.appraisal_history(criteria_set=cs, unit=unit),
        },
        status=status,
    )
