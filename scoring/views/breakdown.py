"""A unit's score breakdown: criterion by criterion, the automatic and appraised points, the reason, the
points lost and still to win, and the tasks behind them; from it, its leader creates the improvement plan
(kế hoạch khắc phục) in one step. The XLSX score sheets of many units are the API's export
(`scoring.api.views`, `scoring.xlsx`); the page's printed report is `unit_breakdown_pdf`
(`scoring.reports`)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from criteria.models import CriteriaSet
from org.documents import PDF_CONTENT_TYPE
from org.models import Unit
from org.web import add_service_errors
from tasks.choices import TaskStatus, TaskTone

from .. import permissions, reports, selectors, services
from ..models import UnitScore

#: How a linked task's scoring status is coloured, in the tones of the task lists.
STATUS_TONES = {
    TaskStatus.ON_TIME: TaskTone.DONE_ON_TIME,
    TaskStatus.LATE: TaskTone.DONE_LATE,
    TaskStatus.OVERDUE: TaskTone.OVERDUE,
    TaskStatus.PENDING: TaskTone.IN_TIME,
}


class ImprovementPlanForm(forms.Form):
    """The improvement plan's few choices; the service checks the rest (who, the number, the leaves)."""

    number = forms.CharField(label=gettext_lazy("Số hiệu kế hoạch"), max_length=64)
    target_set = forms.ModelChoiceField(
        label=gettext_lazy("Gắn với bộ tiêu chí"), queryset=CriteriaSet.objects.none(), required=False
    )
    due_date = forms.DateField(
        label=gettext_lazy("Hạn hoàn thành"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_set"].queryset = CriteriaSet.objects.filter(unit_kind=unit.kind).order_by(
            "-year", "code"
        )


def _unit_or_404(user, cs: CriteriaSet, unit_id: int) -> Unit:
    unit = Unit.objects.select_related("parent").filter(pk=unit_id).first()
    if unit is None or not selectors.is_scored_on(cs, unit) or not permissions.can_see_breakdown(user, unit):
        raise Http404
    return unit


@login_required
@require_http_methods(["GET", "POST"])
def unit_breakdown(request, set_id: int, unit_id: int):
    """A unit's score criterion by criterion: automatic and appraised points, the reason, the points lost
    and still to win, and the tasks behind them. Only for members of the unit or a unit above it. A POST
    (from the same page, so a reload never answers 405) creates the unit's improvement plan."""
    user = request.user
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    unit = _unit_or_404(user, cs, unit_id)
    may_improve = permissions.can_self_assess(user, unit)
    initial = {"target_set": cs.pk, "due_date": timezone.localdate() + dt.timedelta(days=60)}
    form = ImprovementPlanForm(request.POST or None, unit=unit, initial=initial)
    status = 200
    if request.method == "POST":
        plan = _improvement_plan(request, form, cs, unit)
        if plan is not None:
            messages.success(
                request,
                _("Đã lập kế hoạch khắc phục %(number)s (dự thảo) với %(n)d nhiệm vụ.")
                % {"number": plan.number, "n": plan.tasks.count()},
            )
            return redirect("plans:detail", plan.pk)
        status = 400
    bd = selectors.breakdown(criteria_set=cs, unit=unit, today=timezone.localdate())
    peers = UnitScore.objects.filter(criteria_set=cs, parent_unit_id=unit.parent_id).count()
    context = {
        "cs": cs,
        "unit": unit,
        "bd": bd,
        "score": bd.score,
        "peers": peers,
        "losses": bd.losses[:10],
        "status_tones": STATUS_TONES,
        "can_appraise": permissions.can_appraise(user, unit),
        "improvement_form": form if may_improve else None,
        "round": selectors.round_read(cs),
    }
    return render(request, "scoring/breakdown.html", context, status=status)


def _improvement_plan(request, form: ImprovementPlanForm, cs: CriteriaSet, unit: Unit):
    """Create the plan from a valid form through the service; its refusals land on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.improvement_plan_create(
            actor=request.user,
            unit=unit,
            criteria_set=cs,
            target_set=data["target_set"],
            due_date=data["due_date"],
            number=data["number"],
        )
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    except ValidationError as exc:
        add_service_errors(form, exc)
    return None


@login_required
@require_GET
def unit_breakdown_pdf(request, set_id: int, unit_id: int):
    """In báo cáo (PDF): the breakdown as an official report, for the same users as the page (404 for the
    others: `permissions.can_see_breakdown`)."""
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    unit = _unit_or_404(request.user, cs, unit_id)
    now = timezone.now()
    today = timezone.localdate(now)
    bd = selectors.breakdown(criteria_set=cs, unit=unit, today=today)
    peers = UnitScore.objects.filter(criteria_set=cs, parent_unit_id=unit.parent_id).count()
    content = reports.breakdown_pdf(
        bd=bd, peers=peers, published=selectors.is_published(cs), today=today, now=now
    )
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{reports.breakdown_filename(cs, unit, today)}"'
    response["Cache-Control"] = "private, no-store"
    return response
