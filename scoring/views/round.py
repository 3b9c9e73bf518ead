"""The assessment round's page (Kỳ đánh giá, SPEC §3a): where a criteria set's round stands (its stage among
the six, deadlines, decision, version, units by self-assessment status), the next step for those who run it
(one form with exactly the fields that step needs), every unit's progress for those who follow it, and the
published versions with their exports.

Every signed-in user may look at a round (criteria sets are public, SPEC §1); the progress table is for
`permissions.can_see_round_progress`, and only the units the user may see. The steps go through
`services.round_step`, which decides: a refused step is shown next to its field (400), a step the round
has moved past says so (409), a step taken redirects back with a message. A constant number of queries,
however many units.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from criteria.models import CriteriaSet
from org.models import Role, Unit
from org.selectors import user_memberships
from org.web import add_service_errors, paginate

from .. import permissions, selectors, services
from ..forms_round import RoundStepForm
from ..models import Round, RoundAction, RoundState
from ._common import optional_url

#: A unit's self-assessment status as the progress table shows it (`selectors.ProgressRow.status`), with
#: the tone of its badge (the task lists' colours: grey, amber, green, purple for late).
STATUS_LABELS = {
    "not_started": gettext_lazy("Chưa bắt đầu"),
    "draft": gettext_lazy("Đang tự đánh giá"),
    "submitted": gettext_lazy("Đã gửi"),
    "late": gettext_lazy("Nộp muộn"),
}
STATUS_TONES = {
    "not_started": "tone-cancelled",
    "draft": "tone-due_soon",
    "submitted": "tone-done_on_time",
    "late": "tone-done_late",
}
PROGRESS_PAGE = 50


def round_steps(rnd: Round) -> list[dict]:
    """The six stages in order, each marked done, current or to come."""
    states = list(RoundState)
    current = states.index(RoundState(rnd.state))
    return [
        {"state": s.value, "label": s.label, "done": i < current, "current": i == current}
        for i, s in enumerate(states)
    ]


def step_forms(user, cs: CriteriaSet, rnd: Round, bound: RoundStepForm | None = None) -> list[RoundStepForm]:
    """A form per step the round's state machine allows now and the user may take (a correction:
    `can_correct_round`; the others: `can_run_round`); `bound` replaces the form of its step."""
    forms = []
    for transition in rnd.get_available_state_transitions():
        name = transition.name
        allowed = permissions.can_correct_round if name == RoundAction.CORRECT else permissions.can_run_round
        if not allowed(user, cs):
            continue
        forms.append(bound if bound is not None and bound.action == name else RoundStepForm(action=name))
    return forms


def _success(rnd: Round, action: str) -> str:
    if action == RoundAction.PUBLISH:
        return _("Đã công bố kết quả theo Quyết định số %(number)s ngày %(day)s (phiên bản %(v)d).") % {
            "number": rnd.decision_number,
            "day": date_format(rnd.decided_on, "d/m/Y"),
            "v": rnd.version,
        }
    return _("Kỳ đánh giá đã chuyển sang giai đoạn “%(state)s”.") % {"state": rnd.get_state_display()}


def _take_step(request, cs: CriteriaSet, form: RoundStepForm) -> tuple[bool, str, int]:
    """Take the posted step through the service: (done, page-level error, status)."""
    if form.action not in RoundAction.values:
        return False, _("Bước không hợp lệ: %(action)s.") % {"action": form.action}, 400
    if not form.is_valid():
        return False, "", 400
    try:
        rnd = services.round_step(
            actor=request.user, criteria_set=cs, action=form.action, fields=form.step_fields()
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False, "", 400
    except services.RoundError as exc:
        return False, str(exc), 409
    messages.success(request, _success(rnd, form.action))
    return True, "", 302


@dataclass
class UnitProgress:
    unit: Unit
    status: str
    submitted_at: object
    can_open: bool  # may the reader open the unit's sheet

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def tone(self) -> str:
        return STATUS_TONES[self.status]


def _progress(request, cs: CriteriaSet):
    """The page of the reader's units (50 a page, by parent and code) with their self-assessment status:
    three queries (count, units, self-assessments)."""
    user = request.user
    units = (
        selectors.scored_units(cs).visible_to(user).select_related("parent").order_by("parent__code", "code")
    )
    page = paginate(request, units, per_page=PROGRESS_PAGE)
    found = {r.unit.pk: r for r in selectors.round_progress(criteria_set=cs, units=[u.pk for u in page])}
    rows = []
    for u in page:
        row = found.get(u.pk)
        rows.append(
            UnitProgress(
                unit=u,
                status=row.status if row else "not_started",
                submitted_at=row.submitted_at if row else None,
                can_open=permissions.can_see_breakdown(user, u),
            )
        )
    return page, rows


def _counts(cs: CriteriaSet) -> dict[str, int]:
    """Units by status, each counted once (submitted on time, late, started, not started)."""
    c = selectors.round_unit_counts(cs)
    return {
        "submitted": c["submitted"] - c["late"],
        "late": c["late"],
        "draft": c["draft"] - c["not_started"],
        "not_started": c["not_started"],
        "total": c["submitted"] + c["draft"],
    }


def own_sheets(user, cs: CriteriaSet) -> list[Unit]:
    """The units the user leads (in the unit itself) that are scored on the set: their self-assessments.
    One query."""
    ids = [u for u, _p, r in user_memberships(user) if r == Role.LEADER]
    if not ids:
        return []
    return [u for u in Unit.objects.filter(pk__in=ids).order_by("code") if selectors.is_scored_on(cs, u)]


def _versions(cs: CriteriaSet) -> list[dict]:
    return [
        {
            "result": r,
            "xlsx": optional_url("scoring:published_xlsx", cs.pk, r.version),
            "pdf": optional_url("scoring:published_pdf", cs.pk, r.version),
        }
        for r in selectors.published_results(cs)
    ]


@login_required
def round_page(request, set_id: int):
    """Kỳ đánh giá: the round of a criteria set, its next step for those who run it, the units' progress."""
    user = request.user
    cs = get_object_or_404(CriteriaSet.objects.select_related("owner_unit"), pk=set_id)
    bound, error, status = None, "", 200
    if request.method == "POST":
        bound = RoundStepForm(request.POST, action=request.POST.get("step", ""))
        done, error, status = _take_step(request, cs, bound)
        if done:
            return redirect("scoring:round", set_id=cs.pk)
    rnd = selectors.round_read(cs)
    forms = step_forms(user, cs, rnd, bound)
    if bound is not None and bound.errors and bound not in forms:
        # A step no longer offered (the round moved on): its refusal is said at the top of the page.
        error = error or " ".join(str(m) for errors in bound.errors.values() for m in errors)
    context = {
        "cs": cs,
        "rnd": rnd,
        "steps": round_steps(rnd),
        "forms": forms,
        "error": error,
        "counts": _counts(cs),
        "versions": _versions(cs),
        "own_sheets": own_sheets(user, cs),
        "is_appraiser": permissions.user_is_appraiser(user),
    }
    context["show_progress"] = permissions.can_see_round_progress(user, cs)
    if context["show_progress"]:
        context["page"], context["rows"] = _progress(request, cs)
        context["history"] = selectors.round_history(cs)
    return render(request, "scoring/round.html", context, status=status)
