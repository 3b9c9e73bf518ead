"""The filters of task lists, one FilterSet for the pages and the API alike (NetBox's way): the same query
parameter means the same thing wherever it is sent. The API (`DjangoFilterBackend`) answers 400 for a bad
value; the pages draw the form with `tasks.forms.dress_task_filters` and leave a bad value out.

Search (`q`) is the API's: the words as typed, anywhere in the title, case and accents aside ("ngan sach"
finds "Ngân sách", `plans.search`). The pages searched more columns word by word; SPEC documents neither,
and the API's answer is the one clients rely on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from org.web import whole_number
from plans.search import folded_contains

from .choices import Priority, TaskState, TaskTone
from .models import Task
from .selectors import (
    BUCKETS,
    TaskSort,
    bucket_q,
    default_task_sort,
    due_soon_until,
    my_tasks_q,
    sorted_tasks,
    task_sort,
    with_tone,
    year_q,
)

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


#: `year=all`: the tasks of every year (the task list opens on the current year).
ALL_YEARS = "all"
YEAR_MIN, YEAR_MAX = 2000, 2100  # a plan's years (`plans.forms.PlanForm.year`)


def parse_year(raw) -> int | str | None:
    """A `year` query value: a year as a whole number, `ALL_YEARS`, or None when it is neither."""
    raw = str(raw or "").strip()
    if raw == ALL_YEARS:
        return ALL_YEARS
    year = whole_number(raw)
    return year if year is not None and YEAR_MIN <= year <= YEAR_MAX else None


class YearField(forms.CharField):
    """A deadline year, or "all"."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        year = parse_year(value)
        if year is None:
            raise ValidationError(
                _("Chọn một năm từ %(min)d đến %(max)d, hoặc “all”.") % {"min": YEAR_MIN, "max": YEAR_MAX},
                code="invalid",
            )
        return year


@extend_schema_field({"type": "string", "pattern": r"^(all|[0-9]{4})$", "example": "2026"})
class YearFilter(django_filters.Filter):
    field_class = YearField


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
    # Applied in `filter_queryset` (the pages open on a default year).
    year = YearFilter(
        label=_("Năm"),
        help_text="The year of the deadline (a task with no due date: its plan's year), or `all`",
    )
    # Last: `filter_queryset` applies it after the others.
    tab = django_filters.ChoiceFilter(choices=[(b, BUCKET_LABELS[b]) for b in BUCKETS], method="filter_tab")

    class Meta:
        model = Task
        fields = ["plan", "state", "assignee_unit", "parent", "criterion_code"]

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        request=None,
        default_tab: str = "",
        default_year: int | None = None,
        today=None,
        **kw,
    ):
        """`default_tab`: the tab shown when the query names none (the pages open on one; the API on none).
        `default_year`: the deadline year shown when the query names none or a bad one (the task list opens
        on the current year; the API shows every year). `today`: the day "overdue" and "due soon" are
        judged on (default: today, locally)."""
        if default_year is not None and parse_year((data or {}).get("year")) is None:
            data = data.copy() if data is not None else QueryDict(mutable=True)
            data["year"] = str(default_year)
        super().__init__(data, queryset, request=request, **kw)
        self.default_tab = default_tab
        self._today = today
        self.tab, self.year = default_tab, default_year  # until `filter_queryset` reads the query
        if default_year is not None:
            self.form.fields["year"].initial = str(default_year)  # the default is no change of filter

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
        self.year = values.pop("year", None)
        if isinstance(self.year, int):
            queryset = queryset.filter(year_q(self.year))
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


@dataclass(frozen=True)
class TaskListing:
    """What a task list shows, on its page and in its export alike: the filters (visibility is the base
    queryset's), the tab, the year, and the tasks in the order asked for."""

    filterset: TaskFilterSet
    tasks: object  # the filtered queryset, sorted
    sort: TaskSort | None  # the order shown: the query's, or the tab's default

    @property
    def tab(self) -> str:
        return self.filterset.tab


def task_listing(
    data, base, *, request, today: dt.date, default_tab: str = "open", default_year: int | None = None
) -> TaskListing:
    """The one read behind the task lists and their XLSX export: `base` (visible tasks) coloured with their
    tone, filtered by `TaskFilterSet` (tab and year included) and sorted by the whitelisted `sort` of the
    query (`selectors.task_sort`; anything else falls back to the tab's default order)."""
    filterset = TaskFilterSet(
        data,
        queryset=with_tone(base, soon_until=due_soon_until(today)),
        request=request,
        default_tab=default_tab,
        default_year=default_year,
        today=today,
    )
    qs = filterset.qs
    sort = task_sort((data or {}).get("sort")) or default_task_sort(filterset.tab)
    return TaskListing(filterset=filterset, tasks=sorted_tasks(qs, sort=sort), sort=sort)
