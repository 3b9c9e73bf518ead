"""Server-rendered plan pages: list, create, edit, issue, close. The plan page itself, with its tasks and
progress, is in `tasks.views` (plans may not import tasks). Writes go through `plans.services`."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_fsm import ConcurrentTransition

from org.web import add_service_errors, paginate

from . import services
from .forms import PlanFilterForm, PlanForm, manageable_units
from .models import Plan, PlanState
from .permissions import can_manage_plan


def _visible_task_count(user):
    """How many of the plan's tasks the user may see, through `Task.visible_to` (the one scoping rule), as a
    correlated count: evaluated only for the page of plans shown. `tasks` is reached through the app
    registry, as `PlanQuerySet` does: plans do not import it."""
    Task = apps.get_model("tasks", "Task")
    counts = (
        Task.objects.visible_to(user)
        .filter(plan=OuterRef("pk"))
        .order_by()
        .values("plan")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts), 0)


def _get_plan(request, pk):
    return get_object_or_404(Plan.objects.visible_to(request.user).select_related("owner_unit"), pk=pk)


@login_required
@require_GET
def plan_list(request):
    form = PlanFilterForm(request.GET or None)
    qs = (
        Plan.objects.visible_to(request.user)
        .select_related("owner_unit", "criteria_set")
        .annotate(task_count=_visible_task_count(request.user))
        .order_by("-year", "owner_unit__code", "number")
    )
    qs = form.filter(qs)
    return render(
        request,
        "plans/plan_list.html",
        {
            "filter_form": form,
            "page": paginate(request, qs),
            "can_create": manageable_units(request.user).exists(),
        },
    )


@login_required
def plan_create(request):
    if not manageable_units(request.user).exists():
        raise PermissionDenied
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = services.plan_create(
                actor=request.user,
                owner_unit=d["owner_unit"],
                number=d["number"].strip(),
                title=d["title"].strip(),
                year=d["year"],
                issued_on=d["issued_on"],
                criteria_set=d["criteria_set"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Đã tạo kế hoạch %(number)s (dự thảo).") % {"number": plan.number})
            return redirect("tasks:plan_detail", pk=plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "plan": None})


@login_required
def plan_edit(request, pk: int):
    plan = _get_plan(request, pk)
    if not can_manage_plan(request.user, plan):
        raise PermissionDenied
    if plan.state == PlanState.CLOSED:
        messages.error(request, _("Kế hoạch đã kết thúc nên không sửa được."))
        return redirect("tasks:plan_detail", pk=plan.pk)
    initial = {
        f: getattr(plan, f) for f in ("owner_unit", "number", "title", "year", "issued_on", "criteria_set")
    }
    form = PlanForm(request.POST or None, user=request.user, plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        fields = {k: d[k] for k in ("number", "title", "year", "issued_on")}
        fields["number"], fields["title"] = fields["number"].strip(), fields["title"].strip()
        if not form.fields["criteria_set"].disabled:
            fields["criteria_set"] = d["criteria_set"]
        try:
            services.plan_update(actor=request.user, plan=plan, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except services.PlanTransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Đã lưu kế hoạch."))
            return redirect("tasks:plan_detail", pk=plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "plan": plan})


TRANSITIONS = {"issue": services.plan_issue, "close": services.plan_close}


@login_required
@require_POST
def plan_transition(request, pk: int, action: str):
    if action not in TRANSITIONS:
        raise Http404
    plan = _get_plan(request, pk)
    if not can_manage_plan(request.user, plan):
        raise PermissionDenied
    try:
        TRANSITIONS[action](actor=request.user, plan=plan)
    except services.PlanTransitionError as exc:
        messages.error(request, str(exc))
    except ConcurrentTransition:
        messages.error(request, _("Kế hoạch vừa được người khác thay đổi; hãy xem lại rồi thử lại."))
    else:
        messages.success(
            request,
            _("Đã ban hành kế hoạch; có thể giao các nhiệm vụ.")
            if action == "issue"
            else _("Đã kết thúc kế hoạch."),
        )
    return redirect("tasks:plan_detail", pk=plan.pk)
