"""The task list's table view, clicked in a real browser: the switch from cards to the table, every sortable
header (ascending, then descending, the arrow saying which), the pager, a tab and the year filter keeping the
sort, and "Xuất Excel" downloading exactly the rows the list shows, in its order. At desktop and phone
widths, with screenshots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLUMNS = ("deadline", "unit", "plan", "state", "progress", "lead")


@pytest.fixture
def listing(transactional_db):
    """30 open tasks due this year over three units, two plans, three leads, several states and progress
    figures, and one task due last year (the list opens on this year)."""
    from plans import services as plan_services
    from tasks import services as task_services
    from tests.factories import World, unit

    w = World()
    year = timezone.localdate().year
    third = unit("X03", parent=w.city, name="Bình Minh")
    second = plan_services.plan_issue(
        actor=w.city_leader,
        plan=plan_services.plan_create(
            actor=w.city_leader, owner_unit=w.city, number="9/KH-UBND", title="KH số hóa", year=year
        ),
    )
    for i in range(24):
        state = ("assigned", "in_progress", "submitted")[i % 3]
        lead = (w.official, w.colleague, None)[i % 3] if i % 4 else None
        t = w.task(
            state,
            due=dt.date(year, 1 + i % 12, 1 + i),
            lead=lead,
            plan=second if i % 2 else w.plan,
            title=f"Việc phường số {i:02d}",
        )
        if state != "submitted" and i % 5:
            task_services.task_report_progress(actor=w.official, task=t, progress=4 * i)
    for i in range(3):
        w.task("assigned", due=dt.date(year, 12, 20 + i), unit=w.other_commune, title=f"Việc xã số {i}")
        w.task("draft", due=dt.date(year, 2, 10 + i), unit=third, title=f"Dự thảo số {i}")
    w.task("in_progress", due=dt.date(year - 1, 12, 1), title="Việc năm trước")
    return w


def _expected(key: str, descending: bool, start: int = 0) -> list[str]:
    """Five cells of a column from row `start` as the list must show them: this year's open tasks, in
    order."""
    from tasks.choices import TaskState
    from tasks.models import Task

    year = timezone.localdate().year
    tasks = Task.objects.filter(effective_due_date__year=year).exclude(
        state__in=(TaskState.APPROVED, TaskState.CANCELLED)
    )
    tasks = list(tasks.select_related("assignee_unit", "plan", "lead"))
    rank = {s.value: i for i, s in enumerate(TaskState)}
    value = {
        "deadline": lambda t: (t.effective_due_date, t.effective_due_date.strftime("%d/%m/%Y")),
        "unit": lambda t: (t.assignee_unit.name, t.assignee_unit.name),
        "plan": lambda t: ((t.plan.year, t.plan.number), t.plan.number),
        "state": lambda t: (rank[t.state], str(t.get_state_display())),
        "progress": lambda t: (t.shown_progress, f"{t.shown_progress}%"),
        "lead": lambda t: (t.lead.display_name, t.lead.display_name) if t.lead_id else (None, "—"),
    }[key]
    pairs = [value(t) for t in tasks]
    present = sorted((p for p in pairs if p[0] is not None), key=lambda p: p[0], reverse=descending)
    empty = [p for p in pairs if p[0] is None]  # last, whichever the direction
    return [shown for _v, shown in present + empty][start : start + 5]


def _cells(page, key: str) -> list[str]:
    cells = page.locator(f"td.col-{key} .due" if key == "deadline" else f"td.col-{key}")
    return [text.strip() for text in cells.all_inner_texts()[:5]]


def test_sort_every_column_page_tab_year_and_export_in_the_table(listing, browse, tmp_path):
    page = browse(listing.city_leader)
    page.goto("/tasks/")
    expect(page.locator("ul.tasklist")).to_be_visible()
    page.locator(".viewswitch").get_by_role("link", name="Bảng").click()
    expect(page.locator("table.tasktable")).to_be_visible()
    assert "view=table" in page.url
    # This year's open tasks, by deadline: last year's is not among them.
    expect(page.locator(".pagination .pageinfo")).to_contain_text("30 mục")
    expect(page.locator("th.col-deadline")).to_have_attribute("aria-sort", "ascending")

    for key in COLUMNS:
        header = page.locator(f"th.col-{key}")
        link = header.locator("a.sortlink")
        link.click()
        # The default order is by deadline ascending: its first click turns it around.
        first = "descending" if key == "deadline" else "ascending"
        expect(header).to_have_attribute("aria-sort", first)
        expect(header.locator(".sortarrow")).to_have_text("▼" if first == "descending" else "▲")
        assert f"sort={'-' if first == 'descending' else ''}{key}" in page.url
        assert _cells(page, key) == _expected(key, first == "descending"), key
        link.click()
        second = "ascending" if first == "descending" else "descending"
        expect(header).to_have_attribute("aria-sort", second)
        expect(header.locator(".sortarrow")).to_have_text("▲" if second == "ascending" else "▼")
        assert _cells(page, key) == _expected(key, second == "descending"), key
        if key == "unit":
            shot(page, "task-table-sorted-by-unit")
    # Sorted by lead, descending: the pager keeps the sort.
    page.get_by_role("link", name="Sau ›").click()
    expect(page.locator(".pagination .pageinfo")).to_contain_text("Trang 2/2")
    assert "sort=-lead" in page.url and "page=2" in page.url and "view=table" in page.url
    expect(page.locator("th.col-lead")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("table.tasktable tbody tr")).to_have_count(5)
    assert _cells(page, "lead") == _expected("lead", True, start=25)

    # A tab keeps the sort and the view (and goes back to its first page).
    page.locator("a.tab-all").click()
    expect(page.locator("a.tab-all")).to_have_attribute("aria-current", "true")
    assert "tab=all" in page.url and "sort=-lead" in page.url and "page=" not in page.url
    expect(page.locator("th.col-lead")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("table.tasktable")).to_be_visible()

    # The year filter keeps it too: every year brings last year's task in.
    page.locator("select.yearpick").select_option("all")
    expect(page.locator(".pagination .pageinfo")).to_contain_text("31 mục")
    assert "year=all" in page.url and "sort=-lead" in page.url
    expect(page.locator("th.col-lead")).to_have_attribute("aria-sort", "descending")
    on_screen = [t.strip() for t in page.locator("table.tasktable .task-title").all_inner_texts()]
    shot(page, "task-table")

    with page.expect_download() as download:
        page.get_by_role("link", name="Xuất Excel").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.startswith("nhiem-vu-tat-ca-cac-nam-") and path.suffix == ".xlsx"
    rows = list(load_workbook(path).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 31  # every page, not only the one on screen
    assert [r[4] for r in rows[: len(on_screen)]] == on_screen
    assert "Việc năm trước" in {r[4] for r in rows}


def test_the_table_on_a_phone_scrolls_sideways_and_still_sorts(listing, browse):
    page = browse(listing.city_leader, viewport=PHONE)
    page.goto("/tasks/?view=table")
    table = page.locator("table.tasktable")
    expect(table).to_be_visible()
    # The page itself never scrolls sideways: the table does, inside its frame.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    wrap = page.locator(".tablewrap")
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
    expect(page.get_by_role("link", name="Xuất Excel")).to_be_visible()
    page.locator("th.col-progress a.sortlink").click()
    expect(page.locator("th.col-progress")).to_have_attribute("aria-sort", "ascending")
    assert _cells(page, "progress") == _expected("progress", False)
    shot(page, "task-table")
    page.locator(".viewswitch").get_by_role("link", name="Thẻ").click()
    expect(page.locator("ul.tasklist")).to_be_visible()
    assert "sort=progress" in page.url and "view=" not in page.url
    shot(page, "task-cards-sorted")
