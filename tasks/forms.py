"""Forms of the task pages. They only parse and check input; the services decide and write."""

from __future__ import annotations

from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from criteria.selectors import scorable_criteria
from org.fields import CommaDecimalField, UnitChoiceField, UnitMultipleChoiceField, unit_label
from org.models import Unit, UnitKind
from org.web import whole_number
from plans.models import Plan
from plans.permissions import reach_q

from . import schedule as sched
from .choices import Priority, TaskState
from .filters import ALL_YEARS
from .models import COMMENT_MAX_LENGTH, Schedule, Task, TaskSeries


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


def year_choices(user, *, today, chosen=None) -> list[tuple[str, str]]:
    """The deadline years a task list offers, latest first, after "every year": the years of the plans the
    user sees and the one after each (a plan's last tasks fall due early the next year), this year and the
    last, and the year asked for. One query, when the select is drawn."""
    years = {today.year, today.year - 1}
    for year in Plan.objects.visible_to(user).order_by().values_list("year", flat=True).distinct():
        years |= {year, year + 1}
    if isinstance(chosen, int):
        years.add(chosen)
    return [(ALL_YEARS, _("Tất cả các năm"))] + [(str(y), str(y)) for y in sorted(years, reverse=True)]


def dress_task_filters(filterset, *, user, with_plan: bool = True, today=None):
    """The form of a `tasks.filters.TaskFilterSet` as the task lists draw it: a search box, the deadline
    year, single selects with "all" first, the plans and units the user sees (read only when drawn). Sets
    `panel` (the bound fields under "Bộ lọc") and `active_filters` (how many of them are set) on the form
    and returns it."""
    form = filterset.form
    everything = [("", _("Tất cả"))]
    fields = form.fields
    today = today or timezone.localdate()
    fields["year"].widget = forms.Select(
        choices=lambda: year_choices(user, today=today, chosen=filterset.year),
        attrs={"class": "yearpick"},
    )
    fields["year"].help_text = ""  # the API's description
    fields["q"].widget = forms.SearchInput(attrs={"placeholder": _("Tên nhiệm vụ…"), "maxlength": 100})
    fields["q"].help_text = ""  # the API's description
    fields["state"].widget = OneOfMany(choices=everything + list(TaskState.choices))
    plans = Plan.objects.visible_to(user).select_related("owner_unit")
    fields["plan"].widget = forms.Select(choices=lambda: everything + [(p.pk, str(p)) for p in plans])
    units = Unit.objects.visible_to(user)
    if units.count() <= UNIT_SELECT_LIMIT:
        codes = units.order_by("path").values_list("code", "name")
        fields["unit"].widget = forms.Select(
            choices=lambda: everything + [(code, unit_label(code, name)) for code, name in codes]
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


def unit_choices(field, *, user, plan: Plan) -> None:
    """A multiple unit picker: reads every unit the user sees (so the service, not the form, refuses one
    outside the plan's reach, by name), offers those in the plan's reach, "name (code)"."""
    field.queryset = Unit.objects.visible_to(user).order_by("path")
    reached = Unit.objects.visible_to(user).filter(reach_q(plan)).order_by("path").only("pk", "code", "name")
    field.widget.choices = [(u.pk, unit_label(u.code, u.name)) for u in reached]


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
