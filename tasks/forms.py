"""Forms of the task pages. They only parse and check input; the services decide and write."""

from __future__ import annotations

from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from criteria.selectors import scorable_criteria
from org.fields import CommaDecimalField
from org.models import Unit
from org.web import whole_number
from plans.models import Plan
from plans.permissions import reach_q

from .choices import Priority, TaskState
from .models import COMMENT_MAX_LENGTH, Task


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# Above this many visible units, the unit filter is a code box rather than a long list (light pages).
UNIT_SELECT_LIMIT = 200
#: The filters the task lists draw under "Bộ lọc", in order (the API's others work on the pages too).
PANEL_FILTERS = ("tone", "state", "plan", "unit", "priority")


class OneOfMany(forms.Select):
    """Draws one choice, and reads the list a multiple-choice filter takes (a URL may name several, as the
    API's do); the empty choice ("all") is no choice."""

    def value_from_datadict(self, data, files, name):
        return [v for v in forms.SelectMultiple.value_from_datadict(self, data, files, name) or () if v]

    def format_value(self, value):
        return super().format_value(value) or [""]


def dress_task_filters(filterset, *, user, with_plan: bool = True):
    """The form of a `tasks.filters.TaskFilterSet` as the task lists draw it: a search box, single selects
    with "all" first, the plans and units the user sees (read only when drawn). Sets `panel` (the bound
    fields under "Bộ lọc") and `active_filters` (how many of them are set) on the form and returns it."""
    form = filterset.form
    everything = [("", _("Tất cả"))]
    fields = form.fields
    fields["q"].widget = forms.SearchInput(attrs={"placeholder": _("Tên nhiệm vụ…"), "maxlength": 100})
    fields["q"].help_text = ""  # the API's description
    fields["state"].widget = OneOfMany(choices=everything + list(TaskState.choices))
    plans = Plan.objects.visible_to(user).select_related("owner_unit")
    fields["plan"].widget = forms.Select(choices=lambda: everything + [(p.pk, str(p)) for p in plans])
    units = Unit.objects.visible_to(user)
    if units.count() <= UNIT_SELECT_LIMIT:
        codes = units.order_by("path").values_list("code", "name")
        fields["unit"].widget = forms.Select(
            choices=lambda: everything + [(code, f"{name} ({code})") for code, name in codes]
        )
    else:
        fields["unit"].widget = forms.TextInput(attrs={"placeholder": _("Mã đơn vị"), "maxlength": 32})
    names = [n for n in PANEL_FILTERS if with_plan or n != "plan"]
    form.panel = [form[n] for n in names]
    valid = form.is_valid()
    form.active_filters = sum(1 for n in names if valid and form.cleaned_data.get(n))
    return form


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


class ParentChoiceField(forms.ModelChoiceField):
    """The parent task, by title and assignee unit: a plan gives the same task to many units, and 13
    options all reading "Rà soát TTHC" are no choice at all."""

    def label_from_instance(self, obj) -> str:
        unit = obj.assignee_unit
        return f"{obj.title[:90]} — {unit.name} ({unit.code})"


class TaskForm(forms.Form):
    """Add a task to a plan, or change one. Choices are limited to what the user may see."""

    title = forms.CharField(label=_("Tên nhiệm vụ"), max_length=500)
    description = forms.CharField(
        label=_("Mô tả"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )
    assignee_unit = forms.ModelChoiceField(label=_("Đơn vị thực hiện"), queryset=Unit.objects.none())
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

    def __init__(self, *args, user, plan: Plan, task: Task | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        units = Unit.objects.visible_to(user).filter(reach_q(plan)).order_by("path")
        self.fields["assignee_unit"].queryset = units
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
        return data

    def service_fields(self) -> dict:
        d = dict(self.cleaned_data)
        d.setdefault("criterion_code", "")
        d["criterion_code"] = d.get("criterion_code") or ""
        return d


def lead_choices(unit_id):
    """Active users holding a membership in the unit (the lead official must be one of them)."""
    User = get_user_model()
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        return User.objects.none()
    return User.objects.filter(memberships__unit_id=unit_id, is_active=True).distinct().order_by("full_name")


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


class CommentForm(forms.Form):
    """A comment on the task page (ý kiến trao đổi); `@username` mentions are found by the service."""

    body = forms.CharField(
        label=_("Ý kiến trao đổi"),
        max_length=COMMENT_MAX_LENGTH,
        help_text=_("Gõ @tên đăng nhập để nhắc và báo cho người đó (nếu họ xem được nhiệm vụ)."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Hãy nhập nội dung ý kiến.")},
    )
