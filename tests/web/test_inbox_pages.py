"""The approval inbox page: a leader's landing page listing, in one list, the submitted tasks and the
extension requests that wait for them; bulk approve and return with one reason; a refused form keeps the
ticks, says why, and leaves the browser on a URL that answers GET."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from org.models import Role
from tasks import services
from tasks.models import Extension, Task, TaskEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _html(r) -> str:
    return r.content.decode()


def _state(task) -> str:
    return Task.objects.values_list("state", flat=True).get(pk=task.pk)


@pytest.fixture
def waiting(world):
    today = timezone.localdate()
    a = world.task("submitted", title="Báo cáo rà soát TTHC", due=today + dt.timedelta(days=3))
    b = world.task("submitted", title="Công khai kết quả một cửa", due=today + dt.timedelta(days=12))
    c = world.task("submitted", title="Số hóa hồ sơ lưu trữ", due=today + dt.timedelta(days=20))
    asking = world.task("in_progress", title="Xin lùi hạn kiểm tra", due=today + dt.timedelta(days=6))
    ext = services.extension_request(
        actor=world.official,
        task=asking,
        requested_due_date=today + dt.timedelta(days=40),
        reason="Chờ số liệu",
    )
    world.task("in_progress", title="Đang làm, chưa trình")
    return a, b, c, ext


def test_a_leader_lands_on_the_inbox_and_an_official_on_my_tasks(world, web):
    assert web.as_(world.city_leader).get("/")["Location"] == "/inbox/"
    assert web.as_(world.admin).get("/")["Location"] == "/inbox/"
    assert web.as_(world.official).get("/")["Location"] == "/my-tasks/"


def test_the_inbox_lists_tasks_and_requests_in_one_list_with_what_a_leader_needs(world, web, waiting):
    a, b, c, ext = waiting
    html = _html(web.as_(world.city_leader).get("/inbox/"))
    titles = [
        "Báo cáo rà soát TTHC",
        "Xin lùi hạn kiểm tra",
        "Công khai kết quả một cửa",
        "Số hóa hồ sơ lưu trữ",
    ]
    positions = [html.index(t) for t in titles]
    assert positions == sorted(positions)  # most urgent first: one list, tasks and requests mixed
    assert "Đang làm, chưa trình" not in html
    assert "Phường Đồng Tâm" in html and "36/KH-UBND" in html  # the unit and the plan
    assert a.effective_due_date.strftime("%d/%m/%Y") in html
    assert "1 tài liệu kiểm chứng" in html
    assert f'name="extension" value="{ext.pk}"' in html and f'name="task" value="{a.pk}"' in html
    # The top menu counts what waits.
    assert 'class="nav-inbox"' in html and 'Chờ duyệt <span class="count">4</span>' in html


def test_the_menu_link_is_for_leaders_only_and_an_officials_inbox_is_empty(world, web, waiting):
    html = _html(web.as_(world.official).get("/my-tasks/"))
    assert 'class="nav-inbox"' not in html
    html = _html(web.as_(world.official).get("/inbox/"))
    assert "Không có gì chờ bạn duyệt." in html and "Báo cáo rà soát TTHC" not in html


def test_the_pager_reaches_every_item(world, web):
    for i in range(27):
        world.task("submitted", title=f"Trình số {i:02d}")
    client = web.as_(world.city_leader)
    html = _html(client.get("/inbox/?sort=newest"))
    assert "Trang 1/2" in html and 'href="?sort=newest&amp;page=2"' in html
    html = _html(client.get("/inbox/?sort=newest&page=2"))
    assert "Trang 2/2" in html and html.count('name="task"') == 2


def test_bulk_approve_and_an_extension_in_one_go(world, web, waiting):
    a, b, c, ext = waiting
    client = web.as_(world.city_leader)
    r = client.post("/inbox/", {"action": "approve", "task": [a.pk, b.pk], "extension": [ext.pk]})
    assert r.status_code == 302 and r["Location"] == "/inbox/"
    html = _html(client.get("/inbox/"))
    assert "Đã duyệt 2 nhiệm vụ." in html and "Đã chấp thuận 1 đề nghị gia hạn." in html
    assert "Báo cáo rà soát TTHC" not in html and "Số hóa hồ sơ lưu trữ" in html
    assert _state(a) == _state(b) == "approved" and Extension.objects.get(pk=ext.pk).state == "approved"


def test_a_task_approved_meanwhile_is_named_in_a_message_and_the_rest_still_done(world, web, waiting):
    a, b, _c, _ext = waiting
    services.task_approve(actor=world.city_leader, task=a)  # in another tab, a moment before
    client = web.as_(world.city_leader)
    r = client.post("/inbox/", {"action": "approve", "task": [a.pk, b.pk]}, follow=True)
    html = _html(r)
    assert "Đã duyệt 1 nhiệm vụ." in html
    assert "Không thực hiện được với “Báo cáo rà soát TTHC”" in html and "Đã duyệt" in html
    assert _state(b) == "approved"


def test_bulk_return_without_a_reason_is_refused_keeps_the_ticks_and_the_url_answers_get(world, web, waiting):
    a, b, c, ext = waiting
    client = web.as_(world.city_leader)
    r = client.post("/inbox/?sort=urgent", {"action": "return", "task": [a.pk, c.pk], "reason": "  "})
    assert r.status_code == 400
    html = _html(r)
    assert "Cần nêu lý do trả lại hoặc từ chối." in html
    assert f'name="task" value="{a.pk}" checked' in html and f'name="task" value="{c.pk}" checked' in html
    assert f'name="task" value="{b.pk}" checked' not in html
    assert {_state(a), _state(c)} == {"submitted"}
    # A reload or a language switch asks the same URL with GET: the inbox, not a 405.
    assert client.get("/inbox/?sort=urgent").status_code == 200
    r = client.post("/accounts/language/", {"language": "en", "next": "/inbox/?sort=urgent"})
    assert r.status_code == 302 and client.get(r["Location"]).status_code == 200
    # Nothing ticked is refused too, with its own message.
    r = client.post("/inbox/", {"action": "approve"})
    # (in the language just chosen)
    assert r.status_code == 400 and "Select at least one item in the list." in _html(r)


def test_return_one_row_with_a_reason_and_reject_a_request(world, web, waiting):
    a, b, c, ext = waiting
    client = web.as_(world.city_leader)
    # The row's own button acts on that row alone, whatever else is ticked.
    r = client.post("/inbox/", {"action": f"return:t{c.pk}", "task": [a.pk], "reason": "Thiếu biên bản"})
    assert r.status_code == 302
    assert _state(c) == "returned" and _state(a) == "submitted"
    assert TaskEvent.objects.get(task=c, action="return").reason == "Thiếu biên bản"
    r = client.post("/inbox/", {"action": f"return:x{ext.pk}", "reason": "Không đủ căn cứ"}, follow=True)
    assert "Đã từ chối 1 đề nghị gia hạn." in _html(r)
    assert Extension.objects.get(pk=ext.pk).decision_note == "Không đủ căn cứ"


def test_a_leader_who_does_not_own_the_plan_is_refused_per_task(world, web, waiting):
    a, *_rest = waiting
    ward_leader = factories.user("wardleader", memberships=[(world.commune, Role.LEADER)])
    client = web.as_(ward_leader)
    assert "Báo cáo rà soát TTHC" not in _html(client.get("/inbox/"))
    r = client.post("/inbox/", {"action": "approve", "task": [a.pk]}, follow=True)
    assert "Không thực hiện được với “Báo cáo rà soát TTHC”" in _html(r)
    assert _state(a) == "submitted"


def test_an_official_posting_to_the_inbox_gets_403(world, web, waiting):
    a, *_rest = waiting
    r = web.as_(world.official).post("/inbox/", {"action": "approve", "task": [a.pk]})
    assert r.status_code == 403 and _state(a) == "submitted"


@pytest.mark.parametrize(
    "body",
    [
        {"action": "approve", "task": ["x"]},
        {"action": "approve", "task": ["9" * 30]},
        {"action": "delete", "task": ["1"]},
        {"action": "approve:z1"},
        {},
    ],
)
def test_odd_input_is_a_readable_400_never_a_500(world, web, waiting, body):
    r = web.as_(world.city_leader).post("/inbox/", body)
    assert r.status_code == 400
    html = _html(r)
    assert 'class="alert alert-error"' in html
    assert any(m in html for m in ("Mã không hợp lệ.", "Hãy bấm Duyệt hoặc Trả lại.")), html[:300]


def test_the_page_reads_the_same_number_of_queries_for_two_items_or_twelve(world, web):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web.as_(world.city_leader)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/inbox/").status_code == 200
        return len(ctx.captured_queries)

    tasks = [world.task("in_progress", title=f"Gia hạn {i}", lead=world.official) for i in range(6)]
    for t in tasks[:1]:
        services.extension_request(
            actor=world.official, task=t, requested_due_date=t.due_date + dt.timedelta(days=9), reason="Chờ"
        )
    world.task("submitted", title="Trình 0", lead=world.official)
    queries()  # the first request also fills the process's caches (the working calendar)
    few = queries()
    for t in tasks[1:]:
        services.extension_request(
            actor=world.official, task=t, requested_due_date=t.due_date + dt.timedelta(days=9), reason="Chờ"
        )
    for i in range(5):
        world.task("submitted", title=f"Trình {i + 1}", lead=world.official)
    assert _html(client.get("/inbox/")).count('name="extension"') == 6
    assert queries() == few
