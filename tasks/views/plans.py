"""The plan pages: the list (with each plan's task count), create, edit, issue and close, the plan page
(its progress by unit and its task list), the XLSX import of tasks with its template, the XLSX export, and
assigning every draft in one go. They live in `tasks` because they show tasks and plans may not import
tasks; their URLs are `tasks/plan_urls.py` (namespace `plans`, under /plans/) and their templates
`tasks/templates/plans/`. Writes go through `plans.services` and `tasks.services`, which decide who may."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_fsm import ConcurrentTransition

from org.documents import PDF_CONTENT_TYPE, vn_date_line, vn_place_name
from org.models import Unit
from org.web import add_service_errors, paginate
from plans import services as plan_services
from plans.filters import PlanFilterSet
from plans.forms import PlanForm
from plans.models import Plan
from plans.permissions import can_create_plan, can_edit_plan, can_manage_plan
from plans.selectors import plan_audit_entries

from .. import reports, services, xlsx
from ..choices import TaskState
from ..forms import ImportForm
from ..models import Task
from ..permissions import can_add_task
from ..selectors import due_soon_until, plan_progress_by_unit, progress_totals, task_list, with_tone
from .common import STATE_ERRORS, TASK_CHANGED, get_plan, post_or_plan_page, require
from .lists import is_fragment, render_list, task_rows

#: The plan's fields the plan form edits (the owner unit only when the plan is created).
PLAN_FIELDS = ("owner_unit", "number", "title", "year", "issued_on", "criteria_set")


def _visible_task_count(user):
    """How many of the plan's tasks the user may see, through `Task.visible_to` (the one scoping rule), as a
    correlated count: evaluated only for the page of plans shown."""
    counts = (
        Task.objects.visible_to(user)
        .filter(plan=OuterRef("pk"))
        .order_by()
        .values("plan")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts), 0)


def _plan_page(plan):
    return redirect("plans:detail", pk=plan.pk)


# --- The list, and a plan's details -------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request):
    plans = (
        Plan.objects.visible_to(request.user)
        .select_related("owner_unit", "criteria_set")
        .annotate(task_count=_visible_task_count(request.user))
        .order_by("-year", "owner_unit__code", "number")
    )
    filterset = PlanFilterSet(request.GET, queryset=plans, request=request)
    context = {
        "filter_form": filterset.form,
        "page": paginate(request, filterset.qs),
        "can_create": can_create_plan(request.user),
    }
    return render(request, "plans/plan_list.html", context)


def _plan_fields(form) -> dict:
    """The form's fields as `plans.services` takes them."""
    d = form.cleaned_data
    fields = {f: d[f] for f in PLAN_FIELDS if f in d and not form.fields[f].disabled}
    fields["number"], fields["title"] = fields["number"].strip(), fields["title"].strip()
    return fields


def _save_plan(form, call):
    """The plan `call` (a service) returns for the form's fields, or None: its refusals go on the form."""
    try:
        return call(**_plan_fields(form))
    except ValidationError as exc:
        add_service_errors(form, exc)
    except plan_services.PlanTransitionError as exc:
        form.add_error(None, str(exc))
    return None


@login_required
def plan_create(request):
    require(can_create_plan(request.user))
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        plan = _save_plan(form, lambda **fields: plan_services.plan_create(actor=request.user, **fields))
        if plan is not None:
            messages.success(request, _("Đã tạo kế hoạch %(number)s (dự thảo).") % {"number": plan.number})
            return _plan_page(plan)
    return render(request, "plans/plan_form.html", {"form": form, "plan": None})


