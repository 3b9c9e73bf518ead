"""Recurring series (Nhiệm vụ định kỳ): the series form and skipping one period."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from criteria.selectors import scorable_criteria
from org.fields import UnitMultipleChoiceField
from org.models import Unit, UnitKind
from plans.models import Plan

from .. import schedule as sched
from ..choices import Priority
from ..models import Schedule, TaskSeries
from .common import DateInput, unit_choices


class SeriesForm(forms.Form):
    """A recurring task (Nhiệm vụ định kỳ): what each occurrence is, for whom, and when. Parses and checks
    the input (the rule, the dates) so the preview can be drawn; `tasks.services.recurrence` decides."""

    title = forms.CharField(label=_("Tên nhiệm vụ"), max_length=500)
    description = forms.CharField(
        label=_("Mô tả"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=10000
    )
    assignee_units = UnitMultipleChoiceField(
        label=_("Đơn vị thực hiện"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Mỗi đơn vị nhận một nhiệm vụ mỗi kỳ (Ctrl/⌘ + bấm để chọn nhiều)."),
    )
    unit_kind = forms.ChoiceField(
        label=_("Hoặc mọi đơn vị cấp"),
        required=False,
        choices=[("", _("— Không —")), *UnitKind.choices],
        help_text=_("Mọi đơn vị cấp này trong phạm vi kế hoạch, tính lại ở mỗi kỳ."),
    )
    schedule = forms.ChoiceField(label=_("Lịch"), choices=Schedule.choices, initial=Schedule.QUARTERLY)
    rrule = forms.CharField(
        label=_("Quy tắc RRULE"),
        required=False,
        max_length=500,
        help_text=_("Chỉ khi chọn lịch RFC 5545, ví dụ FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=10."),
    )
    due_day = forms.IntegerField(
        label=_("Hạn: ngày trong tháng cuối của kỳ"),
        required=False,
        min_value=1,
        max_value=31,
        help_text=_(
            "Ví dụ 5: ngày 5 của tháng cuối kỳ (quý I: 05/03). Để trống: ngày cuối kỳ (kỳ báo cáo CCHC: ngày "
            "chốt số liệu 14). Hạn rơi vào ngày nghỉ được chuyển sang ngày làm việc kế tiếp."
        ),
    )
    lead_days = forms.IntegerField(
        label=_("Giao trước (ngày làm việc)"),
        min_value=0,
        max_value=120,
        initial=10,
        help_text=_("Mỗi kỳ, nhiệm vụ được giao ngần ấy ngày làm việc trước hạn."),
    )
    starts_on = forms.DateField(label=_("Từ ngày"), widget=DateInput())
    ends_on = forms.DateField(label=_("Đến ngày"), required=False, widget=DateInput())
    priority = forms.ChoiceField(label=_("Mức ưu tiên"), choices=Priority.choices, initial=Priority.NORMAL)
    criterion_code = forms.ChoiceField(label=_("Tiêu chí"), required=False)

    #: The fields the services take besides the units (`tasks.services.recurrence.SERIES_FIELDS`).
    SERVICE_FIELDS = (
        "title",
        "description",
        "criterion_code",
        "priority",
        "unit_kind",
        "schedule",
        "rrule",
        "due_day",
        "lead_days",
        "starts_on",
        "ends_on",
    )

    def __init__(self, *args, user, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        unit_choices(self.fields["assignee_units"], user=user, plan=plan)
        criteria = []
        if plan.criteria_set_id:
            criteria = list(scorable_criteria(criteria_set=plan.criteria_set).values_list("code", "title"))
        if criteria:
            self.fields["criterion_code"].choices = [("", _("— Không gắn tiêu chí —"))] + [
                (code, f"{code} — {title[:90]}") for code, title in criteria
            ]
        else:
            del self.fields["criterion_code"]

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("Ngày kết thúc phải từ ngày bắt đầu trở đi."))
        if "assignee_units" not in self.errors and bool(data.get("assignee_units")) == bool(
            data.get("unit_kind")
        ):
            self.add_error("assignee_units", _("Chọn các đơn vị thực hiện hoặc một cấp đơn vị."))
        if data.get("schedule") == Schedule.RRULE and start:
            try:
                sched.parse_rrule(data.get("rrule") or "", start)
            except (ValueError, TypeError) as exc:
                self.add_error("rrule", _("Không đọc được quy tắc RRULE: %(error)s.") % {"error": exc})
        elif data.get("schedule"):
            data["rrule"] = ""  # a rule only means something for the RFC 5545 schedule
        return data

    def service_fields(self) -> dict:
        d = self.cleaned_data
        fields = {name: d.get(name) for name in self.SERVICE_FIELDS if name in self.fields}
        for name in ("description", "criterion_code", "unit_kind", "rrule"):
            fields[name] = fields.get(name) or ""
        fields["title"] = " ".join(fields["title"].split())
        return fields

    def units(self) -> list[Unit]:
        return list(self.cleaned_data.get("assignee_units") or ())

    def unsaved(self) -> TaskSeries:
        """The series the form describes, unsaved: what the preview reads."""
        fields = self.service_fields()
        return TaskSeries(plan=self.plan, **fields)


class SkipForm(forms.Form):
    period = forms.CharField(max_length=32)
    skip = forms.BooleanField(required=False)
