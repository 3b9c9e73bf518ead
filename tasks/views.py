"""Server-rendered pages of tasks, and of the plan pages that show tasks (they live here because `plans`
may not import `tasks`). Thin: reads start from `visible_to(user)`, writes go through `tasks.services`.
A task or plan the user cannot see answers 404; an action they may not take answers 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from org.models import Unit
from org.web import add_service_errors, is_htmx, paginate, whole_number
from plans.models import Plan, PlanState
from plans.permissions import can_manage_plan
from plans.services import PlanTransitionError

from . import services, xlsx
from .files import evidence_file_response
from .forms import (
    BUCKET_LABELS,
    EvidenceForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    ImportForm,
    ProgressForm,
    ReasonForm,
    TaskFilterForm,
    TaskForm,
    lead_choices,
)
from .models import OPEN_STATES, ExtensionState, TaskState
from .permissions import can_transition, is_assignee_member, is_owner_leader
from .selectors import (
    TaskTone,
    bucket_counts,
    bucket_q,
    due_soon_until,
    my_task_list,
    plan_progress_by_unit,
    progress_totals,
    task_list,
    task_search,
    task_tone,
    with_tone,
)

# A step not allowed from the current state: a readable message, never a 500.
STATE_ERRORS = (services.TaskTransitionError, PlanTransitionError, TransitionNotAllowed)

# In the order the buttons are shown.
TRANSITION_LABELS = {
    "start": gettext_lazy("Bắt đầu thực hiện"),
    "submit": gettext_lazy("Trình duyệt"),
    "approve": gettext_lazy("Duyệt"),
    "assign": gettext_lazy("Giao nhiệm vụ"),
    "return": gettext_lazy("Trả lại"),
    "reopen": gettext_lazy("Mở lại"),
    "cancel": gettext_lazy("Hủy nhiệm vụ"),
}
TRANSITION_DONE = {
    "assign": gettext_lazy("Đã giao nhiệm vụ."),
    "start": gettext_lazy("Đã bắt đầu thực hiện."),
    "submit": gettext_lazy("Đã trình duyệt."),
    "approve": gettext_lazy("Đã duyệt nhiệm vụ."),
    "return": gettext_lazy("Đã trả lại nhiệm vụ."),
    "cancel": gettext_lazy("Đã hủy nhiệm vụ."),
    "reopen": gettext_lazy("Đã mở lại nhiệm vụ."),
}
REASON_REQUIRED = {"return", "cancel", "reopen"}
PRIMARY = {"start", "submit", "approve", "assign"}
HISTORY_LABELS = {
    "create": gettext_lazy("Tạo nhiệm vụ"),
    "update": gettext_lazy("Sửa thông tin"),
    "assign": gettext_lazy("Giao nhiệm vụ"),
    "start": gettext_lazy("Bắt đầu thực hiện"),
    "submit": gettext_lazy("Trình duyệt"),
    "approve": gettext_lazy("Duyệt"),
    "return": gettext_lazy("Trả lại"),
    "cancel": gettext_lazy("Hủy nhiệm vụ"),
    "reopen": gettext_lazy("Mở lại"),
    "progress": gettext_lazy("Cập nhật tiến độ"),
    "evidence_added": gettext_lazy("Thêm tài liệu kiểm chứng"),
    "evidence_removed": gettext_lazy("Xóa tài liệu kiểm chứng"),
    "extension_requested": gettext_lazy("Đề nghị gia hạn"),
    "extension_decided": gettext_lazy("Quyết định gia hạn"),
}
TABS = ("open", "due_soon", "overdue", "returned", "to_approve", "done", "all")


def _get_task(request, pk):
    qs = task_list(user=request.user).select_related("plan__criteria_set", "assigned_by", "parent")
    return get_object_or_404(qs, pk=pk)


def _get_plan(request, pk):
    return get_object_or_404(Plan.objects.visible_to(request.user).select_related("owner_unit"), pk=pk)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _back(task, anchor: str = ""):
    return redirect(reverse("tasks:detail", args=[task.pk]) + (f"#{anchor}" if anchor else ""))


# --- Lists -----------------------------------------------------------------------------------------------


def _task_rows(request, base, *, default_tab: str, with_plan: bool = True, tabs=TABS):
    """Filters, tab counts and the page of tasks shared by "Việc của tôi", all tasks and the plan page."""
    user = request.user
    today = timezone.localdate()
    soon = due_soon_until(today)
    form = TaskFilterForm(request.GET or None, user=user, with_plan=with_plan)
    qs = with_tone(base, soon_until=soon)
    tab = default_tab
    if form.is_valid():
        qs = task_search(qs, form.cleaned_data.get("q"))
        qs = form.filter(qs)
        tab = form.cleaned_data.get("tab") or default_tab
    counts = bucket_counts(qs, user=user, today=today, soon_until=soon, buckets=tabs)
    qs = qs.filter(bucket_q(tab, user=user, today=today, soon_until=soon))
    qs = qs.order_by("-approved_at", "-id") if tab == "done" else qs.order_by("effective_due_date", "id")
    page = paginate(request, qs)
    return {
        "filter_form": form,
        "tab": tab,
        "tabs": [(t, BUCKET_LABELS[t], counts[t]) for t in tabs],
        "page": page,
        "today": today,
        "tone_labels": dict(TaskTone.choices),
    }


def _fragment(request) -> bool:
    """Does htmx ask for the task list alone (a filter, a tab or a page changed)?"""
    return is_htmx(request) and request.htmx.target == "task-results"


def _render_list(request, template: str, context: dict):
    if _fragment(request):
        response = render(request, "tasks/_task_results.html", context)
    else:
        response = render(request, template, context)
    # The same URL answers a fragment to htmx and a page otherwise: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_GET
def my_tasks(request):
    """Việc của tôi: what is due soon, overdue, returned, waiting for my approval."""
    context = _task_rows(request, my_task_list(user=request.user), default_tab="open")
    context.update(scope="mine", list_url=reverse("tasks:mine"))
    return _render_list(request, "tasks/task_list.html", context)


@login_required
@require_GET
def all_tasks(request):
    """Every task the user may see."""
    context = _task_rows(request, task_list(user=request.user), default_tab="open")
    context.update(scope="all", list_url=reverse("tasks:list"))
    return _render_list(request, "tasks/task_list.html", context)


# --- One task --------------------------------------------------------------------------------------------


def _task_context(request, task, **forms) -> dict:
    user = request.user
    today = timezone.localdate()
    soon = due_soon_until(today)
    member = is_assignee_member(task, user)
    leader = is_owner_leader(task, user)
    evidence = list(task.evidence.select_related("uploaded_by").order_by("uploaded_at", "id"))
    extensions = list(task.extensions.select_related("requested_by", "decided_by").order_by("-requested_at"))
    pending = next((x for x in extensions if x.state == ExtensionState.PENDING), None)

    available = {
        ("return" if t.name == "return_" else t.name) for t in task.get_available_user_state_transitions(user)
    }
    action_forms = forms.get("action_forms", {})
    actions = []
    for name, label in TRANSITION_LABELS.items():
        if name not in available:
            continue
        hint = ""
        if name == "assign" and task.plan.state != PlanState.ISSUED:
            hint = _("Kế hoạch chưa ban hành: ban hành kế hoạch trước khi giao.")
        elif name == "assign" and not task.due_date:
            hint = _("Nhiệm vụ chưa có hạn hoàn thành: sửa nhiệm vụ để thêm hạn.")
        elif name == "submit" and not evidence:
            hint = _("Tải lên ít nhất một tài liệu kiểm chứng trước khi trình.")
        actions.append(
            {
                "name": name,
                "label": label,
                "primary": name in PRIMARY,
                "needs_reason": name in REASON_REQUIRED,
                "hint": hint,
                "form": action_forms.get(name) or ReasonForm(required=name in REASON_REQUIRED, prefix=name),
            }
        )
    events = task.events.select_related("actor").order_by("-at", "-id")
    holiday = ""
    if task.due_date and task.effective_due_date and task.effective_due_date != task.due_date:
        from org.calendar import get_calendar

        holiday = get_calendar().holiday_name(task.due_date) or ""
    last_return = None
    if task.state == TaskState.RETURNED:
        last_return = task.events.filter(action="return").order_by("-at", "-id").first()
    return {
        "task": task,
        "tone": task_tone(task, today=today, soon_until=soon),
        "tone_labels": dict(TaskTone.choices),
        "today": today,
        "is_member": member,
        "is_leader": leader,
        "can_edit": leader and task.state not in (TaskState.APPROVED, TaskState.CANCELLED),
        "can_report": member and task.state in (*OPEN_STATES, TaskState.SUBMITTED),
        "can_upload": member and task.state in services.EVIDENCE_STATES,
        "can_request_extension": member and task.state in OPEN_STATES and pending is None,
        "can_decide_extension": leader and pending is not None,
        "actions": actions,
        "evidence": evidence,
        "extensions": extensions,
        "pending_extension": pending,
        "history": paginate(request, events, per_page=20, param="history"),
        "history_labels": HISTORY_LABELS,
        "holiday": holiday,
        "last_return": last_return,
        "subtasks": task.subtasks.all().visible_to(user).order_by("effective_due_date", "id")[:50]
        if task.parent_id is None
        else [],
        "progress_form": forms.get("progress_form") or ProgressForm(initial={"progress": task.progress}),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(),
        "extension_form": forms.get("extension_form") or ExtensionRequestForm(),
        "decision_form": forms.get("decision_form") or ExtensionDecisionForm(),
        "open_action": forms.get("open_action", ""),
    }


def _render_task(request, task, status: int = 200, **forms):
    return render(request, "tasks/task_detail.html", _task_context(request, task, **forms), status=status)


def _submit_task_form(request, task, form, call, *, done, anchor: str = "", field_map=None, **render):
    """What every form of the task page shares: a valid form calls the service with its cleaned data;
    the service's field errors go back next to their fields (400); a state or concurrency conflict becomes
    a message on the task page; success redirects there with `done(data)` as the message."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, field_map=field_map)
        except ConcurrentTransition:
            messages.error(request, _("Nhiệm vụ vừa được người khác thay đổi; hãy xem lại rồi thử lại."))
            return _back(task)
        except STATE_ERRORS as exc:
            messages.error(request, str(exc))
            return _back(task)
        else:
            messages.success(request, done(form.cleaned_data))
            return _back(task, anchor)
    return _render_task(request, task, status=400, **render)