@login_required
def plan_edit(request, pk: int):
    plan = get_plan(request, pk)
    require(can_manage_plan(request.user, plan))
    if not can_edit_plan(request.user, plan):
        messages.error(request, _("Kế hoạch đã kết thúc nên không sửa được."))
        return _plan_page(plan)
    initial = {f: getattr(plan, f) for f in PLAN_FIELDS}
    form = PlanForm(request.POST or None, user=request.user, plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        call = lambda **fields: plan_services.plan_update(actor=request.user, plan=plan, **fields)  # noqa: E731
        if _save_plan(form, call) is not None:
            messages.success(request, _("Đã lưu kế hoạch."))
            return _plan_page(plan)
    return render(request, "plans/plan_form.html", {"form": form, "plan": plan})


PLAN_TRANSITIONS = {"issue": plan_services.plan_issue, "close": plan_services.plan_close}


@login_required
@post_or_plan_page
def plan_transition(request, pk: int, action: str):
    if action not in PLAN_TRANSITIONS:
        raise Http404
    plan = get_plan(request, pk)
    try:
        PLAN_TRANSITIONS[action](actor=request.user, plan=plan)
    except plan_services.PlanTransitionError as exc:
        messages.error(request, str(exc))
    except ConcurrentTransition:
        messages.error(request, _("Kế hoạch vừa được người khác thay đổi; hãy xem lại rồi thử lại."))
    else:
        issued = action == "issue"
        messages.success(
            request,
            _("Đã ban hành kế hoạch; có thể giao các nhiệm vụ.") if issued else _("Đã kết thúc kế hoạch."),
        )
    return _plan_page(plan)


# --- The plan page: progress and tasks ----------------------------------------------------------------------


def _offers(user, plan) -> dict:
    """The buttons of the plan page this user gets now, and the drafts' notice for those who may assign."""
    can_manage = can_manage_plan(user, plan)
    steps = {t.name for t in plan.get_available_state_transitions()} if can_manage else set()
    return {
        "can_manage": can_manage,
        "can_edit": can_edit_plan(user, plan),
        "can_add_tasks": can_add_task(user, plan),
        "can_issue": "issue" in steps,
        "can_close": "close" in steps,
    }


def _print_head(plan, today) -> dict:
    """The official header a printed plan page carries (Nghị định 30/2020): the owner unit under its parent,
    the national motto, the plan's number and its date (of issue, else today) at the owner unit's place."""
    unit = plan.owner_unit
    parent = Unit.objects.filter(pk=unit.parent_id).values_list("name", flat=True).first() if unit else None
    return {
        "authority_parent": parent or "",
        "authority": unit.name if unit else "",
        "number": plan.number,
        "date_line": vn_date_line(vn_place_name(unit.name if unit else ""), plan.issued_on or today),
    }


def _progress(request, plan, base, today, *, with_drafts: bool) -> dict:
    """The progress chart by unit and, for those who may assign them, how many drafts wait."""
    progress = plan_progress_by_unit(user=request.user, plan=plan, today=today)
    drafts = {"drafts": 0, "drafts_with_due": 0}
    if with_drafts:
        drafts = base.filter(state=TaskState.DRAFT).aggregate(
            drafts=Count("id"), drafts_with_due=Count("id", filter=Q(due_date__isnull=False))
        )
    return {
        "progress": progress,
        "progress_total": progress_totals(progress),
        "progress_max": max((r.total for r in progress), default=0),
        **drafts,
    }


@login_required
@require_GET
def plan_detail(request, pk: int):
    plan = get_plan(request, pk)
    base = task_list(user=request.user).filter(plan=plan)
    context = task_rows(request, base, default_tab="open", with_plan=False)
    context.update(plan=plan, scope="plan", list_url=reverse("plans:detail", args=[plan.pk]))
    context.update(_offers(request.user, plan))
    if not is_fragment(request):  # a filter or a tab changed: only the task list is drawn again
        context.update(_progress(request, plan, base, context["today"], with_drafts=context["can_manage"]))
        # The plan's own audit trail, for those who run it (the owner side).
        context["plan_history"] = plan_audit_entries(plan) if context["can_manage"] else None
        context["print_head"] = _print_head(plan, context["today"])
    return render_list(request, "plans/plan_detail.html", context)


@login_required
@post_or_plan_page
def plan_assign_drafts(request, pk: int):
    """Assign, in one go, the plan's draft tasks that have a due date (after an import, say)."""
    plan = get_plan(request, pk)
    try:
        assigned = services.tasks_assign_drafts(actor=request.user, plan=plan)
    except ConcurrentTransition:
        messages.error(request, TASK_CHANGED)
    except STATE_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã giao %(n)d nhiệm vụ.") % {"n": len(assigned)})
    return _plan_page(plan)


# --- Spreadsheets -------------------------------------------------------------------------------------------


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=xlsx.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _plan_slug(plan) -> str:
    return slugify(f"{plan.number}-{plan.year}") or f"ke-hoach-{plan.pk}"


@login_required
def plan_import(request, pk: int):
    plan = get_plan(request, pk)
    require(can_manage_plan(request.user, plan))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.tasks_import_xlsx(
                actor=request.user, plan=plan, data=form.cleaned_data["file"].read()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except STATE_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Đã nhập %(n)d nhiệm vụ (dự thảo). Kiểm tra lại rồi giao từng nhiệm vụ.")
                % {"n": len(created)},
            )
            return _plan_page(plan)
    status = 400 if form.errors else 200
    return render(request, "plans/plan_import.html", {"form": form, "plan": plan}, status=status)


@login_required
@require_GET
def plan_import_template(request, pk: int):
    plan = get_plan(request, pk)
    require(can_manage_plan(request.user, plan))
    units = Unit.objects.visible_to(request.user).order_by("path").values_list("code", "name")
    criteria = []
    if plan.criteria_set_id:
        criteria = (
            plan.criteria_set.criteria.filter(rule__isnull=False)
            .order_by("order")
            .values_list("code", "title")
        )
    data = xlsx.import_template(plan=plan, units=list(units), criteria=list(criteria))
    return _xlsx_response(data, f"mau-nhap-nhiem-vu-{_plan_slug(plan)}.xlsx")


@login_required
@require_GET
def plan_export(request, pk: int):
    plan = get_plan(request, pk)
    today = timezone.localdate()
    tasks = (
        with_tone(task_list(user=request.user, today=today), soon_until=due_soon_until(today))
        .filter(plan=plan)
        .order_by("assignee_unit__code", "effective_due_date", "id")
        .iterator(chunk_size=2000)
    )
    progress = plan_progress_by_unit(user=request.user, plan=plan, today=today)
    data = xlsx.plan_export(plan=plan, tasks=tasks, progress_rows=progress, today=today)
    return _xlsx_response(data, f"tien-do-{_plan_slug(plan)}-{today:%Y%m%d}.xlsx")


# --- The printed report -------------------------------------------------------------------------------------


@login_required
@require_GET
def plan_report_pdf(request, pk: int):
    """In báo cáo (PDF): the plan's progress report (`tasks.reports`), for whoever may see the plan (404
    otherwise, through `Plan.objects.visible_to`), counting only the tasks they may see."""
    plan = get_plan(request, pk)
    now = timezone.now()
    today = timezone.localdate(now)
    content = reports.plan_progress_pdf(user=request.user, plan=plan, today=today, now=now)
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{reports.report_filename(plan, today)}"'
    response["Cache-Control"] = "private, no-store"
    return response
