"""Task lists: "Việc của tôi", every task the user sees, and the task list of the plan page (`plans.py`).
Filters are `tasks.filters.TaskFilterSet`, the API's; htmx redraws the results alone when a filter, a tab
or a page changes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from org.web import is_htmx, paginate

from ..choices import TaskTone
from ..filters import BUCKET_LABELS, TaskFilterSet
from ..forms import dress_task_filters
from ..selectors import BUCKETS, bucket_counts, due_soon_until, my_task_list, task_list, with_tone


def task_rows(request, base, *, default_tab: str, with_plan: bool = True, tabs=BUCKETS) -> dict:
    """Filters, tab counts and the page of tasks shared by "Việc của tôi", all tasks and the plan page."""
    today = timezone.localdate()
    soon = due_soon_until(today)
    filterset = TaskFilterSet(
        request.GET,
        queryset=with_tone(base, soon_until=soon),
        request=request,
        default_tab=default_tab,
        today=today,
    )
    form = dress_task_filters(filterset, user=request.user, with_plan=with_plan)
    qs, tab = filterset.qs, filterset.tab
    counts = bucket_counts(filterset.untabbed, user=request.user, today=today, soon_until=soon, buckets=tabs)
    qs = qs.order_by("-approved_at", "-id") if tab == "done" else qs.order_by("effective_due_date", "id")
    return {
        "filter_form": form,
        "tab": tab,
        "tabs": [(t, BUCKET_LABELS[t], counts[t]) for t in tabs],
        "page": paginate(request, qs),
        "today": today,
        "tone_labels": dict(TaskTone.choices),
    }


def is_fragment(request) -> bool:
    """Does htmx ask for the task list alone (a filter, a tab or a page changed)?"""
    return is_htmx(request) and request.htmx.target == "task-results"


def render_list(request, template: str, context: dict):
    if is_fragment(request):
        response = render(request, "tasks/_task_results.html", context)
    else:
        response = render(request, template, context)
    # The same URL answers a fragment to htmx and a page otherwise: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _list_page(request, base, *, scope: str, url_name: str):
    context = task_rows(request, base, default_tab="open")
    context.update(scope=scope, list_url=reverse(url_name))
    return render_list(request, "tasks/task_list.html", context)


@login_required
@require_GET
def my_tasks(request):
    """Việc của tôi: what is due soon, overdue, returned, waiting for my approval."""
    return _list_page(request, my_task_list(user=request.user), scope="mine", url_name="tasks:mine")


@login_required
@require_GET
def all_tasks(request):
    """Every task the user may see."""
    return _list_page(request, task_list(user=request.user), scope="all", url_name="tasks:list")
