"""The task form (add a task to a plan, change one) and the rows of a received task's split into sub-tasks."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from criteria.selectors import scorable_criteria
from org.fields import UnitChoiceField, UnitMultipleChoiceField, unit_label
from org.models import Unit
from plans.models import Plan
from plans.permissions import reach_q

from ..choices import Priority, TaskState
from ..models import Task
from .common import DateInput, lead_choices, unit_choices


class ParentChoiceField(forms.ModelChoiceField):
    """The parent task, by title and assignee unit: a plan gives the same task to many units, and 13
    options all reading "Rà soát TTHC" are no choice at all."""

    def label_from_instance(self, obj) -> str:
        unit = obj.assignee_unit
        return f"{obj.title[:90]} — {unit_label(unit.code, unit.name)}"


class TaskForm(forms.Form):
    """Add a task to a plan, or change one. Choices are limited to what the user may see."""

    title = forms.CharField(label=_("Tên nhiệm vụ"), max_length=500)
    description = forms.CharField(
        label=_("Mô tả"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )
    assignee_unit = UnitChoiceField(label=_("Đơn vị thực hiện"), queryset=Unit.objects.none())
    lead = forms.ModelChoiceField(
        label=_("Cán bộ chủ trì"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Để trống: mọi cán bộ của đơn vị thực hiện đều nhận nhắc việc."),
    )
    start_date = forms.DateField(label=_("Ngày bắt đầu"), required=False, widget=DateInput())
    due_date = forms.DateField(
        label=_("Hạn hoàn thành"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "Cần có hạn để giao nhiệm vụ. Hạn rơi vào ngày nghỉ được tính sang ngày làm việc kế tiếp."
        ),
    )
    priority = forms.ChoiceField(label=_("Mức ưu tiên"), choices=Priority.choices, initial=Priority.NORMAL)
    criterion_code = forms.ChoiceField(label=_("Tiêu chí"), required=False)
    parent = ParentChoiceField(label=_("Nhiệm vụ cha"), queryset=Task.objects.none(), required=False)
    assignee_units = UnitMultipleChoiceField(
        label=_("Hoặc giao cho nhiều đơn vị"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Chọn nhiều đơn vị (Ctrl/⌘ + bấm): mỗi đơn vị nhận một bản của nhiệm vụ, cùng lúc, không có cán "
            "bộ chủ trì (lãnh đạo từng đơn vị tự phân công)."
        ),
    )

    def __init__(self, *args, user, plan: Plan, task: Task | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        units = Unit.objects.visible_to(user).filter(reach_q(plan)).order_by("path")
        self.fields["assignee_unit"].queryset = units
        if task is None:
            # Any unit the user sees is read, so one outside the plan's reach gets the service's answer by
            # name; only the ones in reach are offered.
            unit_choices(self.fields["assignee_units"], user=user, plan=plan)
            self.fields["assignee_unit"].required = False
        else:
            del self.fields["assignee_units"]
        self.fields["assignee_unit"].widget.attrs.update({"data-lead-options": "1"})
        unit_id = self.data.get("assignee_unit") if self.is_bound else None
        if not unit_id and task is not None:
            unit_id = task.assignee_unit_id
        self.fields["lead"].queryset = lead_choices(unit_id)
        criteria = []
        if plan.criteria_set_id:
            criteria = list(scorable_criteria(criteria_set=plan.criteria_set).values_list("code", "title"))
        if criteria:
            self.fields["criterion_code"].choices = [("", _("— Không gắn tiêu chí —"))] + [
                (code, f"{code} — {title[:90]}") for code, title in criteria
            ]
        else:
            del self.fields["criterion_code"]
        parents = Task.objects.visible_to(user).filter(plan=plan, parent__isnull=True)
        if task is not None:
            parents = parents.exclude(pk=task.pk)
        self.fields["parent"].queryset = parents.select_related("assignee_unit").order_by(
            "title", "assignee_unit__code", "id"
        )
        self.fields["parent"].empty_label = _("— Không —")
        if task is not None and task.state != TaskState.DRAFT:
            self.fields["assignee_unit"].disabled = True
            self.fields["assignee_unit"].help_text = _("Đơn vị thực hiện chỉ đổi được trước khi giao.")

    def clean(self):
        data = super().clean()
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and start > due:
            self.add_error("due_date", _("Hạn hoàn thành phải sau ngày bắt đầu."))
        many = data.get("assignee_units")
        single = data.get("assignee_unit") or "assignee_unit" in self.errors
        if "assignee_units" in self.fields and not many and not single:
            self.add_error("assignee_unit", _("Chọn đơn vị thực hiện, hoặc nhiều đơn vị ở dưới."))
        if many and data.get("lead"):
            self.add_error("lead", _("Khi giao cho nhiều đơn vị, để trống cán bộ chủ trì."))
        return data

    @property
    def many_units(self) -> list[Unit]:
        """The units ticked under "Hoặc giao cho nhiều đơn vị" (with the single one, if also chosen)."""
        many = list(self.cleaned_data.get("assignee_units") or ())
        one = self.cleaned_data.get("assignee_unit")
        if many and one is not None and one not in many:
            many.insert(0, one)
        return many

    def service_fields(self) -> dict:
        d = dict(self.cleaned_data)
        d.pop("assignee_units", None)
        d.setdefault("criterion_code", "")
        d["criterion_code"] = d.get("criterion_code") or ""
        return d

    def many_fields(self) -> dict:
        """The fields `tasks_create_for_units` takes (no unit, no lead)."""
        d = self.service_fields()
        d.pop("assignee_unit", None)
        d.pop("lead", None)
        return d


class SplitRowForm(forms.Form):
    """One sub-task of a received task, for one of the unit's officials; a row left without a title is
    not a sub-task."""

    title = forms.CharField(label=_("Việc"), max_length=500, required=False)
    lead = forms.ModelChoiceField(
        label=_("Cán bộ chủ trì"), queryset=get_user_model().objects.none(), required=False
    )
    due_date = forms.DateField(label=_("Hạn"), required=False, widget=DateInput())

    def __init__(self, *args, unit_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = lead_choices(unit_id)
        self.fields["lead"].empty_label = _("— Cả đơn vị —")


SplitFormSet = forms.formset_factory(SplitRowForm, extra=3, max_num=50, validate_max=True)


def split_rows(formset) -> list[dict]:
    """The formset's filled rows as `task_split` takes them."""
    return [
        {k: v for k, v in f.cleaned_data.items() if v not in (None, "")}
        for f in formset.forms
        if f.cleaned_data.get("title", "").strip()
    ]
