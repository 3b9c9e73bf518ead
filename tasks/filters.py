"""The filters of task lists, one FilterSet for the pages and the API alike (NetBox's way): the same query
parameter means the same thing wherever it is sent. The API (`DjangoFilterBackend`) answers 400 for a bad
value; the pages draw the form with `tasks.forms.dress_task_filters` and leave a bad value out.

Search (`q`) is the API's: the words as typed, anywhere in the title, case and accents aside ("ngan sach"
finds "Ngân sách", `plans.search`). The pages searched more columns word by word; SPEC documents neither,
and the API's answer is the one clients rely on."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from plans.search import folded_contains

from .choices import Priority, TaskState, TaskTone
from .models import Task
from .selectors import BUCKETS, bucket_q, due_soon_until, my_tasks_q, with_tone

#: The tabs of the task lists (`tab`): what each shows is `selectors.bucket_q`.
BUCKET_LABELS = {
    "open": _("Đang mở"),
    "due_soon": _("Sắp đến hạn"),
    "overdue": _("Quá hạn"),
    "returned": _("Bị trả lại"),
    "to_approve": _("Chờ tôi duyệt"),
    "done": _("Đã duyệt"),
    "all": _("Tất cả"),
}


class TaskFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search", label=_("Tìm kiếm"), help_text="Search in titles, case and accents aside"
    )
    tone = django_filters.ChoiceFilter(
        choices=TaskTone.choices, method="filter_tone", label=_("Tình hình"), empty_label=_("Tất cả")
    )
    state = django_filters.MultipleChoiceFilter(choices=TaskState.choices, label=_("Trạng thái"))
    plan = django_filters.NumberFilter(label=_("Kế hoạch"))
    unit = django_filters.CharFilter(field_name="assignee_unit__code", label=_("Đơn vị thực hiện"))
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, label=_("Mức ưu tiên"), empty_label=_("Tất cả")
    )
    assignee_unit = django_filters.NumberFilter()
    parent = django_filters.NumberFilter()
    criterion_code = django_filters.CharFilter()
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only my work")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Only overdue tasks")
    due_before = django_filters.DateFilter(field_name="effective_due_date", lookup_expr="lt")
    due_after = django_filters.DateFilter(field_name="effective_due_date", lookup_expr="gte")
    # Last: `filter_queryset` applies it after the others.
    tab = django_filters.ChoiceFilter(choices=[(b, BUCKET_LABELS[b]) for b in BUCKETS], method="filter_tab")

    class Meta:
        model = Task
        fields = ["plan", "state", "assignee_unit", "parent", "criterion_code"]

    def __init__(self, data=None, queryset=None, *, request=None, default_tab: str = "", today=None, **kw):
        """`default_tab`: the tab shown when the query names none (the pages open on one; the API on none).
        `today`: the day "overdue" and "due soon" are judged on (default: today, locally)."""
        super().__init__(data, queryset, request=request, **kw)
        self.default_tab = default_tab
        self._today = today

    @cached_property
    def today(self) -> dt.date:
        return self._today or timezone.localdate()

    @cached_property
    def soon_until(self) -> dt.date:
        return due_soon_until(self.today)

    def filter_queryset(self, queryset):
        """Every filter but the tab, then the tab asked for (or `default_tab`, also for a tab that is not
        one). `untabbed` keeps what the other filters leave: the pages count each tab over it."""
        values = dict(self.form.cleaned_data)
        self.tab = values.pop("tab", "") or self.default_tab
        for name, value in values.items():
            queryset = self.filters[name].filter(queryset, value)
        self.untabbed = queryset
        return self.filter_tab(queryset, "tab", self.tab) if self.tab else queryset

    def filter_tab(self, qs, name, value):
        user = self.request.user
        return qs.filter(bucket_q(value, user=user, today=self.today, soon_until=self.soon_until))

    def filter_search(self, qs, name, value: str):
        value = value.strip()
        return qs.filter(folded_contains("title", value)) if value else qs

    def filter_tone(self, qs, name, value):
        if "tone" not in qs.query.annotations:  # the pages annotate it already, to colour the rows
            qs = with_tone(qs, soon_until=self.soon_until)
        return qs.filter(tone=value)

    def filter_mine(self, qs, name, value):
        return qs.filter(my_tasks_q(self.request.user)) if value else qs

    def filter_overdue(self, qs, name, value):
        return qs.overdue(self.today) if value else qs.not_overdue(self.today)
