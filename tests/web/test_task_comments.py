"""Comments on the task page: the form in the timeline (htmx swaps the timeline; without JavaScript, POST
then redirect), comments and history in one chronological timeline, mentions highlighted, bodies escaped,
refusals shown on the page and never left on a POST-only URL, and nothing for someone who cannot see it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tasks import services
from tasks.models import TaskComment

pytestmark = pytest.mark.django_db


def _html(r) -> str:
    return r.content.decode()


def _timeline(html: str) -> list[str]:
    """The timeline's entries, newest first, as text."""
    ol = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S).group(1)
    items = re.findall(r"<li[^>]*>(.*?)</li>", ol, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", i).split()) for i in items]


def test_the_form_posts_then_redirects_to_the_comment_on_the_task_page(world, web):
    task = world.task("in_progress")
    client = web.as_(world.official)
    html = _html(client.get(f"/tasks/{task.pk}/"))
    assert f'action="/tasks/{task.pk}/comments/"' in html and 'name="body"' in html
    r = client.post(f"/tasks/{task.pk}/comments/", {"body": "Xin ý kiến @leader về số liệu"})
    comment = TaskComment.objects.get()
    assert r.status_code == 302 and r.url == f"/tasks/{task.pk}/#comment-{comment.pk}"
    html = _html(client.get(r.url))
    assert "Đã gửi ý kiến." in html
    written = timezone.localtime(comment.created_at).strftime("%d/%m/%Y %H:%M")
    assert _timeline(html)[0] == f"{written} Official ý kiến Xin ý kiến @leader về số liệu"
    assert '<span class="mention" title="Leader">@leader</span>' in html


def test_comments_and_history_are_one_timeline_in_order(world, web):
    task = world.task("in_progress")
    now = timezone.now()
    services.task_comment_add(actor=world.official, task=task, body="Trước khi báo cáo", now=now)
    services.task_report_progress(
        actor=world.official, task=task, progress=40, now=now + dt.timedelta(minutes=1)
    )
    services.task_comment_add(
        actor=world.city_leader, task=task, body="Đã xem tiến độ", now=now + dt.timedelta(minutes=2)
    )
    entries = _timeline(_html(web.as_(world.official).get(f"/tasks/{task.pk}/")))
    assert "Leader ý kiến Đã xem tiến độ" in entries[0]
    assert "Cập nhật tiến độ" in entries[1] and "0% → 40%" in entries[1]
    assert "Official ý kiến Trước khi báo cáo" in entries[2]
    assert "Bắt đầu thực hiện" in entries[3]


def test_the_timeline_pages_comments_with_the_history(world, web):
    task = world.task("in_progress")
    now = timezone.now()
    for i in range(25):
        services.task_comment_add(
            actor=world.official, task=task, body=f"Ý kiến số {i:02d}", now=now + dt.timedelta(minutes=i)
        )
    client = web.as_(world.official)
    first = _timeline(_html(client.get(f"/tasks/{task.pk}/")))
    assert len(first) == 20 and "Ý kiến số 24" in first[0]
    second = _timeline(_html(client.get(f"/tasks/{task.pk}/?history=2")))
    assert "Ý kiến số 04" in second[0] and "Ý kiến số 00" in second[4]
    assert any("Giao nhiệm vụ" in e for e in second)  # the history before the comments


def test_a_body_is_escaped_never_run(world, web):
    task = world.task("in_progress")
    attack = '<script>alert("xss")</script><img src=x onerror=alert(1)> @leader'
    client = web.as_(world.official)
    client.post(f"/tasks/{task.pk}/comments/", {"body": attack})
    html = _html(web.as_(world.city_leader).get(f"/tasks/{task.pk}/"))
    assert '<script>alert("xss")' not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_mention_that_reached_no_one_is_said_and_not_highlighted(world, web):
    task = world.task("in_progress")
    client = web.as_(world.official)
    r = client.post(f"/tasks/{task.pk}/comments/", {"body": "@stranger @khongco @leader"}, follow=True)
    html = _html(r)
    assert "Không gửi thông báo cho: @stranger, @khongco" in html
    assert '<span class="mention" title="Leader">@leader</span>' in html
    assert 'class="mention" title="Stranger"' not in html


def test_htmx_swaps_the_timeline_with_the_new_comment_and_a_fresh_form(world, web):
    task = world.task("in_progress")
    r = web.as_(world.official).post(
        f"/tasks/{task.pk}/comments/", {"body": "Nhờ @leader xem @ai_do"}, HTTP_HX_REQUEST="true"
    )
    html = _html(r)
    assert r.status_code == 200 and "<html" not in html
    assert html.strip().startswith('<section class="card" id="history"')
    assert "hx-swap-oob" not in html  # it is the swap's target itself
    assert "Official ý kiến Nhờ @leader xem @ai_do" in _timeline(html)[0]
    assert "Không gửi thông báo cho: @ai_do" in html
    assert re.search(r'<textarea name="body"[^>]*>\s*</textarea>', html)  # emptied for the next one


def test_a_refused_comment_shows_its_error_and_the_post_url_answers_get(world, web):
    task = world.task("in_progress")
    client = web.as_(world.official)
    r = client.post(f"/tasks/{task.pk}/comments/", {"body": "   "})
    assert r.status_code == 400
    assert "Hãy nhập nội dung ý kiến." in _html(r) and "<h1>Rà soát TTHC</h1>" in _html(r)
    r = client.post(f"/tasks/{task.pk}/comments/", {"body": "x" * 4001})
    assert r.status_code == 400 and "4000" in _html(r)
    # A reload (or a language switch) of the refused form asks this URL with GET: the task page.
    r = client.get(f"/tasks/{task.pk}/comments/")
    assert r.status_code == 302 and r.url == f"/tasks/{task.pk}/"
    # With htmx, the refusal comes back in the timeline, the text kept (htmx swaps only a 200).
    r = client.post(f"/tasks/{task.pk}/comments/", {"body": "x" * 4001}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'class="error"' in _html(r) and "x" * 4001 in _html(r)
    assert not TaskComment.objects.exists()


def test_a_cancelled_task_offers_no_form_and_refuses_a_post(world, web):
    task = world.task("cancelled")
    client = web.as_(world.city_leader)
    html = _html(client.get(f"/tasks/{task.pk}/"))
    assert 'name="body"' not in html and "Nhiệm vụ đã hủy: không thêm ý kiến được." in html
    r = client.post(f"/tasks/{task.pk}/comments/", {"body": "Còn làm không?"})
    assert r.status_code == 400 and "không thêm ý kiến được" in _html(r)
    assert not TaskComment.objects.exists()


def test_someone_who_cannot_see_the_task_gets_404_and_changes_nothing(world, web):
    task = world.task("in_progress")
    services.task_comment_add(actor=world.official, task=task, body="Nội bộ phường")
    client = web.as_(world.stranger)
    assert client.get(f"/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/tasks/{task.pk}/comments/", {"body": "Chen ngang"}).status_code == 404
    r = client.post(f"/tasks/{task.pk}/comments/", {"body": "x"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 404
    assert list(TaskComment.objects.values_list("body", flat=True)) == ["Nội bộ phường"]


def test_the_page_reads_the_same_number_of_queries_for_more_comments(world, web):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task = world.task("in_progress")
    client = web.as_(world.official)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/tasks/{task.pk}/").status_code == 200
        return len(ctx.captured_queries)

    services.task_comment_add(actor=world.official, task=task, body="@leader @colleague một")
    queries()  # the first page of a session also reads what it then caches (the calendar, the session)
    few = queries()
    for i in range(12):
        services.task_comment_add(actor=world.colleague, task=task, body=f"@leader @official số {i}")
    assert queries() == few
