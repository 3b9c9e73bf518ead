"""Task lists: "Việc của tôi", every task the user sees, and the task list of the plan page (`plans.py`),
drawn as cards or as a dense table sorted by a column (`?view=table&sort=-deadline`), and their XLSX export
("Xuất Excel"). Filters are `tasks.filters.TaskFilterSet`, the API's; the page and its export read the same
`filters.task_listing`, so the file holds exactly the rows the filters show. htmx redraws the results alone
when a filter, a tab, a sort or a page changes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from org.web import is_htmx, paginate

from .. import xlsx
from ..choices import TaskTone
from ..filters import ALL_YEARS, BUCKET_LABELS, task_listing
from ..forms import dress_task_filters
from ..selectors import BUCKETS, TaskSort, bucket_counts, due_soon_until, my_task_list, task_list, task_sort

#: The ways a list is drawn (`?view=`): cards, the default, or the table.
VIEWS = ("cards", "table")
#: The table's sortable columns, in order: the sort key (`selectors.TASK_SORT_KEYS`) and the header.
SORT_COLUMNS = (
    ("deadline", gettext_lazy("Hạn")),
    ("unit", gettext_lazy("Đơn vị thực hiện")),
    ("plan", gettext_lazy("Kế hoạch")),
    ("state", gettext_lazy("Trạng thái")),
    ("progress", gettext_lazy("Tiến độ")),
    ("lead", gettext_lazy("Cán bộ chủ trì")),
)
SCOPE_TITLES = {"mine": gettext_lazy("Việc của tôi"), "all": gettext_lazy("Tất cả nhiệm vụ")}


def sort_columns(sort: TaskSort | None) -> list[dict]:
    """Each sortable header: its label, the `sort` its link asks for (ascending first, then descending on
    a second click) and, for the column the list is sorted by, the direction (`aria-sort`)."""
    columns = []
    for key, label in SORT_COLUMNS:
        current = sort is not None and sort.key == key
        columns.append(
            {
                "key": key,
                "label": label,
                "param": sort.reversed.param if current else key,
                "direction": ("descending" if sort.descending else "ascending") if current else "",
            }
        )
    return columns


def task_rows(
    request, base, *, default_tab: str, with_plan: bool = True, tabs=BUCKETS, default_year: int | None = None
) -> dict:
    """Filters, tab counts, the sort and the page of tasks shared by "Việc của tôi", all tasks and the plan
    page."""
    today = timezone.localdate()
    listing = task_listing(
        request.GET, base, request=request, today=today, default_tab=default_tab, default_year=default_year
    )
    filterset, tab = listing.filterset, listing.tab
    form = dress_task_filters(filterset, user=request.user, with_plan=with_plan, today=today)
    counts = bucket_counts(
        filterset.untabbed, user=request.user, today=today, soon_until=due_soon_until(today), buckets=tabs
    )
    view = request.GET.get("view")
    asked = task_sort(request.GET.get("sort"))
    return {
        "filter_form": form,
        "tab": tab,
        "tabs": [(t, BUCKET_LABELS[t], counts[t]) for t in tabs],
        "page": paginate(request, listing.tasks),
        "today": today,
        "tone_labels": dict(TaskTone.choices),
        "view": view if view in VIEWS else VIEWS[0],
        "sort": listing.sort,
        # The sort the query asked for, kept by the filter form (a default order, or a sort that is not
        # one, is not written down).
        "sort_param": asked.param if asked else "",
        "sort_columns": sort_columns(listing.sort),
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


def _list_page(request, base, *, scope: str, url_name: str, default_year: int | None):
    context = task_rows(request, base, default_tab="open", default_year=default_year)
    context.update(
        scope=scope,
        list_url=reverse(url_name),
        export_url=reverse(f"{url_name}_export"),
        switchable=True,  # the plan page draws cards only, and exports the whole plan its own way
    )
    return render_list(request, "tasks/task_list.html", context)


def _export(request, base, *, scope: str, url_name: str, default_year: int | None):
    """The XLSX of what the list shows with the same query (filters, tab, year, sort), or, beyond
    `xlsx.LIST_EXPORT_MAX_ROWS` rows, the list again with a message to narrow it."""
    today = timezone.localdate()
    listing = task_listing(request.GET, base, request=request, today=today, default_year=default_year)
    total = listing.tasks.count()
    if total > xlsx.LIST_EXPORT_MAX_ROWS:
        messages.error(
            request,
            _(
                "Danh sách có %(n)s nhiệm vụ, quá %(max)s dòng của một tệp Excel: hãy lọc theo năm, đơn vị "
                "hoặc trạng thái rồi xuất lại."
            )
            % {
                "n": number_format(total, force_grouping=True),
                "max": number_format(xlsx.LIST_EXPORT_MAX_ROWS, force_grouping=True),
            },
        )
        query = request.GET.urlencode()
        return redirect(reverse(url_name) + (f"?{query}" if query else ""))
    year = listing.filterset.year
    year = None if year == ALL_YEARS else year
    data = xlsx.task_list_export(
        tasks=listing.tasks.iterator(chunk_size=2000), today=today, scope=str(SCOPE_TITLES[scope]), year=year
    )
    response = HttpResponse(data, content_type=xlsx.XLSX_CONTENT_TYPE)
    name = "viec-cua-toi" if scope == "mine" else "nhiem-vu"
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{year or "tat-ca-cac-nam"}-{today:%Y%m%d}.xlsx"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


# "Việc của tôi" is the user's to-do list: it shows every year (an overdue task from last December is still
# work to do in January, and the count must match the dashboard's); the register of all tasks opens on the
# current year. Both offer the year filter.


@login_required
@require_GET
def my_tasks(request):
    """Việc của tôi: what is due soon, overdue, returned, waiting for my approval."""
    base = my_task_list(user=request.user)
    return _list_page(request, base, scope="mine", url_name="tasks:mine", default_year=None)


@login_required
@require_GET
def all_tasks(request):
    """Every task the user may see, due in the current year unless another year (or all) is chosen."""
    base = task_list(user=request.user)
    year = timezone.localdate().year
    return _list_page(request, base, scope="all", url_name="tasks:list", default_year=year)


@login_required
@require_GET
def my_tasks_export(request):
    """ "Xuất Excel" of Việc của tôi, as filtered and sorted."""
    base = my_task_list(user=request.user)
    return _export(request, base, scope="mine", url_name="tasks:mine", default_year=None)


@login_required
@require_GET
def all_tasks_export(request):
    """ "Xuất Excel" of the task list, as filtered and sorted (the current year unless another is chosen)."""
    base = task_list(user=request.user)
    year = timezone.localdate().year
    return _export(request, base, scope="all", url_name="tasks:list", default_year=year)
