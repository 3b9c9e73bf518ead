"""The filters of plan lists, one FilterSet for the plan list page and the API alike: the same query
parameter means the same thing wherever it is sent (the API answers 400 for a bad value, the page leaves it
out). Search (`q`) is the page's, the only one there was: every word, in the number or the title, case and
accents aside (`plans.search`)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Plan, PlanState
from .search import folded_contains

#: At most this many words of a search are used.
SEARCH_WORDS = 8


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class PlanFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label=_("Tìm kiếm"),
        widget=forms.SearchInput(attrs={"placeholder": _("Số hiệu, trích yếu…"), "maxlength": 100}),
    )
    year = WholeNumberFilter(label=_("Năm"))
    state = django_filters.ChoiceFilter(
        choices=PlanState.choices, label=_("Trạng thái"), empty_label=_("Tất cả")
    )

    class Meta:
        model = Plan
        fields = {"owner_unit": ["exact"], "year": ["exact"], "state": ["exact"], "criteria_set": ["exact"]}

    def search(self, qs, name, value: str):
        for word in value.split()[:SEARCH_WORDS]:
            qs = qs.filter(Q(folded_contains("number", word)) | Q(folded_contains("title", word)))
        return qs
