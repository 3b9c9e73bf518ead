"""The task form: add a task to a plan, change one, and the htmx list of a unit's people for its lead
select. Offered to those `tasks.permissions` names (403 for the others); the services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from org.models import Unit
from org.web import add_service_errors, whole_number
from plans.permissions import can_manage_plan

from .. import permissions, services
from ..forms import TaskForm, lead_choices
from .common import STATE_ERRORS, back, get_plan, get_task, require


def _save(form, call):
    """The task `call` (a service) returns for the form's fields, or None: its refusals go on the form."""
    try:
        return call(**form.service_fields())
    except ValidationError as exc:
        add_service_errors(form, exc)
    except STATE_ERRORS as exc:
        form.add_error(None, str(exc))
    return None


@login_required
def task_edit(request, pk: int):
    task = get_task(request, pk)
    require(permissions.is_owner_leader(task, request.user))
    if not permissions.can_edit(request.user, task):
        messages.error(request, _("Nhiệm vụ đã duyệt hoặc đã hủy không sửa được; hãy mở lại trước."))
        return back(task)
    initial = {f: getattr(task, f) for f in services.EDITABLE_FIELDS}
    form = TaskForm(request.POST or None, user=request.user, plan=task.plan, task=task, initial=initial)

    def update(**fields):
        if "criterion_code" not in form.fields:  # the plan has no criteria set: the field is not offered
            fields.pop("criterion_code", None)
        return services.task_update(actor=request.user, task=task, **fields)

    if request.method == "POST" and form.is_valid() and _save(form, update):
        messages.success(request, _("Đã lưu nhiệm vụ."))
        return back(task)
    return render(request, "tasks/task_form.html", {"form": form, "plan": task.plan, "task": task})


@login_required
def task_create(request, plan_pk: int):
    plan = get_plan(request, plan_pk)
    require(can_manage_plan(request.user, plan))
    form = TaskForm(request.POST or None, user=request.user, plan=plan)
    task = None
    if request.method == "POST" and form.is_valid():
        task = _save(form, lambda **fields: services.task_create(actor=request.user, plan=plan, **fields))
    if task is not None:
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
