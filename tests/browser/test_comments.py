"""A comment with a mention, in a real browser: an official opens a task, writes a comment naming @leader
and sees it on top of the timeline (swapped in by htmx, the name highlighted); the leader signs in, sees
the notice (the bell counts it; the notification list shows who wrote), presses "Mở nhiệm vụ" and reads
the comment on the task. The notice comes from a real worker, as in production. Desktop and phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, shot
from tests.polling import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TEXT = "Nhờ @leader cho ý kiến về số liệu quý III trước khi trình"


@pytest.fixture
def ward(worker):
    from tests.factories import World

    world = World()
    task = world.task("in_progress", title="Báo cáo số liệu một cửa quý III", lead=world.official)
    return world, task


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_mention_in_a_comment_reaches_the_leader_who_opens_the_task(ward, browse, viewport):
    from notifications.models import Notification
    from tasks.models import TaskComment

    world, task = ward
    size = "desktop" if viewport is DESKTOP else "phone"
    page = browse(world.official, viewport=viewport)
    page.goto(f"/tasks/{task.pk}/")
    page.evaluate("window.__samePage = true")
    history = page.locator("#history")
    history.get_by_label("Ý kiến trao đổi").fill(TEXT + " và @khongco")
    history.get_by_role("button", name="Gửi ý kiến").click()
    first = page.locator("#history .timeline li").first
    expect(first).to_contain_text(TEXT)
    expect(first).to_contain_text(world.official.display_name)
    expect(first.locator(".mention")).to_have_text("@leader")  # reached someone: highlighted
    expect(history).to_contain_text("Không gửi thông báo cho: @khongco")
    expect(history.get_by_label("Ý kiến trao đổi")).to_have_value("")  # ready for the next one
    assert page.evaluate("window.__samePage === true")  # swapped in, not reloaded
    shot(page, f"comment-written-{size}")
    comment = TaskComment.objects.get()

    def notice():
        return Notification.objects.filter(recipient=world.city_leader, kind="mentioned").first()

    n = wait_for(notice, what="the worker's 'mentioned' notice to the leader", timeout=45)
    assert not Notification.objects.filter(kind="mentioned").exclude(recipient=world.city_leader).exists()

    leader = browse(world.city_leader, viewport=viewport)
    unread = Notification.objects.filter(recipient=world.city_leader, read_at__isnull=True).count()
    expect(leader.locator(".bell .badge")).to_have_text(str(unread))
    # The bell opens its menu of the latest notices; "Xem tất cả" opens the list.
    leader.locator(".bell").click()
    leader.locator(".bell-all").click()
    leader.wait_for_url("**/notifications/")
    item = leader.locator(f"#notification-{n.pk}")
    expect(item).to_contain_text(f"{world.official.display_name} nhắc đến bạn")
    expect(item).to_contain_text(task.title)
    expect(item).to_contain_text("Ý kiến: “Nhờ @leader")
    expect(item).not_to_contain_text("http")
    shot(leader, f"comment-notice-{size}")
    item.get_by_role("button", name="Mở nhiệm vụ").click()
    leader.wait_for_url(f"**/tasks/{task.pk}/")
    mine = leader.locator(f"#comment-{comment.pk}")
    expect(mine).to_contain_text(TEXT)
    expect(mine.locator(".mention")).to_have_text("@leader")
    if viewport is PHONE:
        assert leader.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(leader, f"comment-opened-{size}")
    n.refresh_from_db()
    assert n.read_at is not None
