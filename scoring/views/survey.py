"""The survey import (Điều tra xã hội học) in two steps, upload with a preview then confirm, and the CSV
template an appraiser fills in."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from criteria import selectors as criteria_selectors
from criteria.models import CriteriaSet
from org.models import Unit
from org.spreadsheet import csv_text
from org.web import add_service_errors

from .. import permissions, services
from ..forms import SurveyUploadForm
from ..models import SurveyResult
from ._common import require_appraiser

SURVEY_SALT = "scoring.survey-preview"
SURVEY_PREVIEW_MAX_AGE = 3600  # seconds between the preview and the confirmation
SURVEY_PREVIEW_ROWS = 500  # rows shown in the preview (all of them are imported)
#: The template's last column: the unit's name beside its code, for the reader only (the import ignores it).
SURVEY_TEMPLATE_NAME_COLUMN = "unit_name"


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


def _survey_confirm(request, cs: CriteriaSet):
    """Step two: import the rows the signed preview carries (refused when expired or not this user's)."""
    user = request.user
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
    messages.success(
        request,
        _("Đã nhập %(rows)d kết quả điều tra cho %(units)d đơn vị. Điểm và xếp hạng cập nhật trong giây lát.")
        % {"rows": result.rows, "units": len(result.unit_ids)},
    )
    return redirect(f"{reverse('scoring:appraisal')}?set={cs.pk}")


def _survey_upload(request, cs: CriteriaSet, context: dict) -> tuple[SurveyUploadForm, int]:
    """Step one: check the uploaded file whole. Valid: the preview and its signed payload go into
    `context` (200); refused: every bad row on the form, nothing imported (400)."""
    form = SurveyUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return form, 400
    upload = form.cleaned_data["file"]
    try:
        # Units outside the user's subtree are refused there, worded as unknown codes are.
        parsed = services.survey_parse(
            actor=request.user, criteria_set=cs, data=upload.read(), filename=upload.name
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return form, 400
    context.update(
        preview=_survey_preview(cs, parsed),
        preview_total=len(parsed),
        preview_units=len({u.pk for u, _c, _p in parsed}),
        filename=upload.name,
        payload=signing.dumps(
            {"set": cs.pk, "user": request.user.pk, "csv": _survey_csv(parsed), "name": upload.name},
            salt=SURVEY_SALT,
            compress=True,
        ),
    )
    return form, 200


@login_required
def survey_import(request, set_id: int):
    """Import survey results in two steps: upload a file and see what it holds (or every bad row, and
    nothing imported), then confirm. The confirmation carries the checked rows, signed, so what is
    imported is exactly what was previewed."""
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    require_appraiser(request.user)
    if request.method == "POST" and "payload" in request.POST:
        return _survey_confirm(request, cs)
    context = {
        "cs": cs,
        "survey_leaves": criteria_selectors.scorable_criteria(criteria_set=cs).filter(rule__type="survey"),
    }
    if request.method == "POST":
        form, status = _survey_upload(request, cs, context)
    else:
        form, status = SurveyUploadForm(), 200
    context["form"] = form
    return render(request, "scoring/survey_import.html", context, status=status)


@login_required
@require_GET
def survey_template(request, set_id: int):
    """A CSV to fill in: the header, then one line per unit the appraiser scores and survey criterion, the
    unit's name in a last column for the person filling it in (`unit_name`: the import reads the first three
    columns and ignores it, so the filled-in template and a file without it import alike)."""
    user = request.user
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    require_appraiser(user)
    codes = list(
        criteria_selectors.scorable_criteria(criteria_set=cs)
        .filter(rule__type="survey")
        .values_list("code", flat=True)
    )
    units = (
        Unit.objects.filter(kind=cs.unit_kind)
        .filter(permissions.appraised_units_q(user))
        .order_by("path")
        .values_list("code", "name")[:5000]
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*services.SURVEY_HEADER, SURVEY_TEMPLATE_NAME_COLUMN])
    for unit_code, unit_name in units:
        for code in codes:
            # Codes and names are user text: one starting with "=" must open as text, not run as a formula.
            writer.writerow([csv_text(unit_code), csv_text(code), "", csv_text(unit_name)])
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dieu-tra-{cs.pk}.csv"'
    return response
