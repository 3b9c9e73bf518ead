"""A unit's self-assessment page (Tự đánh giá, SPEC §3a) and the download of its criterion evidence.

The page is the unit's score sheet, leaf by leaf: the automatic points with their reason and tasks, the
unit's self points (`manual` leaves) and explanation, its evidence, the appraised points and note, the final
points. While the self-assessment is open, the unit's leaders edit it here: one "Lưu" saves every leaf and
every file chosen, all or nothing, through `services.self_assessment_leaf_save` and
`services.criterion_evidence_add` (a refused leaf shows the service's message at that leaf and nothing is
kept); "Gửi" submits it (`services.self_assessment_submit`). In the explanation stage the page lists only
the leaves appraised below the unit's own points, each with its answer (`services.explanation_answer`).

Members of the unit or a unit above it see it (`permissions.can_see_breakdown`, else 404); its leaders
edit it (`permissions.can_self_assess`). The services decide everything else: the page only asks them to
know whether to draw inputs. The form posts to the page's own URL: a reload never meets a 405.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from criteria.models import CriteriaSet
from org.models import Unit
from org.web import add_service_errors
from tasks.files import evidence_file_response

from .. import permissions, selectors, services
from ..forms_round import AnswerLeafForm, SheetLeafForm
from ..models import CriterionEvidence, RoundState, SelfAssessmentState

EDIT, EXPLAIN, READ = "edit", "explain", "read"


def _prefix(code: str) -> str:
    return "c" + code.replace(".", "_")


def points_text(value: Decimal | None) -> str:
    """Stored points (4 decimals) as typed: 1.5000 → 1.5, 2.0000 → 2."""
    return "" if value is None else format(value.normalize(), "f")


def sheet_of(cs: CriteriaSet, unit: Unit):
    """The unit's score sheet (`selectors.self_assessment_sheet` over its breakdown): ten queries."""
    bd = selectors.breakdown(criteria_set=cs, unit=unit, today=timezone.localdate())
    return selectors.self_assessment_sheet(criteria_set=cs, unit=unit, breakdown=bd)


def _mode(user, sheet, now) -> tuple[str, bool]:
    """(what the page shows, whether the user may write it now): the explanation's leaves in that stage,
    else the whole sheet; writable by the unit's leaders while the stage and its deadline allow."""
    rnd, leader = sheet.round, permissions.can_self_assess(user, sheet.unit)
    if rnd.state == RoundState.EXPLANATION:
        return EXPLAIN, leader and not services.is_past(rnd.explanation_until, now)
    open_ = rnd.state == RoundState.SELF_ASSESSMENT and sheet.state != SelfAssessmentState.SUBMITTED
    writable = leader and open_ and not services.is_past(rnd.self_assessment_until, now)
    return (EDIT if open_ else READ), writable


def _items(sheet, mode: str, writable: bool, data=None, files=None) -> list[dict]:
    """What the page lists: every criterion (groups as headings) with each leaf's sheet entry and, when
    the user may write, its form; in the explanation stage only the leaves awaiting an answer."""
    if mode == EXPLAIN:
        leaves = [{"leaf": leaf} for leaf in sheet.explained]
    else:
        by_code = {leaf.code: leaf for leaf in sheet.leaves}
        leaves = [{"leaf": by_code[n.code]} if n.is_leaf else {"node": n} for n in sheet.breakdown.nodes]
    if not writable:
        return leaves
    for item in leaves:
        leaf = item.get("leaf")
        if leaf is None:
            continue
        if mode == EXPLAIN:
            item["form"] = AnswerLeafForm(
                data, files, prefix=_prefix(leaf.code), initial={"answer": leaf.answer}
            )
        else:
            item["form"] = SheetLeafForm(
                data,
                files,
                prefix=_prefix(leaf.code),
                manual=leaf.is_manual,
                initial={"self_points": points_text(leaf.self_points), "explanation": leaf.explanation},
            )
    return leaves


def _leaf_changes(form, leaf) -> dict:
    """The service's keyword arguments for what the form changes on the leaf (nothing: {})."""
    changes = {}
    if "self_points" in form.fields and form.cleaned_data["self_points"] != leaf.self_points:
        changes["self_points"] = form.cleaned_data["self_points"]
    text = (form.cleaned_data.get("explanation") or "").strip()
    if text != leaf.explanation:
        changes["explanation"] = text
    return changes


