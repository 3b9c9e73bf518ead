"""The filters of the task lists, as the pages draw them (the filter set itself is `tasks.filters`)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.fields import unit_label
from org.models import Unit
from plans.models import Plan

from ..choices import TaskState
from ..filters import ALL_YEARS

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
