"""Forms of the assessment round's pages (SPEC §3a). They parse what was typed; `scoring.services` checks it
(required fields, ranges, deadlines, who may) and its refusals are put back next to these fields."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from org.fields import CommaDecimalField
from tasks.forms import DateInput

from .models import RoundAction
from .services import StepFields

#: The fields each round step carries (the service says which it needs and refuses the step without them).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    RoundAction.OPEN_SELF_ASSESSMENT: ("self_assessment_until",),
    RoundAction.START_APPRAISAL: (),
    RoundAction.OPEN_EXPLANATION: ("explanation_until",),
    RoundAction.START_FINAL_APPRAISAL: (),
    RoundAction.PUBLISH: ("decision_number", "decided_on"),
    RoundAction.CORRECT: ("reason",),
}

#: What each step does, said under its button.
STEP_HELP = {
    RoundAction.OPEN_SELF_ASSESSMENT: _(
        "Mỗi đơn vị được chấm nhận bản tự đánh giá để lãnh đạo đơn vị xem điểm, tự chấm các tiêu chí chấm "
        "thủ công, thuyết minh và gửi trước hạn."
    ),
    RoundAction.START_APPRAISAL: _(
        "Đơn vị nào chưa gửi bản tự đánh giá sẽ được gửi tự động như hiện trạng và ghi nhận nộp muộn."
    ),
    RoundAction.OPEN_EXPLANATION: _(
        "Đơn vị được giải trình các tiêu chí có điểm thẩm định thấp hơn điểm tự đánh giá, "
        "đến hết hạn giải trình."
    ),
    RoundAction.START_FINAL_APPRAISAL: _(
        "Kết thúc giải trình; thẩm định viên chốt điểm các tiêu chí đã giải trình."
    ),
    RoundAction.PUBLISH: _(
        "Điểm được tính lại lần cuối rồi công bố thành một phiên bản không thay đổi: tổng điểm, xếp hạng, "
        "xếp loại và từng tiêu chí."
    ),
    RoundAction.CORRECT: _(
        "Mở lại thẩm định để sửa kết quả đã công bố. Phiên bản đã công bố được giữ nguyên; công bố lại sẽ "
        "tạo phiên bản mới."
    ),
}

#: Steps that ask for a confirmation before they go (they cannot be taken back).
CONFIRM = {
    RoundAction.START_APPRAISAL: _(
        "Bắt đầu thẩm định? Các đơn vị chưa gửi sẽ được gửi tự động và ghi nhận nộp muộn."
    ),
    RoundAction.PUBLISH: _("Công bố kết quả? Kết quả công bố không sửa được nếu không đính chính."),
    RoundAction.CORRECT: _("Mở lại kết quả đã công bố để đính chính?"),
}


class RoundStepForm(forms.Form):
    """One round step, with only the fields that step carries (STEP_FIELDS)."""

    self_assessment_until = forms.DateField(label=_("Hạn tự đánh giá"), required=False, widget=DateInput())
    explanation_until = forms.DateField(label=_("Hạn giải trình"), required=False, widget=DateInput())
    decision_number = forms.CharField(
        label=_("Số quyết định công bố"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "125/QĐ-UBND", "autocomplete": "off"}),
    )
    decided_on = forms.DateField(label=_("Ngày quyết định"), required=False, widget=DateInput())
    reason = forms.CharField(
        label=_("Lý do đính chính"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        keep = STEP_FIELDS.get(action, ())
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    @property
    def label(self) -> str:
        return RoundAction(self.action).label

    @property
    def help(self) -> str:
        return STEP_HELP.get(self.action, "")

    @property
    def confirm(self) -> str:
        return CONFIRM.get(self.action, "")

    def step_fields(self) -> StepFields:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return StepFields(**data)


def _file_field() -> forms.FileField:
    field = forms.FileField(label=_("Tài liệu kiểm chứng"), required=False)
    field.widget.attrs.update(
        {
            "accept": ".pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.jpg,.jpeg,.png",
            "data-max-bytes": settings.EVIDENCE_MAX_BYTES,
        }
    )
    return field


class SheetLeafForm(forms.Form):
    """One leaf of a unit's self-assessment: its self points (a `manual` leaf only), its explanation, and
    one more evidence file with its document number."""

    self_points = CommaDecimalField(
        label=_("Điểm tự chấm"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 6}),
    )
    explanation = forms.CharField(
        label=_("Thuyết minh"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(required=False)
    doc_number = forms.CharField(
        label=_("Số văn bản"), required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, manual: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"] = _file_field()
        if not manual:
            del self.fields["self_points"]


class AnswerLeafForm(forms.Form):
    """The unit's answer (giải trình) on a leaf appraised below its own points, and one more evidence file."""

    answer = forms.CharField(
        label=_("Nội dung giải trình"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(required=False)
    doc_number = forms.CharField(
        label=_("Số văn bản"), required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"] = _file_field()


class AdjustmentForm(forms.Form):
    """A unit's bonus and penalty points (điểm thưởng, điểm trừ) with the reason; the caps are the set's,
    checked by `services.adjustment_set`."""

    bonus = CommaDecimalField(
        label=_("Điểm thưởng"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 6}),
    )
    penalty = CommaDecimalField(
        label=_("Điểm trừ"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 6}),
    )
    note = forms.CharField(label=_("Lý do"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, criteria_set, **kwargs):
        super().__init__(*args, **kwargs)
        if criteria_set.bonus_max is None:
            del self.fields["bonus"]
        if criteria_set.penalty_max is None:
            del self.fields["penalty"]
