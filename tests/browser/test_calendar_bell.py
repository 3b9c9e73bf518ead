"""The deadline calendar, the bell's menu and the summary at sign-in, clicked in a real browser (issue 13):
an official signs in and is told what is overdue and due soon; clicks "Lịch hạn" in the menu and sees this
month's deadlines, clicks the next month and the previous month and sees theirs; opens the bell, clicks
"Mở nhiệm vụ" on a notice and lands on its task with the bell counting one less. On a phone (390 px) the
menu and the bell's menu fit the screen and the month is a list by day. Dates come from the session's clock
(TEST_NOW)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _working_day_in_month(first: dt.date, *, on_or_after: dt.date) -> dt.date:
    """A working day of the month of `first`: the first on or after `on_or_after` in it, else the last
    before it (so a task due that day is on this month's grid whatever day of the month today is)."""
    from org.calendar import get_calendar
    from tasks.month import month_shift

    cal = get_calendar()
    days = [first + dt.timedelta(days=i) for i in range((month_shift(first, 1) - first).days)]
    working = [d for d in days if cal.is_working_day(d)]
    later = [d for d in working if d >= on_or_after]
    return later[0] if later else working[-1]


@pytest.fixture
def month(transactional_db):
    """The official's deadlines this month, the 15th (or so) of the previous and of the next month, one
    task due soon, and a notice of the city leader's approval."""
    from notifications.models import Notification
    from notifications.texts import TaskInfo, notice_text
    from org.calendar import get_calendar
    from tasks.month import month_shift
    from tests.factories import World

    world = World()
    today = timezone.localdate()
    first = today.replace(day=1)
    cal = get_calendar()
    this_due = _working_day_in_month(first, on_or_after=today)
    prev_due = _working_day_in_month(
        month_shift(first, -1), on_or_after=month_shift(first, -1).replace(day=15)
    )
    next_due = _working_day_in_month(month_shift(first, 1), on_or_after=month_shift(first, 1).replace(day=15))
    lead = world.official
    tasks = {
        "this": world.task("in_progress", due=this_due, lead=lead, title="Rà soát quy trình một cửa"),
        "prev": world.task("in_progress", due=prev_due, lead=lead, title="Báo cáo CCHC quý trước"),
        "next": world.task("assigned", due=next_due, lead=lead, title="Kiểm tra công vụ tháng sau"),
        "soon": world.task(
            "in_progress", due=cal.add_working_days(today, 1), lead=lead, title="Niêm yết TTHC"
        ),
        "other": world.task("in_progress", due=this_due, unit=world.other_commune, title="Việc của xã khác"),
    }
    done = world.task("approved", due=this_due, lead=lead, title="Công khai kết quả giải quyết hồ sơ")
    info = TaskInfo(
        done.pk, done.title, world.plan.number, world.plan.title, "Phường Đồng Tâm", done.due_date, 0
    )
    title, body = notice_text(info, "approved", "vi", actor=world.city_leader.display_name)
    notice = Notification.objects.create(
        recipient=lead, kind="approved", task=done, plan=done.plan, title=title, body=body, event_id=99
    )
    return world, tasks, done, notice


def _expected_summary(world) -> str:
    from tasks.selectors import bucket_counts, due_soon_until, my_task_list

    today = timezone.localdate()
    counts = bucket_counts(
        my_task_list(user=world.official, today=today),
        user=world.official,
        today=today,
        soon_until=due_soon_until(today),
        buckets=("overdue", "due_soon"),
    )
    assert counts["overdue"] >= 1 and counts["due_soon"] >= 1  # the previous month's task; "soon"
    return f"Bạn có {counts['overdue']} nhiệm vụ quá hạn và {counts['due_soon']} nhiệm vụ sắp đến hạn."


def _grid(page):
    return page.locator("table.cal-grid")


def test_sign_in_calendar_months_and_the_bell_on_a_desktop(month, browse):
    world, tasks, done, notice = month
    page = browse(world.official)  # signs in through the form and lands on "Việc của tôi"
    summary = page.locator("#flash .msg")
    expect(summary).to_have_text(_expected_summary(world))
    summary.get_by_role("link", name="nhiệm vụ quá hạn").click()
    expect(page.locator("a.tab-overdue")).to_have_attribute("aria-current", "true")
    expect(page.locator(".task-title", has_text=tasks["prev"].title)).to_be_visible()

    page.locator(".mainnav").get_by_role("link", name="Lịch hạn").click()
    page.wait_for_url("**/calendar/")
    today = timezone.localdate()
    expect(page.locator("#cal-title")).to_have_text(f"Tháng {today.month}/{today.year}")
    expect(page.locator("td.cal-day.today")).to_have_count(1)
    expect(page.locator("td.cal-day.today")).to_have_attribute("data-date", today.isoformat())
    this = tasks["this"]
    this_cell = page.locator(f'td.cal-day[data-date="{this.effective_due_date.isoformat()}"]')
    expect(this_cell.get_by_role("link", name=this.title)).to_be_visible()
    expect(_grid(page)).not_to_contain_text(tasks["next"].title)
    expect(_grid(page)).not_to_contain_text(tasks["other"].title)  # not the official's to see
    expect(page.locator("td.cal-day.weekend").first).to_be_visible()
    shot(page, "calendar-this-month")

    nxt = tasks["next"].effective_due_date
    page.get_by_role("link", name=f"Tháng {nxt.month}/{nxt.year} ›").click()
    expect(page.locator("#cal-title")).to_have_text(f"Tháng {nxt.month}/{nxt.year}")
    next_cell = page.locator(f'td.cal-day[data-date="{nxt.isoformat()}"]')
    expect(next_cell.locator("a.cal-task")).to_have_text([f"Trong hạn: {tasks['next'].title}"])  # tone, title
    expect(_grid(page)).not_to_contain_text(tasks["prev"].title)
    expect(page.locator("td.cal-day.today")).to_have_count(0)

    page.get_by_role("link", name=f"‹ Tháng {today.month}/{today.year}").click()
    expect(page.locator("#cal-title")).to_have_text(f"Tháng {today.month}/{today.year}")
    expect(this_cell.get_by_role("link", name=this.title)).to_be_visible()
    prev = tasks["prev"].effective_due_date
    page.get_by_role("link", name=f"‹ Tháng {prev.month}/{prev.year}").click()
    expect(page.locator("#cal-title")).to_have_text(f"Tháng {prev.month}/{prev.year}")
    prev_link = page.locator(f'td.cal-day[data-date="{prev.isoformat()}"] a.cal-task')
    expect(prev_link).to_have_text([f"Quá hạn: {tasks['prev'].title}"])
    expect(prev_link).to_have_class("cal-task tone-overdue")  # its colour says it is late
    shot(page, "calendar-previous-month")
    prev_link.click()
    page.wait_for_url(f"**/tasks/{tasks['prev'].pk}/")

    # The bell: its menu lists the notice with who approved; "Mở nhiệm vụ" opens the task, one less unread.
    badge = page.locator(".bell .badge")
    before = int(badge.inner_text())
    panel = page.locator(".bell-panel")
    expect(panel).to_be_hidden()
    page.locator("summary.bell").click()
    expect(panel).to_be_visible()
    item = panel.locator(f'[data-notification="{notice.pk}"]')
    expect(item).to_contain_text(done.title)
    expect(item.locator(".bell-actor")).to_have_text(world.city_leader.display_name)
    expect(panel.get_by_role("link", name="Xem tất cả")).to_be_visible()
    shot(page, "bell-menu")
    item.get_by_role("button", name="Mở nhiệm vụ").click()
    page.wait_for_url(f"**/tasks/{done.pk}/")
    expect(page.locator("h1")).to_have_text(done.title)
    if before > 1:
        expect(badge).to_have_text(str(before - 1))
    else:
        expect(badge).to_have_count(0)
    page.locator("summary.bell").click()
    page.locator(".bell-panel").get_by_role("link", name="Xem tất cả").click()
    page.wait_for_url("**/notifications/")


@pytest.fixture
def phone(chromium, live_server):
    """`phone(user)`: a phone-like context (390 px, touch), signed in."""
    from tests.browser.conftest import sign_in

    contexts = []

    def open_(user):
        context = chromium.new_context(
            viewport=PHONE, base_url=live_server.url, locale="vi-VN", has_touch=True, is_mobile=True
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, user.username)
        return page

    yield open_
    for context in contexts:
        context.close()


def _inside_the_screen(locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_the_menu_the_bell_and_the_calendar_on_a_phone(month, phone):
    world, tasks, done, notice = month
    page = phone(world.official)
    expect(page.locator("#flash .msg")).to_contain_text("nhiệm vụ quá hạn")
    link = page.locator(".mainnav").get_by_role("link", name="Lịch hạn")
    expect(link).to_be_visible()
    _inside_the_screen(link)
    page.locator("summary.bell").tap()
    panel = page.locator(".bell-panel")
    expect(panel).to_be_visible()
    _inside_the_screen(panel)
    expect(panel.locator(f'[data-notification="{notice.pk}"]')).to_contain_text(done.title)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "bell-menu")
    page.locator("summary.bell").tap()  # closes it
    expect(panel).to_be_hidden()

    link.tap()
    page.wait_for_url("**/calendar/")
    # A list by day instead of the grid.
    expect(_grid(page)).to_be_hidden()
    this = tasks["this"]
    day = page.locator(f'.cal-listday[data-date="{this.effective_due_date.isoformat()}"]')
    expect(day.get_by_role("link", name=this.title)).to_be_visible()
    _inside_the_screen(day)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "calendar-this-month")
    nxt = tasks["next"].effective_due_date
    page.get_by_role("link", name=f"Tháng {nxt.month}/{nxt.year} ›").tap()
    expect(page.locator(f'.cal-listday[data-date="{nxt.isoformat()}"]')).to_contain_text(tasks["next"].title)
