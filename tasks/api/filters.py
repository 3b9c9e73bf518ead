import django_filters
from django.utils import timezone

from tasks.models import Task, TaskState
from tasks.selectors import my_tasks_q


class TaskFilter(django_filters.FilterSet):
    plan = django_filters.NumberFilter()
    state = django_filters.MultipleChoiceFilter(choices=TaskState.choices)
    assignee_unit = django_filters.NumberFilter()
    parent = django_filters.NumberFilter()
    criterion_code = django_filters.CharFilter()
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only my work")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Only overdue tasks")
    due_before = django_filters.DateFilter(field_name="effective_due_date", lookup_expr="lt")
    due_after = django_filters.DateFilter(field_name="effective_due_date", lookup_expr="gte")
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Search in titles")

    class Meta:
        model = Task
        fields = ["plan", "state", "assignee_unit", "parent", "criterion_code"]

    def filter_mine(self, qs, name, value):
        return qs.filter(my_tasks_q(self.request.user)) if value else qs

    def filter_overdue(self, qs, name, value):
        today = timezone.localdate()
        return qs.overdue(today) if value else qs.not_overdue(today)