def _save_leaf(user, sheet, item: dict, mode: str, stored: list) -> int:
    """Save one leaf's form through the services: the number of changes written. A refusal goes on the
    form and raises ValidationError again for the caller to roll everything back."""
    form, leaf = item["form"], item["leaf"]
    where = {"actor": user, "criteria_set": sheet.criteria_set, "unit": sheet.unit, "code": leaf.code}
    written = 0
    try:
        if mode == EDIT:
            changes = _leaf_changes(form, leaf)
            if changes:
                services.self_assessment_leaf_save(**where, **changes)
                written += 1
        else:
            answer = (form.cleaned_data["answer"] or "").strip()
            if answer != leaf.answer:
                services.explanation_answer(**where, text=answer)
                written += 1
        upload = form.cleaned_data.get("file")
        if upload:
            stored.append(
                services.criterion_evidence_add(
                    **where, file=upload, doc_number=form.cleaned_data["doc_number"]
                )
            )
            written += 1
    except ValidationError as exc:
        add_service_errors(form, exc, field_map={"text": "answer"})
        raise
    return written


def _save_all(user, sheet, items: list[dict], mode: str) -> tuple[int | None, str]:
    """Every leaf's changes together, or none: (changes written, or None when refused; a page-level error).
    Files stored before a later refusal are removed with the rolled-back rows."""
    stored: list[CriterionEvidence] = []
    written, failed, error = 0, False, ""
    try:
        with transaction.atomic():
            for item in items:
                try:
                    written += _save_leaf(user, sheet, item, mode, stored)
                except ValidationError:
                    failed = True
            if failed:
                transaction.set_rollback(True)
    except services.RoundError as exc:
        failed, error = True, str(exc)
    if failed:
        for evidence in stored:
            evidence.file.storage.delete(evidence.file.name)
        return None, error
    return written, ""


def _submit(request, sheet) -> tuple[bool, str, int]:
    try:
        services.self_assessment_submit(actor=request.user, criteria_set=sheet.criteria_set, unit=sheet.unit)
    except services.RoundError as exc:
        return False, str(exc), 409
    except ValidationError as exc:
        return False, " ".join(exc.messages), 400
    messages.success(request, _("Đã gửi bản tự đánh giá. Bản tự đánh giá không sửa được nữa."))
    return True, "", 302


def _post(request, sheet, items: list[dict], mode: str) -> tuple[bool, str, int]:
    """Handle a POST: (done, page-level error, status)."""
    if "submit" in request.POST:
        return _submit(request, sheet)
    forms = [i["form"] for i in items if "form" in i]
    if not forms:
        if not permissions.can_self_assess(request.user, sheet.unit):
            raise PermissionDenied(_("Chỉ lãnh đạo của đơn vị mới tự đánh giá và giải trình cho đơn vị."))
        # The stage or its deadline has passed since the page was drawn: the services would refuse it all.
        return False, _("Không thể lưu: bản tự đánh giá hiện không sửa được."), 409
    if not all(f.is_valid() for f in forms):
        return False, "", 400
    written, error = _save_all(request.user, sheet, [i for i in items if "form" in i], mode)
    if written is None:
        return False, error, 409 if error else 400
    if written:
        messages.success(request, _("Đã lưu %(n)d thay đổi.") % {"n": written})
    else:
        messages.info(request, _("Không có thay đổi nào để lưu."))
    return True, "", 302


def _scored_unit(request, cs: CriteriaSet, unit_id: int) -> Unit:
    unit = Unit.objects.select_related("parent").filter(pk=unit_id).first()
    if (
        unit is None
        or not selectors.is_scored_on(cs, unit)
        or not permissions.can_see_breakdown(request.user, unit)
    ):
        raise Http404
    return unit


@login_required
def self_assessment(request, set_id: int, unit_id: int):
    """Tự đánh giá: a unit's score sheet on a set, edited by its leaders while the round allows."""
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    unit = _scored_unit(request, cs, unit_id)
    now = timezone.now()
    sheet = sheet_of(cs, unit)
    mode, writable = _mode(request.user, sheet, now)
    error, status = "", 200
    saving = request.method == "POST" and "submit" not in request.POST
    items = _items(sheet, mode, writable, *((request.POST, request.FILES) if saving else ()))
    if request.method == "POST":
        done, error, status = _post(request, sheet, items, mode)
        if done:
            return redirect("scoring:self_assessment", set_id=cs.pk, unit_id=unit.pk)
    errors = sum(1 for i in items if "form" in i and i["form"].errors)
    return render(
        request,
        "scoring/self_assessment.html",
        {
            "cs": cs,
            "unit": unit,
            "sheet": sheet,
            "rnd": sheet.round,
            "score": sheet.breakdown.score,
            "mode": mode,
            "writable": writable,
            "can_submit": writable and mode == EDIT,
            "items": items,
            "error": error,
            "error_count": errors,
            "can_appraise": permissions.can_appraise(request.user, unit),
        },
        status=status,
    )


@login_required
@require_GET
def criterion_evidence(request, evidence_id: int):
    """A criterion evidence file, for those who may see the unit's breakdown (404 otherwise), served as
    task evidence is (an attachment, never rendered by the browser)."""
    evidence = CriterionEvidence.objects.select_related("unit").filter(pk=evidence_id).first()
    if evidence is None or not permissions.can_see_breakdown(request.user, evidence.unit):
        raise Http404
    return evidence_file_response(evidence)
