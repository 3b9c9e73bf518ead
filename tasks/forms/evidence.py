"""What the assignee unit reports on the task page: its progress and evidence files."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from org.fields import CommaDecimalField

from .common import DateInput


class ProgressForm(forms.Form):
    progress = forms.IntegerField(
        label=_("Tiến độ (%)"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"step": 5, "inputmode": "numeric"}),
    )
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=2000)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Tệp"))
    doc_number = forms.CharField(label=_("Số văn bản"), required=False, max_length=64)
    doc_date = forms.DateField(label=_("Ngày văn bản"), required=False, widget=DateInput())
    description = forms.CharField(
        label=_("Trích yếu"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    metric_value = CommaDecimalField(
        label=_("Giá trị số liệu"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=_("Nếu tiêu chí chấm theo số liệu, ví dụ 97,5 (%) hồ sơ đúng hạn."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {
                "accept": ".pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.jpg,.jpeg,.png",
                "data-max-bytes": settings.EVIDENCE_MAX_BYTES,
            }
        )
        self.fields["file"].help_text = _(
            "PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, JPEG hoặc PNG; tối đa %(mb)d MB."
        ) % {"mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)}
