"""Forms of the plan pages. They parse and check input; `plans.services` decides and writes."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from criteria.selectors import criteria_set_list
from org.fields import UnitChoiceField
from org.models import Unit

from .models import Plan
from .permissions import manageable_units


class PlanForm(forms.Form):
    owner_unit = UnitChoiceField(label=_("Đơn vị ban hành"), queryset=Unit.objects.none())
    number = forms.CharField(label=_("Số hiệu"), max_length=64, help_text=_("Ví dụ: 36/KH-UBND"))
    title = forms.CharField(label=_("Trích yếu"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100)
    issued_on = forms.DateField(
        label=_("Ngày ban hành"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Để trống: lấy ngày bấm “Ban hành”."),
    )
    criteria_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí"),
        queryset=criteria_set_list(),
        required=False,
        empty_label=_("— Không gắn bộ tiêu chí —"),
        help_text=_("Nhiệm vụ gắn mã tiêu chí sẽ được tính vào Chỉ số CCHC của đơn vị thực hiện."),
    )

    def __init__(self, *args, user, plan: Plan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        units = manageable_units(user).order_by("path")
        self.fields["owner_unit"].queryset = units
        if plan is None and len(units[:2]) == 1:
            self.fields["owner_unit"].initial = units[0].pk
        self.fields["year"].initial = timezone.localdate().year
        if plan is not None:
            self.fields["owner_unit"].disabled = True
            self.fields["owner_unit"].queryset = Unit.objects.filter(pk=plan.owner_unit_id)
            if plan.tasks.exists():
                self.fields["criteria_set"].disabled = True
                self.fields["criteria_set"].help_text = _(
                    "Kế hoạch đã có nhiệm vụ nên không đổi bộ tiêu chí."
                )
