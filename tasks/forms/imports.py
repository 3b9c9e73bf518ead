"""A plan's tasks from an XLSX file: the upload form (the import itself is `tasks.services.imports`)."""

from __future__ import annotations

from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp Excel (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["data-max-bytes"] = settings.TASK_IMPORT_MAX_BYTES
        self.fields["file"].help_text = _("Tối đa %(rows)d dòng, %(mb)d MB.") % {
            "rows": settings.TASK_IMPORT_MAX_ROWS,
            "mb": settings.TASK_IMPORT_MAX_BYTES // (1024 * 1024),
        }

    def clean_file(self):
        f = self.cleaned_data["file"]
        if PurePosixPath(f.name or "").suffix.lower() != ".xlsx":
            raise forms.ValidationError(_("Chọn tệp .xlsx (Excel 2007 trở lên), theo mẫu của trang này."))
        if f.size > settings.TASK_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("Tệp quá lớn (tối đa %(mb)d MB).") % {"mb": settings.TASK_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return f
