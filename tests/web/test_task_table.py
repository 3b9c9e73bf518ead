"""The task lists' table view (sortable columns, a whitelist of sorts), the deadline year the task list opens
on, the XLSX export of exactly what the filters show."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from plans import services as plan_services
from tasks import services as task_services
from tasks import xlsx
from tasks.choices import TaskState
from tests.factories import unit

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year  # the session's year (TEST_NOW moves it)


def _day(month: int, day: int, year: int = YEAR) -> dt.date:
    return dt.date(year, month, day)


@pytest.fixture
def table(world):
    """Tasks of this year in every state, three units, three leads, two plans with different progress; one
    task due last year and one due next year."""
    w = world
    w.third = unit("X03", parent=w.city, name="Bình Minh")
    second = plan_services.plan_issue(
        actor=w.city_leader,
        plan=plan_services.plan_create(
            actor=w.city_leader, owner_unit=w.city, number="9/KH-UBND", title="KH số hóa", year=YEAR
        ),
    )
    made = {
        "a": w.task("in_progress", due=_day(6, 10), lead=w.official, title="A rà soát"),
        "b": w.task(
            "submitted", due=_day(3, 2), title="B chờ duyệt", unit=w.other_commune, lead=w.other_official
        ),
        "c": w.task("returned", due=_day(9, 15), lead=w.colleague, title="C bị trả lại"),
        "d": w.task("approved", due=_day(2, 5), title="D đã duyệt", plan=second, unit=w.third),
        "e": w.task("assigned", due=_day(11, 20), title="E đã giao", plan=second),
        "f": w.task("draft", due=_day(4, 1), title="F dự thảo", unit=w.third),
        "g": w.task("cancelled", due=_day(7, 7), title="G đã hủy", unit=w.other_commune),
        "last": w.task("in_progress", due=_day(12, 1, YEAR - 1), title="Năm trước quá hạn"),
        "next": w.task("assigned", due=_day(1, 20, YEAR + 1), title="Năm sau"),
    }
    task_services.task_report_progress(actor=w.official, task=made["a"], progress=40)
    task_services.task_report_progress(actor=w.official, task=made["e"], progress=70)
    return made


def _rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'class="task-title" href="/tasks/(\d+)/"', html)]


def _get(client, query: str):
    r = client.get(f"/tasks/?{query}")
    assert r.status_code == 200
    return r.content.decode()


def _cells(html: str, column: str) -> list[str]:
    found = re.findall(rf'<td class="col-{column}[^"]*">(.*?)</td>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in found]


STATE_RANK = {str(s.label): i for i, s in enumerate(TaskState)}


def _deadline(text: str):
    return dt.datetime.strptime(text.split()[0], "%d/%m/%Y").date()


#: How each column's cell text compares, and where empty cells go (last, whichever the direction).
KEYS = {
    "deadline": _deadline,
    "unit": lambda text: text,
    "plan": lambda text: {"36/KH-UBND": 0, "9/KH-UBND": 1}[text],  # World's plan is 2026, the other this year
    "state": lambda text: STATE_RANK[text],
    "progress": lambda text: int(text.rstrip("%")),
    "lead": lambda text: None if text == "—" else text,
}


@pytest.mark.parametrize("column", list(KEYS))
def test_each_column_sorts_both_ways_and_says_which(world, web, table, column):
    client = web.as_(world.city_leader)
    key = KEYS[column]
    html = _get(client, f"view=table&tab=all&sort={column}")
    values = [key(c) for c in _cells(html, column)]
    assert len(values) == 7  # this year's tasks
    present = [v for v in values if v is not None]
    assert present == sorted(present) and values[: len(present)] == present  # empty cells last
    assert len(set(present)) >= 2  # the order is not an accident of equal values
    assert f'class="col-{column}" aria-sort="ascending"' in html
    # The header now asks for the other direction.
    assert f'href="?view=table&amp;tab=all&amp;sort=-{column}"' in html

    html = _get(client, f"view=table&tab=all&sort=-{column}")
    values = [key(c) for c in _cells(html, column)]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True) and values[: len(present)] == present
    assert f'class="col-{column}" aria-sort="descending"' in html
    assert f'href="?view=table&amp;tab=all&amp;sort={column}"' in html


@pytest.mark.parametrize("sort", ["title", "-", "--unit", "id); DROP TABLE x", "effective_due_date", "ünit"])
def test_a_sort_outside_the_whitelist_is_the_default_order(world, web, table, sort):
    client = web.as_(world.city_leader)
    default = _rows(_get(client, "view=table&tab=all"))
    r = client.get("/tasks/", {"view": "table", "tab": "all", "sort": sort})
    assert r.status_code == 200
    assert '<input type="hidden" name="sort" value="" form="task-filters">' in r.content.decode()
    assert _rows(r.content.decode()) == default
    deadlines = [_deadline(c) for c in _cells(r.content.decode(), "deadline")]
    assert deadlines == sorted(deadlines)
    assert 'class="col-deadline" aria-sort="ascending"' in r.content.decode()


def test_the_sort_survives_tabs_and_pager_links_and_the_filter_form(world, web, table):
    html = _get(web.as_(world.city_leader), "view=table&tab=all&sort=-progress")
    # Every tab link keeps the sort and the view; the filter form sends them with the hidden fields.
    tab_links = re.findall(r'<a href="(\?[^"]*)"[^>]*class="tab ', html)
    assert tab_links and all("sort=-progress" in link and "view=table" in link for link in tab_links)
    assert '<input type="hidden" name="sort" value="-progress" form="task-filters">' in html
    assert '<input type="hidden" name="view" value="table" form="task-filters">' in html
    # htmx asks for the results alone (a header, a tab, the pager): the table, the hidden fields with it.
    r = web.as_(world.city_leader).get(
        "/tasks/?view=table&tab=all&sort=unit", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="task-results"
    )
    fragment = r.content.decode()
    assert "<html" not in fragment and 'class="tasktable"' in fragment
    assert 'class="col-unit" aria-sort="ascending"' in fragment
    assert '<input type="hidden" name="sort" value="unit" form="task-filters">' in fragment
    assert "HX-Target" in r["Vary"]


def test_the_task_list_opens_on_this_years_deadlines_and_offers_the_others(world, web, api, table):
    client = web.as_(world.city_leader)
    this_year = {t.pk for k, t in table.items() if k not in ("last", "next")}
    assert set(_rows(_get(client, "tab=all"))) == this_year
    html = _get(client, "tab=all")
    assert f'<option value="{YEAR}" selected>{YEAR}</option>' in html
    assert f'<option value="{YEAR - 1}">{YEAR - 1}</option>' in html  # the World's plan (2026) or this one
    assert set(_rows(_get(client, f"tab=all&year={YEAR - 1}"))) == {table["last"].pk}
    assert set(_rows(_get(client, f"tab=all&year={YEAR + 1}"))) == {table["next"].pk}
    assert set(_rows(_get(client, "tab=all&year=all"))) == {t.pk for t in table.values()}
    # A year that is not one opens on this year, as if none was asked for: no 500.
    for bad in ("abc", "1999", "２０２６", "99999999999999999999999"):
        assert set(_rows(_get(client, f"tab=all&year={bad}"))) == this_year
    # The overdue tab of this year leaves out last year's overdue task; every year shows it.
    assert table["last"].pk not in _rows(_get(client, "tab=overdue"))
    assert table["last"].pk in _rows(_get(client, "tab=overdue&year=all"))

    # Việc của tôi is the user's to-do list: every year, unless one is chosen.
    mine = web.as_(world.official)
    r = mine.get("/my-tasks/", {"tab": "all"})
    assert {table["last"].pk, table["next"].pk} <= set(_rows(r.content.decode()))
    r = mine.get("/my-tasks/", {"tab": "all", "year": YEAR})
    assert table["last"].pk not in _rows(r.content.decode())

    # The API filters by year only when asked, and refuses a bad one with the field named.
    caller = api.as_(world.city_leader)
    assert caller.get("/api/tasks/", {"page_size": 100}).json()["count"] == len(table)
    got = caller.get("/api/tasks/", {"year": YEAR - 1}).json()
    assert [row["id"] for row in got["results"]] == [table["last"].pk]
    r = caller.get("/api/tasks/", {"year": "abc"})
    assert r.status_code == 400 and "year" in r.json()


def test_a_task_with_no_due_date_counts_in_its_plans_year(world, web):
    plan = plan_services.plan_issue(
        actor=world.city_leader,
        plan=plan_services.plan_create(
            actor=world.city_leader, owner_unit=world.city, number="1/KH", title="KH năm sau", year=YEAR + 1
        ),
    )
    draft = world.task("draft", due=None, plan=plan, title="Chưa có hạn")
    client = web.as_(world.city_leader)
    assert draft.pk not in _rows(_get(client, "tab=all"))
    assert _rows(_get(client, f"tab=all&year={YEAR + 1}")) == [draft.pk]


def _export(client, query: str, url: str = "/tasks/export.xlsx"):
    r = client.get(f"{url}?{query}")
    assert r.status_code == 200, r.content[:300]
    assert r["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    assert "attachment;" in r["Content-Disposition"]
    return load_workbook(io.BytesIO(r.content))


def _sheet_rows(wb) -> list[tuple]:
    return list(wb.worksheets[0].iter_rows(min_row=2, values_only=True))


@pytest.mark.parametrize(
    "query",
    [
        "tab=all&sort=-progress",
        "tab=all&sort=unit&view=table",
        "tab=open&unit=X01&sort=lead",
        "tab=all&state=submitted",
        "tab=all&year=all&sort=-deadline",
        "tab=overdue&year=all",
        "tab=all&q=duy%E1%BB%87t",  # "duyệt"
    ],
)
def test_the_export_holds_exactly_the_rows_the_list_shows_in_its_order(world, web, table, query):
    client = web.as_(world.city_leader)
    shown = _rows(_get(client, query))
    rows = _sheet_rows(_export(client, query))
    titles = {t.title: t.pk for t in table.values()}
    assert [titles[r[4]] for r in rows] == shown
    assert [r[0] for r in rows] == list(range(1, len(shown) + 1))


def test_the_export_writes_dates_labels_and_units_as_people_read_them(world, web, table):
    wb = _export(web.as_(world.city_leader), "tab=all&sort=deadline")
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == [
        "STT",
        "Mã đơn vị",
        "Đơn vị thực hiện",
        "Kế hoạch",
        "Tên nhiệm vụ",
        "Hạn hoàn thành",
        "Hạn thực tế",
        "Trạng thái",
        "Tình hình",
        "Tiến độ (%)",
        "Cán bộ chủ trì",
    ]
    by_title = {row[4].value: row for row in ws.iter_rows(min_row=2)}
    b = by_title["B chờ duyệt"]
    assert [b[1].value, b[2].value, b[3].value] == ["X02", "Xã Tân Thịnh", "36/KH-UBND"]
    assert b[7].value == "Chờ duyệt"
    assert b[5].number_format == "DD/MM/YYYY" and b[6].number_format == "DD/MM/YYYY"
    assert b[5].value.date() == table["b"].due_date and b[6].value.date() == table["b"].effective_due_date
    assert by_title["C bị trả lại"][7].value == "Bị trả lại"
    assert by_title["C bị trả lại"][10].value == "Colleague"
    assert by_title["D đã duyệt"][7].value == "Đã duyệt" and by_title["D đã duyệt"][9].value == 100
    assert by_title["A rà soát"][9].value == 40
    info = {r[0]: r[1] for r in wb["Thông tin"].iter_rows(values_only=True)}
    assert info["Năm"] == str(YEAR) and info["Số nhiệm vụ"] == 7
    assert info["Danh sách"] == "Tất cả nhiệm vụ"


def test_the_export_sees_only_what_the_user_sees(world, web, table):
    # An official of X01 exports their own work (every year): none of X02's or X03's tasks.
    rows = _sheet_rows(_export(web.as_(world.official), "tab=all", url="/my-tasks/export.xlsx"))
    assert rows and {r[1] for r in rows} == {"X01"}
    assert "Năm trước quá hạn" in {r[4] for r in rows}
    # Someone elsewhere in the province sees none of the city's tasks.
    assert _sheet_rows(_export(web.as_(world.stranger), "tab=all&year=all")) == []


def test_an_export_beyond_the_row_cap_sends_back_to_the_list_with_a_message(world, web, table, monkeypatch):
    monkeypatch.setattr(xlsx, "LIST_EXPORT_MAX_ROWS", 2)
    client = web.as_(world.city_leader)
    r = client.get("/tasks/export.xlsx?tab=all&unit=X01")
    assert r.status_code == 302 and r["Location"] == "/tasks/?tab=all&unit=X01"
    html = client.get(r["Location"]).content.decode()
    assert "Danh sách có 3 nhiệm vụ, quá 2 dòng" in html
    assert _sheet_rows(_export(client, "tab=all&unit=X02"))  # two rows: under the cap


def test_the_export_link_carries_the_lists_query(world, web, table):
    html = _get(web.as_(world.city_leader), "view=table&tab=all&unit=X01&sort=-unit&page=1")
    assert 'href="/tasks/export.xlsx?tab=all&amp;unit=X01&amp;sort=-unit"' in html
    assert ">Xuất Excel<" in html


def _more_tasks(world, n: int) -> None:
    for i in range(n):
        world.task("assigned", due=_day(5, 1 + i % 27), lead=world.official, title=f"Việc thêm {i:02d}")


def test_the_table_and_the_export_read_as_many_queries_for_more_rows(
    world, web, table, django_assert_max_num_queries
):
    client = web.as_(world.city_leader)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as page_small:
        _get(client, "view=table&tab=all&sort=lead")
    with CaptureQueriesContext(connection) as export_small:
        _export(client, "tab=all&sort=lead")
    _more_tasks(world, 20)
    with django_assert_max_num_queries(len(page_small)):
        html = _get(client, "view=table&tab=all&sort=lead")
    assert len(_rows(html)) == 25  # a full page
    with django_assert_max_num_queries(len(export_small)):
        assert len(_sheet_rows(_export(client, "tab=all&sort=lead"))) == 27


def test_cards_stay_the_default_and_the_switch_keeps_the_query(world, web, table):
    html = _get(web.as_(world.city_leader), "tab=all&sort=-unit")
    assert '<ul class="tasklist">' in html and 'class="tasktable"' not in html
    assert 'href="?tab=all&amp;sort=-unit&amp;view=table"' in html
    html = _get(web.as_(world.city_leader), "tab=all&sort=-unit&view=table")
    assert 'class="tasktable"' in html and 'href="?tab=all&amp;sort=-unit"' in html
    # An unknown view is the cards.
    html = _get(web.as_(world.city_leader), "tab=all&view=grid")
    assert '<ul class="tasklist">' in html
