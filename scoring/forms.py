"""Forms of the scoring pages. They parse and check input; `scoring.services` decides and writes."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from org.fields import CommaDecimalField
from org.formatting import points as points_text

from .services import POINTS_PLACES, SURVEY_MAX_BYTES


class SurveyUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp kết quả điều tra xã hội học"),
        help_text=_(
            "CSV (UTF-8) hoặc Excel (.xlsx), tối đa 5 MB. Dòng đầu là tiêu đề: unit_code, criterion_code, "
            "points; mỗi dòng sau là điểm của một đơn vị ở một tiêu chí điều tra."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > SURVEY_MAX_BYTES:
            raise forms.ValidationError(_("Tệp lớn hơn 5 MB."))
        return upload


class AppraisalLeafForm(forms.Form):
    """The appraised points of one leaf (empty: no appraisal, the automatic points count) and a note."""

    points = CommaDecimalField(
        label=_("Điểm thẩm định"),
        required=False,
        min_value=Decimal(0),
        max_digits=8,
        decimal_places=POINTS_PLACES,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 6}),
    )
    note = forms.CharField(
        label=_("Ghi chú thẩm định"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, max_points: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_points = max_points
        field = self.fields["points"]
        field.max_value = max_points
        field.validators.append(
            MaxValueValidator(
                max_points, message=_("Điểm tối đa là %(max)s.") % {"max": points_text(max_points)}
            )
        )
        field.widget.attrs["aria-describedby"] = f"{self.prefix}-auto"

    def clean(self):
        data = super().clean()
        if data.get("points") is None and (data.get("note") or "").strip() and "points" not in self.errors:
            self.add_error("points", _("Nhập điểm thẩm định để lưu kèm ghi chú."))
        return data
