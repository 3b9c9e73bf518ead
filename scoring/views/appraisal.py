"""The appraiser's pages (Thẩm định): the units they score on a criteria set, with where each stands, and
one unit's appraisal entry, saved all together or not at all."""

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
from ..models import Appraisal, UnitScore
from ._common import past_sets, require_appraiser, set_param

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
    rows = [{"unit": u, "score": scores.get(u.pk), "appraised": appraised.get(u.pk, 0)} for u in page]
    return render(
        request,
        "scoring/appraisal_index.html",
        {"sets": sets, "cs": cs, "page": page, "rows": rows, "leaves": leaves},
    )


# --- One unit's appraisal entry ----------------------------------------------------------------------------


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
        {
            "cs": cs,
            "unit": unit,
            "bd": bd,
            "items": items,
            "error_count": errors,
            "history": selectors.appraisal_history(criteria_set=cs, unit=unit),
        },
        status=status,
    )
