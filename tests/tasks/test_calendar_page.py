"""The deadline calendar (issue 13): the month grid is Monday-first and marks today, weekends and the working
calendar's holidays; the page shows the user's visible tasks on their effective due date, each with its tone
and link, in one query for the month; previous and next months link to each other; a month that is not one
says so and shows the current month, never a 500. Dates come from the session's clock (TEST_NOW)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from org.calendar import WorkingCalendar, get_calendar
from tasks.month import grid_span, month_grid, month_key, month_shift, parse_month

CAL = WorkingCalendar()


def _today() -> dt.date:
    return timezone.localdate()


# --- The pure month ---------------------------------------------------------------------------------------


def test_parse_month_understands_yyyy_mm_and_refuses_the_rest():
    today = _today()
    this = today.replace(day=1)
    nxt = month_shift(this, 1)
    assert parse_month(month_key(nxt), today=today) == (nxt, True)
    assert parse_month(f"{nxt.year}-{nxt.month}", today=today) == (nxt, True)  # one digit month
    assert parse_month(None, today=today) == (this, True)
    assert parse_month("", today=today) == (this, True)
    for bad in ("2026-13", "2026-00", "abc", "2026/12", "12-2026", "0001-01", "99999-01", "2026-1x", "१२"):
        assert parse_month(bad, today=today) == (this, False), bad


def test_month_shift_crosses_years_both_ways():
    first = _today().replace(day=1)
    assert month_shift(dt.date(first.year, 12, 1), 1) == dt.date(first.year + 1, 1, 1)
    assert month_shift(dt.date(first.year, 1, 1), -1) == dt.date(first.year - 1, 12, 1)
    assert month_shift(first, 12) == first.replace(year=first.year + 1)


def test_the_grid_is_monday_first_whole_weeks_with_today_weekends_and_holidays_marked():
    today = _today()
    # New Year's Day of next year: a public holiday whatever the year (the holidays package, VN).
    first = dt.date(today.year + 1, 1, 1)
    month = month_grid(first, today=today, working=CAL)
    days = [d for week in month.weeks for d in week]
    assert all(len(week) == 7 for week in month.weeks)
    assert all(week[0].date.weekday() == 0 for week in month.weeks)  # Monday first
    assert [d.date for d in days] == [days[0].date + dt.timedelta(days=i) for i in range(len(days))]
    assert (days[0].date, days[-1].date) == grid_span(first)
    in_month = [d for d in days if d.in_month]
    assert [d.date.day for d in in_month] == list(range(1, 32))
    new_year = next(d for d in days if d.date == first)
    assert new_year.holiday and not new_year.is_working
    assert all(d.is_weekend == (d.date.weekday() >= 5) for d in days)
    # Next year's January never holds today (its grid's first days may: 31 December is in its first week).
    assert not any(d.is_today for d in in_month)

    this = month_grid(today.replace(day=1), today=today, working=CAL)
    marked = [d for week in this.weeks for d in week if d.is_today]
    assert [d.date for d in marked] == [today]


def test_tasks_go_on_their_day_and_the_list_keeps_only_days_with_tasks():
    today = _today()
    first = today.replace(day=1)

    class T:
        def __init__(self, pk, due):
            self.pk, self.effective_due_date = pk, due

    last = month_shift(first, 1) - dt.timedelta(days=1)
    tasks = [T(1, first), T(2, first), T(3, last), T(4, month_shift(first, 1))]  # the 4th is next month's
    month = month_grid(first, today=today, working=CAL, tasks=tasks)
    assert [[t.pk for t in d.tasks] for d in month.days_with_tasks] == [[1, 2], [3]]
    assert month.task_count == 3


# --- The page ---------------------------------------------------------------------------------------------


def _day_cell(html: str, day: dt.date) -> str:
    m = re.search(rf'<td class="cal-day[^"]*" data-date="{day.isoformat()}".*?</td>', html, re.S)
    assert m, f"no cell for {day}"
    return m.group(0)


@pytest.mark.django_db
def test_the_page_shows_my_visible_tasks_on_their_deadline_with_tone_and_link(world, web):
    today = _today()
    cal = get_calendar()
    due = cal.next_working_day(today + dt.timedelta(days=14))
    mine = world.task("in_progress", due=due, title="Báo cáo rà soát TTHC", lead=world.official)
    late_due = cal.add_working_days(today, -3)
    overdue = world.task("assigned", due=late_due, title="Niêm yết công khai thủ tục")
    elsewhere = world.task("assigned", due=due, unit=world.other_commune, title="Việc của xã khác")
    cancelled = world.task("cancelled", due=due, title="Nhiệm vụ đã hủy")
    client = web.as_(world.official)
    for when, task, tone in ((due, mine, "in_time"), (late_due, overdue, "overdue")):
        r = client.get(f"/calendar/?month={month_key(when.replace(day=1))}")
        assert r.status_code == 200
        html = r.content.decode()
        cell = _day_cell(html, task.effective_due_date)
        assert f'href="/tasks/{task.pk}/"' in cell and task.title in cell
        assert f"cal-task tone-{tone}" in cell
        assert elsewhere.title not in html  # not visible to the official
        assert cancelled.title not in html
    # Today is marked, and the menu's calendar link is the current page.
    html = client.get("/calendar/").content.decode()
    assert 'aria-current="date"' in _day_cell(html, today)
    assert re.search(r'<a href="/calendar/" aria-current="page">', html)


@pytest.mark.django_db
def test_previous_and_next_links_and_a_bad_month_shows_a_message_not_a_500(world, web):
    today = _today()
    client = web.as_(world.official)
    this = today.replace(day=1)
    html = client.get(f"/calendar/?month={month_key(this)}").content.decode()
    assert f'href="?month={month_key(month_shift(this, -1))}"' in html
    assert f'href="?month={month_key(month_shift(this, 1))}"' in html
    for bad in ("2026-13", "<script>", "9" * 400, "2026-02-30"):
        r = client.get("/calendar/", {"month": bad})
        assert r.status_code == 200, bad
        body = r.content.decode()
        assert "không phải là một tháng" in body
        assert f'data-month="{month_key(this)}"' in body  # the current month instead
        assert "<script>" not in body.split('id="main"')[1].split("</main>")[0].replace("&lt;script&gt;", "")


@pytest.mark.django_db
def test_the_month_is_one_query_for_its_tasks(world, web, django_assert_max_num_queries):
    today = _today()
    for i in range(12):
        world.task("in_progress", due=today + dt.timedelta(days=i), title=f"Việc {i}")
    client = web.as_(world.official)
    client.get("/calendar/")  # warm the working calendar and the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/calendar/")
    assert r.status_code == 200
    task_queries = [q["sql"] for q in ctx.captured_queries if 'FROM "tasks_task"' in q["sql"]]
    assert len(task_queries) == 1, task_queries
    for i in range(12, 24):
        world.task("in_progress", due=today + dt.timedelta(days=i % 28), title=f"Việc {i}")
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        client.get("/calendar/")  # twice the tasks, no more queries


@pytest.mark.django_db
def test_the_calendar_needs_a_sign_in(client):
    r = client.get("/calendar/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.django_db
def test_holidays_are_marked_and_named_in_the_page_s_language(world, web, settings):
    new_year = dt.date(_today().year + 1, 1, 1)
    client = web.as_(world.official)
    cell = _day_cell(client.get(f"/calendar/?month={month_key(new_year)}").content.decode(), new_year)
    assert "holiday" in cell.split('"')[1] and "Tết Dương lịch" in cell
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    cell = _day_cell(client.get(f"/calendar/?month={month_key(new_year)}").content.decode(), new_year)
    assert "New Year" in cell
