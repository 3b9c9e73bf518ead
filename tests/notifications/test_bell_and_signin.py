"""The bell's menu and the summary at sign-in (issue 13): the menu lists the latest five notices with a
short text, who they come from, the time and "Mở nhiệm vụ", then "Xem tất cả" (a <details>: no script
needed); at sign-in, whatever the hour, "Bạn có N nhiệm vụ quá hạn và M nhiệm vụ sắp đến hạn" with the same
counts as the tabs of "Việc của tôi", each linking to its tab."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from notifications.bell import notice_actor, notice_sender
from notifications.models import Notification
from notifications.texts import TaskInfo, notice_text
from org.calendar import get_calendar
from tasks.selectors import bucket_counts, due_soon_until, my_task_list
from tests.factories import user as make_user

pytestmark = pytest.mark.django_db


def _bell(html: str) -> str:
    m = re.search(r'<details class="bellmenu">.*?</details>', html, re.S)
    assert m, "no bell menu"
    return m.group(0)


def _notice(recipient, task, *, kind="approved", actor="Lê Văn Duyệt", minutes_ago=0, read=False):
    info = TaskInfo(task.pk, task.title, "36/KH-UBND", "Kế hoạch", "Phường Đồng Tâm", task.due_date, 0)
    title, body = notice_text(info, kind, "vi", actor=actor)
    now = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        task=task,
        plan=task.plan,
        title=title,
        body=body,
        event_id=1000 + minutes_ago,
        created_at=now,
        read_at=now if read else None,
    )


def test_the_actor_is_read_from_the_notice_in_either_language():
    info = TaskInfo(1, "T", "1/KH", "K", "U", None, 0)
    for language in ("vi", "en"):
        _title, body = notice_text(info, "returned", language, actor="Trần Thị Lãnh", reason="Thiếu số liệu")
        assert notice_actor("returned", body) == "Trần Thị Lãnh"
    assert notice_actor("approved", "Nhiệm vụ: x\nHạn hoàn thành: 01/01/2027") == ""
    assert notice_sender("due_3", "…") == "Hệ thống nhắc việc"  # a reminder comes from the system


def test_the_bell_menu_lists_the_latest_five_with_actor_time_and_open_button(world, web):
    task = world.task("in_progress", lead=world.official, title="Công khai kết quả giải quyết hồ sơ")
    notices = [_notice(world.official, task, minutes_ago=m, actor=f"Người {m}") for m in range(7)]
    notices[0].read_at = timezone.now()
    notices[0].save(update_fields=["read_at"])
    html = web.as_(world.official).get("/my-tasks/").content.decode()
    bell = _bell(html)
    shown = [int(pk) for pk in re.findall(r'data-notification="(\d+)"', bell)]
    assert shown == [n.pk for n in notices[:5]]  # the newest five, newest first
    assert 'data-unread="6"' in bell
    assert bell.count("Mở nhiệm vụ") == 5
    assert "Người 0" in bell and "Người 4" in bell and "Người 5" not in bell
    assert timezone.localtime(notices[1].created_at).strftime("%d/%m/%Y %H:%M") in bell
    assert f'action="/notifications/{notices[1].pk}/read/"' in bell
    assert 'href="/notifications/">Xem tất cả</a>' in bell
    assert "http" not in re.sub(r'(href|action)="[^"]*"', "", bell)  # no raw links in the text


def test_opening_from_the_bell_marks_read_and_goes_to_the_task(world, web):
    task = world.task("in_progress", lead=world.official)
    notice = _notice(world.official, task)
    client = web.as_(world.official)
    r = client.post(f"/notifications/{notice.pk}/read/", {"open": "1"})
    assert r.status_code == 302 and r["Location"] == f"/tasks/{task.pk}/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_an_empty_bell_says_so_and_still_links_to_the_list(world, web):
    bell = _bell(web.as_(world.official).get("/my-tasks/").content.decode())
    assert "Chưa có thông báo nào." in bell and 'href="/notifications/"' in bell
    assert "data-unread" not in bell


def test_the_bell_is_one_query(world, web, django_assert_max_num_queries):
    task = world.task("in_progress", lead=world.official)
    for m in range(3):
        _notice(world.official, task, minutes_ago=m)
    client = web.as_(world.official)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get("/notifications/preferences/")
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "notifications_notification"' in q["sql"]]
    assert len(reads) == 2, reads  # the unread count and the five


# --- At sign-in ---------------------------------------------------------------------------------------------


def _sign_in(username: str) -> tuple[Client, str]:
    client = Client()
    r = client.post("/accounts/login/", {"username": username, "password": "Secret-pass-123"}, follow=True)
    assert r.status_code == 200 and r.request["PATH_INFO"] == "/my-tasks/"
    return client, r.content.decode()


def test_sign_in_tells_what_is_overdue_and_due_soon_as_the_tabs_count_it(world):
    today = timezone.localdate()
    cal = get_calendar()
    for i in (2, 5, 9):
        world.task("in_progress", due=cal.add_working_days(today, -i), lead=world.official, title=f"Quá {i}")
    world.task(
        "submitted", due=cal.add_working_days(today, -1), lead=world.official, title="Đã trình, quá hạn"
    )
    world.task("assigned", due=today, lead=world.official, title="Hạn hôm nay")
    world.task("in_progress", due=cal.add_working_days(today, 1), lead=world.official, title="Hạn mai")
    world.task("in_progress", due=today + dt.timedelta(days=30), lead=world.official, title="Còn lâu")
    world.task("approved", due=cal.add_working_days(today, -4), lead=world.official, title="Xong")
    world.task("in_progress", due=cal.add_working_days(today, -4), unit=world.other_commune, title="Xã khác")
    counts = bucket_counts(
        my_task_list(user=world.official, today=today),
        user=world.official,
        today=today,
        soon_until=due_soon_until(today),
        buckets=("overdue", "due_soon"),
    )
    assert counts == {"overdue": 4, "due_soon": 2}
    _client, html = _sign_in("official")
    assert re.search(
        r'Bạn có <a href="/my-tasks/\?tab=overdue">4 nhiệm vụ quá hạn</a> và '
        r'<a href="/my-tasks/\?tab=due_soon">2 nhiệm vụ sắp đến hạn</a>\.',
        html,
    ), html[html.find('id="flash"') : html.find('id="flash"') + 600]
    # The tabs of the page it lands on say the same.
    assert re.search(r'class="tab tab-overdue has-items"[^>]*>[^<]*<span class="count">4</span>', html)
    assert re.search(r'class="tab tab-due_soon has-items"[^>]*>[^<]*<span class="count">2</span>', html)


def test_sign_in_with_only_overdue_work_says_only_that(world):
    today = timezone.localdate()
    world.task("in_progress", due=get_calendar().add_working_days(today, -2), lead=world.official)
    _client, html = _sign_in("official")
    assert 'Bạn có <a href="/my-tasks/?tab=overdue">1 nhiệm vụ quá hạn</a>.' in html
    assert "sắp đến hạn</a>" not in html


def test_nothing_is_said_when_nothing_is_late_or_close(world):
    world.task("in_progress", due=timezone.localdate() + dt.timedelta(days=30), lead=world.official)
    _client, html = _sign_in("official")
    assert "Bạn có" not in html


def test_the_summary_is_one_query_for_a_leader_too(world, django_assert_max_num_queries):
    from notifications.signin import deadline_counts

    leader = make_user("communeleader2", memberships=[(world.commune, "leader")])
    world.task("in_progress", due=get_calendar().add_working_days(timezone.localdate(), -2))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        counts = deadline_counts(user=leader)
    assert counts["overdue"] == 1
    task_reads = [q for q in ctx.captured_queries if 'FROM "tasks_task"' in q["sql"]]
    assert len(task_reads) == 1
