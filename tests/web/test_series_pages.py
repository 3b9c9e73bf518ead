"""The recurring-series pages (issue 15) with the test client: from the plan page to its series, a new
quarterly series with the preview of its due dates (moved to the next working day, as `tasks.schedule`
computes them), edit, pause and resume, skipping one occurrence; bad input answered on the form; the rights
the services enforce. Dates follow the session's clock (TEST_NOW)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from org.calendar import get_calendar
from tasks.models import TaskSeries
from tasks.services import series_create
from tests.factories import user

pytestmark = pytest.mark.django_db


def _html(r) -> str:
    return r.content.decode()


def _quarterly_dues(start: dt.date, n: int, day: int = 5) -> list[dt.date]:
    """The next `n` quarterly due dates on `day` of each quarter's last month, from `start`, each moved to
    the next working day: worked out here from the calendar, not from the schedule module."""
    cal = get_calendar()
    out, year = [], start.year
    while len(out) < n:
        for month in (3, 6, 9, 12):
            due = cal.next_working_day(dt.date(year, month, day))
            if due >= start and len(out) < n:
                out.append(due)
        year += 1
    return out


def _form(world, **over) -> dict:
    data = {
        "title": "Báo cáo CCHC quý",
        "description": "",
        "assignee_units": [world.commune.pk, world.other_commune.pk],
        "unit_kind": "",
        "schedule": "quarterly",
        "rrule": "",
        "due_day": "5",
        "lead_days": "10",
        "starts_on": timezone.localdate().isoformat(),
        "ends_on": "",
        "priority": "normal",
    }
    data.update(over)
    return data


@pytest.fixture
def series(world):
    return series_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Báo cáo quý",
        schedule="quarterly",
        due_day=5,
        starts_on=timezone.localdate(),
        units=[world.commune],
    )


def test_the_plan_page_leads_to_its_series(world, web, series):
    client = web.as_(world.city_leader)
    html = _html(client.get(f"/plans/{world.plan.pk}/"))
    assert "Việc định kỳ" in html and f'href="/plans/{world.plan.pk}/series/"' in html
    html = _html(client.get(f"/plans/{world.plan.pk}/series/"))
    assert "Báo cáo quý" in html and f"/series/{series.pk}/" in html
    assert _quarterly_dues(timezone.localdate(), 1)[0].strftime("%d/%m/%Y") in html  # the next due date
    assert "Phường Đồng Tâm (X01)" in html and "Thêm nhiệm vụ định kỳ" in html


def test_the_form_previews_the_due_dates_without_saving(world, web):
    client = web.as_(world.city_leader)
    url = f"/plans/{world.plan.pk}/series/new/"
    html = _html(client.get(url))
    assert "Bấm “Xem trước”" in html and "Phường Đồng Tâm (X01)" in html  # names beside codes
    r = client.post(url, {**_form(world), "preview": "1"})
    assert r.status_code == 200
    html = _html(r)
    for due in _quarterly_dues(timezone.localdate(), 6):
        assert due.strftime("%d/%m/%Y") in html
    assert not TaskSeries.objects.exists()


def test_create_then_edit_a_series(world, web):
    client = web.as_(world.city_leader)
    r = client.post(f"/plans/{world.plan.pk}/series/new/", _form(world))
    s = TaskSeries.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/series/{s.pk}/"
    assert (s.schedule, s.due_day, s.lead_days, s.created_by) == ("quarterly", 5, 10, world.city_leader)
    assert set(s.assignee_units.all()) == {world.commune, world.other_commune}
    html = _html(client.get(r["Location"]))
    assert "Đã tạo nhiệm vụ định kỳ" in html and "Bỏ qua kỳ này" in html
    for due in _quarterly_dues(timezone.localdate(), 4):
        assert due.strftime("%d/%m/%Y") in html
    r = client.post(f"/series/{s.pk}/", _form(world, title="Báo cáo CCHC quý (mới)", due_day="10"))
    assert r.status_code == 302
    s.refresh_from_db()
    assert (s.title, s.due_day) == ("Báo cáo CCHC quý (mới)", 10)


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"schedule": "rrule", "rrule": "FREQ=FORTNIGHTLY"}, "rrule", "RRULE"),
        ({"schedule": "rrule", "rrule": "FREQ=SECONDLY"}, "rrule", "RRULE"),
        ({"ends_on": "2000-01-01"}, "ends_on", "Ngày kết thúc"),
        ({"assignee_units": [], "unit_kind": ""}, None, "Chọn các đơn vị thực hiện hoặc một cấp đơn vị"),
        ({"due_day": "32"}, "due_day", ""),
    ],
    ids=["unreadable-rule", "too-frequent", "ends-before-start", "no-unit", "day-32"],
)
def test_bad_input_is_answered_on_the_form_and_the_url_answers_get(world, web, over, field, words):
    client = web.as_(world.city_leader)
    url = f"/plans/{world.plan.pk}/series/new/"
    for extra in ({}, {"preview": "1"}):
        r = client.post(url, {**_form(world), **over, **extra})
        html = _html(r)
        assert r.status_code == 400, html
        if field:
            assert f'id="id_{field}_error"' in html
        assert words in html
    assert not TaskSeries.objects.exists()
    assert client.get(url).status_code == 200  # a reload after the refusal


def test_pause_resume_and_skip_one_occurrence(world, web, series):
    client = web.as_(world.city_leader)
    page = f"/series/{series.pk}/"
    r = client.post(f"/series/{series.pk}/pause/")
    assert r.status_code == 302 and r["Location"] == page
    series.refresh_from_db()
    assert series.paused
    html = _html(client.get(page))
    assert "Đang tạm dừng" in html and "Tiếp tục" in html
    # The POST-only URLs answer GET with the series page, changing nothing.
    assert client.get(f"/series/{series.pk}/resume/")["Location"] == page
    series.refresh_from_db()
    assert series.paused
    client.post(f"/series/{series.pk}/resume/")
    series.refresh_from_db()
    assert not series.paused

    first = series.upcoming(timezone.localdate())[0]
    r = client.post(f"/series/{series.pk}/skip/", {"period": first.key, "skip": "on"})
    assert r.status_code == 302
    series.refresh_from_db()
    assert series.skipped == [first.key]
    html = _html(client.get(page))
    assert f"Đã bỏ qua kỳ {first.key}" in html and "Giao lại kỳ này" in html
    client.post(f"/series/{series.pk}/skip/", {"period": first.key})
    series.refresh_from_db()
    assert series.skipped == []
    assert client.get(f"/series/{series.pk}/skip/")["Location"] == page


def test_who_sees_and_who_may_change_a_series(world, web, series):
    # An official of a commune with a task of the plan sees the series, without the form or the buttons.
    world.task("assigned")
    client = web.as_(world.official)
    html = _html(client.get(f"/series/{series.pk}/"))
    assert "Báo cáo quý" in html and "Tạm dừng" not in html and 'id="series-form"' not in html
    assert client.post(f"/series/{series.pk}/pause/").status_code == 403
    assert client.post(f"/series/{series.pk}/skip/", {"period": "x", "skip": "on"}).status_code == 403
    assert client.post(f"/series/{series.pk}/", _form(world, title="Đổi")).status_code == 403
    assert client.get(f"/plans/{world.plan.pk}/series/new/").status_code == 403
    series.refresh_from_db()
    assert (series.paused, series.skipped, series.title) == (False, [], "Báo cáo quý")
    # A leader elsewhere does not see the plan: 404.
    client = web.as_(world.stranger_leader)
    assert client.get(f"/series/{series.pk}/").status_code == 404
    assert client.post(f"/series/{series.pk}/pause/").status_code == 404
    assert client.get(f"/plans/{world.plan.pk}/series/").status_code == 404


def test_a_unit_out_of_reach_is_refused_by_the_service_on_the_form(world, web):
    """A province leader sees every unit; the city plan reaches only the city's communes."""
    province_leader = user("pleader", memberships=[(world.province, "leader")])
    r = web.as_(province_leader).post(
        f"/plans/{world.plan.pk}/series/new/", _form(world, assignee_units=[world.elsewhere_commune.pk])
    )
    assert r.status_code == 400 and 'id="id_assignee_units_error"' in _html(r)
    assert not TaskSeries.objects.exists()


def test_the_live_preview_redraws_on_each_change_and_says_what_to_fix(world, web):
    client = web.as_(world.city_leader)
    url = f"/plans/{world.plan.pk}/series/new/"
    htmx = {"HTTP_HX_REQUEST": "true"}
    r = client.post(
        url, {**_form(world, schedule="rrule", rrule="FREQ=MONTHLY;BYMONTHDAY=10"), "preview": "1"}, **htmx
    )
    html = _html(r)
    assert r.status_code == 200 and 'id="series-preview"' in html
    cal = get_calendar()
    today = timezone.localdate()
    first = dt.date(today.year, today.month, 10)
    if first < today:
        first = dt.date(today.year + (today.month == 12), today.month % 12 + 1, 10)
    assert cal.next_working_day(first).strftime("%d/%m/%Y") in html
    r = client.post(url, {**_form(world, schedule="rrule", rrule="FREQ=SOMETIMES"), "preview": "1"}, **htmx)
    assert r.status_code == 200 and "Sửa các lỗi được đánh dấu ở trên" in _html(r)
    assert not TaskSeries.objects.exists()
