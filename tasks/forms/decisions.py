"""Decisions on tasks: the reason a step asks for, the approval inbox's bulk decisions, and asking for and
deciding a later due date."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from org.web import whole_number

from .common import DateInput


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class IdsField(forms.Field):
    """The ids ticked in a list (checkboxes of one name): whole numbers, in the order sent."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        ids = []
        for raw in value or ():
            number = whole_number(str(raw))
            if number is None:
                raise forms.ValidationError(_("Mã không hợp lệ."))
            ids.append(number)
        return list(dict.fromkeys(ids))


class InboxDecisionForm(forms.Form):
    """The approval inbox's form: the ticked tasks and extension requests, the button pressed (approve or
    return/reject, for the ticked items or for one row: `approve:t12`, `return:x5`) and the one reason a
    return or a rejection needs."""

    task = IdsField(required=False)
    extension = IdsField(required=False)
    action = forms.RegexField(
        regex=r"^(approve|return)(:[tx][0-9]{1,18})?$",
        error_messages={
            "required": _("Hãy bấm Duyệt hoặc Trả lại."),
            "invalid": _("Hãy bấm Duyệt hoặc Trả lại."),
        },
    )
    reason = forms.CharField(
        label=_("Lý do trả lại hoặc từ chối"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Một lý do cho mọi mục đã chọn; bắt buộc khi trả lại hoặc từ chối."),
    )

    def clean(self):
        data = super().clean()
        # The ticks and the buttons have no place of their own on the page: their errors go on top.
        for name in ("task", "extension", "action"):
            if name in self._errors:
                self.add_error(None, self._errors.pop(name))
        action = data.get("action")
        if not action:
            return data
        decision, _sep, row = action.partition(":")
        data["decision"] = decision
        if row:  # a row's own button: that item alone, whatever else is ticked
            data["task"], data["extension"] = ([int(row[1:])], []) if row[0] == "t" else ([], [int(row[1:])])
        if not data.get("task") and not data.get("extension"):
            raise forms.ValidationError(_("Chọn ít nhất một mục trong danh sách."))
        data["reason"] = (data.get("reason") or "").strip()
        if decision == "return" and not data["reason"]:
            self.add_error("reason", _("Cần nêu lý do trả lại hoặc từ chối."))
        return data


class ExtensionRequestForm(forms.Form):
    requested_due_date = forms.DateField(label=_("Hạn đề nghị"), widget=DateInput())
    reason = forms.CharField(label=_("Lý do"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Quyết định"),
        choices=[("approve", _("Chấp thuận")), ("reject", _("Từ chối"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Ý kiến"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Bắt buộc khi từ chối."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Cần nêu lý do từ chối."))
        return data
