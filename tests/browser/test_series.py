"""Recurring series and the multi-unit task form, clicked in Chromium at desktop and phone widths: from the
plan page to its "Việc định kỳ", a new quarterly series whose preview shows the next due dates (the 5th of
each quarter's last month, moved to the next working day), created, paused, one occurrence skipped; and a
task given to two units at once from the task form. Dates follow the session's clock (TEST_NOW)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    from tests.factories import World

    return World()


def _quarterly_dues(start: dt.date, n: int, day: int = 5) -> list[str]:
    from org.calendar import get_calendar

    cal = get_calendar()
    out, year = [], start.year
    while len(out) < n:
        for month in (3, 6, 9, 12):
            due = cal.next_working_day(dt.date(year, month, day))
            if due >= start and len(out) < n:
                out.append(due.strftime("%d/%m/%Y"))
        year += 1
    return out


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_leader_creates_a_quarterly_series_pauses_it_and_skips_an_occurrence(world, browse, viewport):
    from tasks.models import TaskSeries

    page = browse(world.city_leader, viewport=viewport)
    page.goto(f"/plans/{world.plan.pk}/")
    page.locator("#series").get_by_role("link", name="Việc định kỳ").click()
    expect(page.locator("h1")).to_contain_text("Việc định kỳ")
    expect(page.locator("main")).to_contain_text("chưa có nhiệm vụ định kỳ")
    page.get_by_role("link", name="Thêm nhiệm vụ định kỳ").click()

    page.fill("input[name=title]", "Báo cáo CCHC quý")
    page.select_option("select[name=assignee_units]", label=["Phường Đồng Tâm (X01)", "Xã Tân Thịnh (X02)"])
    page.select_option("select[name=schedule]", "quarterly")
    page.fill("input[name=due_day]", "5")
    page.fill("input[name=lead_days]", "10")
    page.get_by_role("button", name="Xem trước").click()
    preview = page.locator("#series-preview")
    dues = _quarterly_dues(timezone.localdate(), 6)
    for due in dues:
        expect(preview).to_contain_text(due)
    assert not TaskSeries.objects.exists()  # a preview writes nothing
    shot(page, "series-preview")

    page.get_by_role("button", name="Tạo nhiệm vụ định kỳ").click()
    expect(page.locator(".messages")).to_contain_text("Đã tạo nhiệm vụ định kỳ “Báo cáo CCHC quý”")
    series = TaskSeries.objects.get()
    assert page.url.endswith(f"/series/{series.pk}/")
    upcoming = page.locator("table.series-upcoming")
    expect(upcoming.locator("tbody tr").first).to_contain_text(dues[0])

    page.get_by_role("button", name="Tạm dừng").click()
    expect(page.locator("main")).to_contain_text("Đang tạm dừng")
    expect(page.get_by_role("button", name="Tiếp tục")).to_be_visible()
    series.refresh_from_db()
    assert series.paused

    first = upcoming.locator("tbody tr").first
    key = first.locator("th").inner_text().split()[0]
    first.get_by_role("button", name="Bỏ qua kỳ này").click()
    expect(page.locator(".messages")).to_contain_text(f"Đã bỏ qua kỳ {key}")
    row = page.locator("table.series-upcoming tbody tr").first
    expect(row).to_contain_text("Bỏ qua")
    expect(row.get_by_role("button", name="Giao lại kỳ này")).to_be_visible()
    series.refresh_from_db()
    assert series.skipped == [key]
    shot(page, "series-detail")

    # Back on the plan's list, the series shows paused.
    page.get_by_role("navigation", name="Vị trí").get_by_role("link", name="Việc định kỳ").click()
    expect(page.locator("table.series-list")).to_contain_text("Báo cáo CCHC quý")
    expect(page.locator("table.series-list")).to_contain_text("Tạm dừng")
    shot(page, "series-list")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_task_form_gives_one_task_to_two_units(world, browse, viewport):
    from tasks.models import Task

    page = browse(world.city_leader, viewport=viewport)
    page.goto(f"/plans/{world.plan.pk}/")
    page.locator("#h-tasks").locator("..").get_by_role("link", name="Thêm nhiệm vụ", exact=True).click()
    page.fill("input[name=title]", "Niêm yết thủ tục hành chính")
    page.fill("input[name=due_date]", (timezone.localdate() + dt.timedelta(days=30)).isoformat())
    page.select_option("select[name=assignee_units]", label=["Phường Đồng Tâm (X01)", "Xã Tân Thịnh (X02)"])
    shot(page, "task-form-two-units")
    page.get_by_role("button", name="Thêm nhiệm vụ", exact=True).click()
    message = page.locator(".messages")
    expect(message).to_contain_text("cho 2 đơn vị")
    expect(message).to_contain_text("Phường Đồng Tâm (X01)")
    expect(message).to_contain_text("Xã Tân Thịnh (X02)")
    expect(page.locator(".task-title")).to_have_count(2)
    assert sorted(
        Task.objects.filter(title="Niêm yết thủ tục hành chính").values_list("assignee_unit__code", flat=True)
    ) == ["X01", "X02"]
    shot(page, "task-form-two-units-created")
