"""The approval inbox in a real browser: a leader signs in and lands on it, ticks two tasks and approves
them at once (they leave the list, the message says so, the menu's count drops); a bulk return without a
reason is refused with the ticks kept, and the language switch and a reload then show the inbox, never
the browser's 405; one task is then returned with a reason and an extension request approved from its
row, on a phone. Screenshots at both widths."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLES = ("Báo cáo rà soát TTHC quý IV", "Công khai kết quả giải quyết hồ sơ", "Số hóa hồ sơ lưu trữ")


@pytest.fixture
def inbox(transactional_db):
    from tasks import services
    from tests.factories import World

    world = World()
    today = timezone.localdate()
    tasks = [
        world.task("submitted", title=title, due=today + dt.timedelta(days=3 + 7 * i))
        for i, title in enumerate(TITLES)
    ]
    asking = world.task("in_progress", title="Kiểm tra công vụ tại phường", due=today + dt.timedelta(days=5))
    ext = services.extension_request(
        actor=world.official, task=asking, requested_due_date=today + dt.timedelta(days=30), reason="Chờ đoàn"
    )
    return world, tasks, ext


def _row(page, title):
    return page.locator("li.task", has=page.get_by_role("link", name=title, exact=True))


def test_a_leader_approves_two_at_once_then_returns_one_with_a_reason(inbox, browse):
    world, tasks, ext = inbox
    from tasks.models import Extension, Task, TaskEvent

    page = browse(world.city_leader)
    assert page.url.endswith("/inbox/")  # the leader's landing page
    expect(page.get_by_role("heading", level=1)).to_have_text("Việc chờ duyệt")
    expect(page.locator(".nav-inbox .count")).to_have_text("4")
    expect(page.locator("ul.inbox-list > li")).to_have_count(4)
    shot(page, "inbox")

    page.get_by_label(f"Chọn “{TITLES[0]}”").check()
    page.get_by_label(f"Chọn “{TITLES[1]}”").check()
    page.get_by_role("button", name="Duyệt các mục đã chọn").click()
    expect(page.locator(".msg-success")).to_have_text("Đã duyệt 2 nhiệm vụ.")
    expect(page.get_by_role("link", name=TITLES[0], exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name=TITLES[1], exact=True)).to_have_count(0)
    expect(page.locator(".nav-inbox .count")).to_have_text("2")
    assert set(Task.objects.filter(pk__in=[t.pk for t in tasks[:2]]).values_list("state", flat=True)) == {
        "approved"
    }

    # A bulk return without a reason: refused, said next to the reason, the tick kept.
    page.get_by_label(f"Chọn “{TITLES[2]}”").check()
    page.get_by_role("button", name="Trả lại / từ chối các mục đã chọn").click()
    expect(page.locator("#field-reason .error")).to_have_text("Cần nêu lý do trả lại hoặc từ chối.")
    expect(page.get_by_label(f"Chọn “{TITLES[2]}”")).to_be_checked()
    assert Task.objects.get(pk=tasks[2].pk).state == "submitted"
    shot(page, "inbox-refused")

    # The language switch, then a reload: the inbox again, not the browser's 405.
    page.get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name=TITLES[2], exact=True)).to_be_visible()
    response = page.reload()
    assert response.status == 200 and page.url.endswith("/inbox/")
    page.get_by_role("button", name="VI").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    # Return that one with a reason, from its row.
    page.fill("#id_reason", "Thiếu biên bản kiểm tra có chữ ký")
    _row(page, TITLES[2]).get_by_role("button", name="Trả lại", exact=True).click()
    expect(page.locator(".msg-success")).to_have_text("Đã trả lại 1 nhiệm vụ.")
    expect(page.get_by_role("link", name=TITLES[2], exact=True)).to_have_count(0)
    event = TaskEvent.objects.get(task_id=tasks[2].pk, action="return")
    assert event.reason == "Thiếu biên bản kiểm tra có chữ ký" and event.actor_id == world.city_leader.pk
    shot(page, "inbox-after")

    # On a phone: the list fits the screen, and the extension request is approved from its row.
    page.set_viewport_size(PHONE)
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the inbox is {width} px wide on a phone"
    shot(page, "inbox")
    _row(page, "Kiểm tra công vụ tại phường").get_by_role("button", name="Chấp thuận").click()
    expect(page.locator(".msg-success")).to_have_text("Đã chấp thuận 1 đề nghị gia hạn.")
    expect(page.get_by_text("Không có gì chờ bạn duyệt.")).to_be_visible()
    expect(page.locator(".nav-inbox .count")).to_have_text("0")
    assert Extension.objects.get(pk=ext.pk).state == "approved"
    shot(page, "inbox-empty")
    page.set_viewport_size(DESKTOP)
    shot(page, "inbox-empty")


def test_an_official_lands_on_my_tasks_without_the_inbox_link(inbox, browse):
    world, _tasks, _ext = inbox
    page = browse(world.official)
    assert page.url.endswith("/my-tasks/")
    expect(page.locator(".nav-inbox")).to_have_count(0)