@login_required
@require_GET
def task_detail(request, pk: int):
    return _render_task(request, _get_task(request, pk))


@login_required
@require_POST
def task_transition(request, pk: int, action: str):
    if action not in services.TRANSITIONS:
        raise Http404
    task = _get_task(request, pk)
    # Asked before the form: a user without the right gets 403, never the form's errors.
    _require(can_transition(request.user, task, action))
    form = ReasonForm(request.POST, required=action in REASON_REQUIRED, prefix=action)
    return _submit_task_form(
        request,
        task,
        form,
        lambda data: services.TRANSITIONS[action](actor=request.user, task=task, reason=data["reason"]),
        done=lambda data: TRANSITION_DONE[action],
        action_forms={action: form},
        open_action=action,
    )


@login_required
@require_POST
def task_progress(request, pk: int):
    task = _get_task(request, pk)
    _require(is_assignee_member(task, request.user))
    form = ProgressForm(request.POST)
    return _submit_task_form(
        request,
        task,
        form,
        lambda data: services.task_report_progress(
            actor=request.user, task=task, progress=data["progress"], note=data["note"]
        ),
        done=lambda data: _("Đã cập nhật tiến độ."),
        anchor="progress",
        progress_form=form,
    )


@login_required
@require_POST
def evidence_upload(request, pk: int):
    """Upload one evidence file. With htmx (drag and drop, progress bar) the answer is the evidence section
    and the actions (submitting may have become possible); without JavaScript, the page."""
    task = _get_task(request, pk)
    _require(is_assignee_member(task, request.user))
    form = EvidenceForm(request.POST, request.FILES)
    ok = False
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.evidence_add(
                actor=request.user,
                task=task,
                file=d["file"],
                doc_number=d["doc_number"],
                doc_date=d["doc_date"],
                description=d["description"],
                metric_value=d["metric_value"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except STATE_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            ok = True
    if is_htmx(request):
        task = _get_task(request, pk)
        context = _task_context(request, task, evidence_form=None if ok else form)
        context["uploaded"] = ok
        return render(request, "tasks/_evidence_swap.html", context)
    if ok:
        messages.success(request, _("Đã tải lên tài liệu kiểm chứng."))
        return _back(task, "evidence")
    return _render_task(request, task, status=400, evidence_form=form)


@login_required
@require_GET
def evidence_download(request, pk: int, eid: int):
    """Files are only served here, after the visibility check (never from a public media URL)."""
    task = _get_task(request, pk)
    evidence = get_object_or_404(task.evidence, pk=eid)
    return evidence_file_response(evidence)


@login_required
@require_POST
def evidence_delete(request, pk: int, eid: int):
    task = _get_task(request, pk)
    evidence = get_object_or_404(task.evidence, pk=eid)
    _require(is_assignee_member(task, request.user))
    try:
        services.evidence_delete(actor=request.user, evidence=evidence)
    except STATE_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã xóa tài liệu “%(name)s”.") % {"name": evidence.original_name})
    return _back(task, "evidence")


@login_required
@require_POST
def extension_request(request, pk: int):
    task = _get_task(request, pk)
    _require(is_assignee_member(task, request.user))
    form = ExtensionRequestForm(request.POST)
    return _submit_task_form(
        request,
        task,
        form,
        lambda data: services.extension_request(
            actor=request.user,
            task=task,
            requested_due_date=data["requested_due_date"],
            reason=data["reason"],
        ),
        done=lambda data: _("Đã gửi đề nghị gia hạn."),
        anchor="extensions",
        extension_form=form,
        open_action="extension",
    )


@login_required
@require_POST
def extension_decide(request, pk: int, xid: int):
    task = _get_task(request, pk)
    extension = get_object_or_404(task.extensions, pk=xid)
    _require(is_owner_leader(task, request.user))
    form = ExtensionDecisionForm(request.POST)
    return _submit_task_form(
        request,
        task,
        form,
        lambda data: services.extension_decide(
            actor=request.user, extension=extension, approve=data["decision"] == "approve", note=data["note"]
        ),
        done=lambda data: (
            _("Đã chấp thuận gia hạn.") if data["decision"] == "approve" else _("Đã từ chối đề nghị gia hạn.")
        ),
        anchor="extensions",
        field_map={"reason": "note"},
        decision_form=form,
    )


@login_required
def task_edit(request, pk: int):
    task = _get_task(request, pk)
    _require(is_owner_leader(task, request.user))
    if task.state in (TaskState.APPROVED, TaskState.CANCELLED):
        messages.error(request, _("Nhiệm vụ đã duyệt hoặc đã hủy không sửa được; hãy mở lại trước."))
        return _back(task)
    initial = {f: getattr(task, f) for f in services.EDITABLE_FIELDS}
    form = TaskForm(request.POST or None, user=request.user, plan=task.plan, task=task, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if "criterion_code" not in form.fields:
            fields.pop("criterion_code", None)
        try:
            services.task_update(actor=request.user, task=task, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except STATE_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Đã lưu nhiệm vụ."))
            return _back(task)
    return render(request, "tasks/task_form.html", {"form": form, "plan": task.plan, "task": task})


@login_required
def task_create(request, plan_pk: int):
    plan = _get_plan(request, plan_pk)
    _require(can_manage_plan(request.user, plan))
    form = TaskForm(request.POST or None, user=request.user, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(actor=request.user, plan=plan, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except STATE_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Đã thêm nhiệm vụ “%(title)s”.") % {"title": task.title})
            if "another" in request.POST:
                return redirect("tasks:create", plan_pk=plan.pk)
            return redirect("tasks:detail", pk=task.pk)
    return render(request, "tasks/task_form.html", {"form": form, "plan": plan, "task": None})


@login_required
@require_GET
def lead_options(request):
    """The <option>s of the lead select for the chosen assignee unit (htmx)."""
    unit_id = whole_number(request.GET.get("assignee_unit"))
    visible = unit_id is not None and Unit.objects.visible_to(request.user).filter(pk=unit_id).exists()
    users = lead_choices(unit_id) if visible else []
    return render(request, "tasks/_lead_options.html", {"users": users})


# --- Plan pages that show tasks ---------------------------------------------------------------------------


@login_required
@require_GET
def plan_detail(request, pk: int):
    plan = _get_plan(request, pk)
    base = task_list(user=request.user).filter(plan=plan)
    context = _task_rows(request, base, default_tab="open", with_plan=False)
    can_manage = can_manage_plan(request.user, plan)
    context.update(
        plan=plan, scope="plan", list_url=reverse("tasks:plan_detail", args=[plan.pk]), can_manage=can_manage
    )
    if _fragment(request):  # a filter or a tab changed: only the task list is drawn again
        return _render_list(request, "tasks/plan_detail.html", context)
    progress = plan_progress_by_unit(user=request.user, plan=plan, today=context["today"])
    drafts = {"drafts": 0, "drafts_with_due": 0}
    if can_manage:  # the drafts' notice and its button are for those who may assign them
        drafts = base.filter(state=TaskState.DRAFT).aggregate(
            drafts=Count("id"), drafts_with_due=Count("id", filter=Q(due_date__isnull=False))
        )
    context.update(
        progress=progress,
        progress_total=progress_totals(progress),
        progress_max=max((r.total for r in progress), default=0),
        **drafts,
    )
    return _render_list(request, "tasks/plan_detail.html", context)


@login_required
@require_POST
def plan_assign_drafts(request, pk: int):
    """Assign, in one go, the plan's draft tasks that have a due date (after an import, say)."""
    plan = _get_plan(request, pk)
    _require(can_manage_plan(request.user, plan))
    try:
        assigned = services.tasks_assign_drafts(actor=request.user, plan=plan)
    except ConcurrentTransition:
        messages.error(request, _("Nhiệm vụ vừa được người khác thay đổi; hãy xem lại rồi thử lại."))
    except STATE_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã giao %(n)d nhiệm vụ.") % {"n": len(assigned)})
    return redirect("tasks:plan_detail", pk=plan.pk)


@login_required
def plan_import(request, pk: int):
    plan = _get_plan(request, pk)
    _require(can_manage_plan(request.user, plan))
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
            return redirect("tasks:plan_detail", pk=plan.pk)
    return render(
        request, "tasks/plan_import.html", {"form": form, "plan": plan}, status=400 if form.errors else 200
    )


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=xlsx.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _plan_slug(plan) -> str:
    return slugify(f"{plan.number}-{plan.year}") or f"ke-hoach-{plan.pk}"


@login_required
@require_GET
def plan_import_template(request, pk: int):
    plan = _get_plan(request, pk)
    _require(can_manage_plan(request.user, plan))
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
    plan = _get_plan(request, pk)
    today = timezone.localdate()
    tasks = (
        task_list(user=request.user, today=today)
        .filter(plan=plan)
        .order_by("assignee_unit__code", "effective_due_date", "id")
        .iterator(chunk_size=2000)
    )
    progress = plan_progress_by_unit(user=request.user, plan=plan, today=today)
    data = xlsx.plan_export(plan=plan, tasks=tasks, progress_rows=progress, today=today)
    return _xlsx_response(data, f"tien-do-{_plan_slug(plan)}-{today:%Y%m%d}.xlsx")
