"""The cascade page of a task (issue 15): a leader of the plan's owner unit issues a copy of the task to
every unit of a kind in the plan's reach, or to the units ticked, and reads what was created and what was
there already. The service decides who may and which units; the page shows its answer."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.fields import UnitMultipleChoiceField
from org.models import Unit, UnitKind
from plans.permissions import reach_q

from .. import services
from ..permissions import is_owner_leader
from .common import STATE_ERRORS, back, get_task, require


class CascadeForm(forms.Form):
    unit_kind = forms.ChoiceField(
        label=gettext_lazy("Mọi đơn vị cấp"), choices=[("", "—"), *UnitKind.choices], required=False
    )
    units = UnitMultipleChoiceField(
        label=gettext_lazy("Hoặc các đơn vị"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = Unit.objects.filter(reach_q(plan)).order_by("path")


@login_required
def task_cascade(request, pk: int):
    task = get_task(request, pk)
    require(is_owner_leader(task, request.user))
    form = CascadeForm(request.POST if request.method == "POST" else None, plan=task.plan)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.task_cascade(
                actor=request.user,
                task=task,
                unit_kind=form.cleaned_data["unit_kind"] or None,
                units=list(form.cleaned_data["units"]),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        except STATE_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Đã giao cho %(created)d đơn vị; %(existing)d đơn vị đã có nhiệm vụ này từ trước.")
                % {"created": len(result.created), "existing": result.existing},
            )
            return back(task)
    status = 400 if request.method == "POST" else 200
    return render(request, "tasks/task_cascade.html", {"task": task, "form": form}, status=status)
