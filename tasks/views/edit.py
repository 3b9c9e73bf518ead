"""The task form: add a task to a plan, change one, and the htmx list of a unit's people for its lead
select. Offered to those `tasks.permissions` names (403 for the others); the services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from org.models import Unit
from org.web import add_service_errors, whole_number
from plans.permissions import can_manage_plan

from .. import permissions, services
from ..forms import SplitFormSet, TaskForm, lead_choices, split_rows
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


def _create_for_units(request, plan, form):
    """The form's task once per unit ticked, in one step (`tasks_create_for_units`); True when written."""
    try:
        created = services.tasks_create_for_units(
            actor=request.user, plan=plan, units=form.many_units, **form.many_fields()
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    except STATE_ERRORS as exc:
        form.add_error(None, str(exc))
        return False
    names = ", ".join(f"{t.assignee_unit.name} ({t.assignee_unit.code})" for t in created[:20])
    if len(created) > 20:
        names += ", …"
    messages.success(
        request,
        ngettext(
            "Đã thêm nhiệm vụ “%(title)s” cho %(n)d đơn vị (dự thảo): %(units)s.",
            "Đã thêm nhiệm vụ “%(title)s” cho %(n)d đơn vị (dự thảo): %(units)s.",
            len(created),
        )
        % {"title": created[0].title, "n": len(created), "units": names},
    )
    return True


@login_required
def task_create(request, plan_pk: int):
    plan = get_plan(request, plan_pk)
    require(can_manage_plan(request.user, plan))
    form = TaskForm(request.POST or None, user=request.user, plan=plan)
    task = None
    if request.method == "POST" and form.is_valid():
        if form.many_units:
            if _create_for_units(request, plan, form):
                if "another" in request.POST:
                    return redirect("tasks:create", plan_pk=plan.pk)
                return redirect(reverse("plans:detail", args=[plan.pk]) + "?tab=all&state=draft#h-tasks")
        else:
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


@login_required
def task_split(request, pk: int):
    """A leader of the unit that received the task splits it into sub-tasks for its officials (one row
    each); they then approve what their officials submit (`permissions.is_split_leader`)."""
    task = get_task(request, pk)
    require(services.can_split(request.user, task))
    formset = SplitFormSet(
        request.POST if request.method == "POST" else None,
        prefix="rows",
        form_kwargs={"unit_id": task.assignee_unit_id},
    )
    errors: list[str] = []
    if request.method == "POST" and formset.is_valid():
        try:
            created = services.task_split(actor=request.user, task=task, rows=split_rows(formset))
        except ValidationError as exc:
            errors = exc.messages
        except STATE_ERRORS as exc:
            errors = [str(exc)]
        else:
            messages.success(
                request,
                ngettext(
                    "Đã chia thành %(n)d việc cho cán bộ của đơn vị.",
                    "Đã chia thành %(n)d việc cho cán bộ của đơn vị.",
                    len(created),
                )
                % {"n": len(created)},
            )
            return back(task)
    status = 400 if request.method == "POST" else 200
    context = {"task": task, "formset": formset, "errors": errors}
    return render(request, "tasks/task_split.html", context, status=status)
