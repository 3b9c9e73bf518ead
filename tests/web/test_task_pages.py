"""My tasks and the task page, each scoped to what the signed-in user may see."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tasks.models import Evidence, Extension
from tests.factories import MINIMAL_PDF

pytestmark = pytest.mark.django_db

# Two months before the session's now (TEST_NOW moves it): past whatever day the suite runs.
PAST = timezone.localdate() - dt.timedelta(days=60)


def _html(r) -> str:
    return r.content.decode()


def test_my_tasks_groups_and_colours_the_users_work(world, web):
    overdue = world.task("in_progress", due=PAST, title="Báo cáo quý quá hạn")
    returned = world.task("returned", title="Công khai TTHC bị trả lại")
    in_time = world.task("assigned", title="Rà soát văn bản trong hạn")
    world.task("assigned", unit=world.other_commune, title="Việc của xã khác")
    world.task("draft", title="Dự thảo chưa giao")

    client = web.as_(world.official)
    html = _html(client.get("/my-tasks/"))
    assert "Báo cáo quý quá hạn" in html and "Rà soát văn bản trong hạn" in html
    assert "Việc của xã khác" not in html  # another unit's task
    assert "Dự thảo chưa giao" not in html  # not assigned yet
    assert 'class="task tone-overdue"' in html and 'class="task tone-in_time"' in html

    html = _html(client.get("/my-tasks/?tab=overdue"))
    assert "Báo cáo quý quá hạn" in html and "Rà soát văn bản trong hạn" not in html
    html = _html(client.get("/my-tasks/?tab=returned"))
    assert "Công khai TTHC bị trả lại" in html and "Báo cáo quý quá hạn" not in html
    assert overdue.pk and returned.pk and in_time.pk


def test_waiting_for_my_approval_and_search(world, web):
    world.task("submitted", title="Nộp báo cáo kết quả")
    world.task("in_progress", title="Số hóa hồ sơ")
    client = web.as_(world.city_leader)
    html = _html(client.get("/my-tasks/?tab=to_approve"))
    assert "Nộp báo cáo kết quả" in html and "Số hóa hồ sơ" not in html

    client = web.as_(world.official)
    html = _html(client.get("/tasks/?q=số+hóa&tab=all&year=all"))  # every year: the search is the point
    assert "Số hóa hồ sơ" in html and "Nộp báo cáo kết quả" not in html
    # An htmx request gets only the results.
    r = client.get("/tasks/?q=hóa&tab=all&year=all", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="task-results")
    assert r.status_code == 200 and "<html" not in _html(r) and "Số hóa hồ sơ" in _html(r)


def test_lists_are_paginated(world, web):
    for i in range(27):
        world.task("assigned", title=f"Nhiệm vụ số {i:02d}")
    client = web.as_(world.official)
    html = _html(client.get("/my-tasks/"))
    assert html.count('class="task tone-') == 25 and "Trang 1/2" in html
    html = _html(client.get("/my-tasks/?page=2"))
    assert html.count('class="task tone-') == 2


def test_empty_state_says_what_to_do(world, web):
    html = _html(web.as_(world.other_official).get("/my-tasks/"))
    assert "Chưa có nhiệm vụ nào ở đây." in html


def test_task_page_shows_dates_status_and_the_actions_of_this_user(world, web):
    task = world.task("assigned", due=dt.date(2026, 11, 29), title="Công khai TTHC")  # a Sunday
    html = _html(web.as_(world.official).get(f"/tasks/{task.pk}/"))
    assert "29/11/2026" in html and "30/11/2026" in html  # due date and effective due date
    assert f'action="/tasks/{task.pk}/start/"' in html
    assert f'action="/tasks/{task.pk}/approve/"' not in html
    assert f'action="/tasks/{task.pk}/cancel/"' not in html
    html = _html(web.as_(world.city_leader).get(f"/tasks/{task.pk}/"))
    assert f'action="/tasks/{task.pk}/cancel/"' in html and f'action="/tasks/{task.pk}/start/"' not in html


def test_another_units_task_is_404_and_a_forbidden_action_403(world, web):
    task = world.task("submitted")
    stranger = web.as_(world.stranger)
    assert stranger.get(f"/tasks/{task.pk}/").status_code == 404
    assert stranger.post(f"/tasks/{task.pk}/approve/").status_code == 404
    official = web.as_(world.official)
    r = official.post(f"/tasks/{task.pk}/approve/")
    assert r.status_code == 403 and "Bạn không có quyền" in _html(r)
    task.refresh_from_db()
    assert task.state == "submitted"


def test_return_needs_a_reason_shown_next_to_the_field(world, web):
    task = world.task("submitted")
    client = web.as_(world.city_leader)
    r = client.post(f"/tasks/{task.pk}/return/", {"return-reason": ""})
    assert r.status_code == 400
    html = _html(r)
    assert 'id="id_return-reason_error"' in html
    task.refresh_from_db()
    assert task.state == "submitted"
    r = client.post(f"/tasks/{task.pk}/return/", {"return-reason": "Thiếu danh mục TTHC"})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.state == "returned"
    html = _html(web.as_(world.official).get(f"/tasks/{task.pk}/"))
    assert "Thiếu danh mục TTHC" in html  # the official sees why


def test_a_step_not_allowed_now_is_a_readable_message(world, web):
    task = world.task("assigned")
    client = web.as_(world.official)
    assert client.post(f"/tasks/{task.pk}/start/").status_code == 302
    r = client.post(f"/tasks/{task.pk}/start/", follow=True)
    assert r.status_code == 200
    assert 'class="msg msg-error"' in _html(r)
    # Submitting with no evidence: the service's reason, on the page.
    r = client.post(f"/tasks/{task.pk}/submit/")
    assert r.status_code == 400
    assert "Hãy tải lên ít nhất một tài liệu kiểm chứng trước khi trình." in _html(r)


def test_assign_approve_and_reopen_through_the_page(world, web):
    task = world.task("draft")
    leader = web.as_(world.city_leader)
    assert leader.post(f"/tasks/{task.pk}/assign/").status_code == 302
    task.refresh_from_db()
    assert task.state == "assigned"
    task = world.task("submitted")
    assert leader.post(f"/tasks/{task.pk}/approve/").status_code == 302
    task.refresh_from_db()
    assert task.state == "approved" and task.progress == 100
    assert leader.post(f"/tasks/{task.pk}/reopen/", {"reopen-reason": "Bổ sung số liệu"}).status_code == 302
    task.refresh_from_db()
    assert task.state == "in_progress"


def test_progress_update_with_validation(world, web):
    task = world.task("in_progress")
    client = web.as_(world.official)
    r = client.post(f"/tasks/{task.pk}/progress/", {"progress": "150"})
    assert r.status_code == 400 and 'id="id_progress_error"' in _html(r)
    r = client.post(f"/tasks/{task.pk}/progress/", {"progress": "60", "note": "Đã xong 3/5 xã"})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.progress == 60
    assert "Đã xong 3/5 xã" in _html(client.get(f"/tasks/{task.pk}/"))


def test_evidence_upload_list_download_and_delete(world, web):
    task = world.task("in_progress")
    client = web.as_(world.official)
    r = client.post(
        f"/tasks/{task.pk}/evidence/",
        {
            "file": SimpleUploadedFile("quyet-dinh.pdf", MINIMAL_PDF),
            "doc_number": "12/QĐ-UBND",
            "doc_date": "2026-11-20",
            "metric_value": "97,5",
        },
    )
    assert r.status_code == 302
    ev = Evidence.objects.get(task=task)
    assert ev.doc_number == "12/QĐ-UBND" and str(ev.metric_value) == "97.50"
    html = _html(client.get(f"/tasks/{task.pk}/"))
    assert "quyet-dinh.pdf" in html and f"/tasks/{task.pk}/evidence/{ev.pk}/download/" in html
    download = client.get(f"/tasks/{task.pk}/evidence/{ev.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == MINIMAL_PDF
    assert "attachment" in download["Content-Disposition"]
    assert web.as_(world.stranger).get(f"/tasks/{task.pk}/evidence/{ev.pk}/download/").status_code == 404

    client = web.as_(world.official)
    assert client.post(f"/tasks/{task.pk}/evidence/{ev.pk}/delete/").status_code == 302
    assert not Evidence.objects.filter(task=task).exists()


def test_evidence_upload_with_htmx_answers_the_section_and_the_actions(world, web):
    task = world.task("in_progress")
    client = web.as_(world.official)
    r = client.post(
        f"/tasks/{task.pk}/evidence/",
        {"file": SimpleUploadedFile("bao-cao.pdf", MINIMAL_PDF)},
        HTTP_HX_REQUEST="true",
    )
    html = _html(r)
    assert r.status_code == 200 and "<html" not in html
    assert "bao-cao.pdf" in html
    # Submitting has become possible: the actions come along, out of band.
    assert 'hx-swap-oob="true"' in html and f'action="/tasks/{task.pk}/submit/"' in html


def test_a_refused_file_is_reported_next_to_the_file_field(world, web):
    task = world.task("in_progress")
    client = web.as_(world.official)
    r = client.post(
        f"/tasks/{task.pk}/evidence/", {"file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf")}
    )
    assert r.status_code == 400
    assert 'id="id_file_error"' in _html(r)
    assert not Evidence.objects.filter(task=task).exists()
    # Someone outside the assignee unit may not upload (the leader sees the task).
    r = web.as_(world.city_leader).post(
        f"/tasks/{task.pk}/evidence/", {"file": SimpleUploadedFile("a.pdf", MINIMAL_PDF)}
    )
    assert r.status_code == 403


def test_extension_request_and_decision(world, web):
    task = world.task("in_progress", due=dt.date(2026, 12, 15))
    client = web.as_(world.official)
    r = client.post(f"/tasks/{task.pk}/extensions/", {"requested_due_date": "2026-12-01", "reason": ""})
    html = _html(r)
    assert r.status_code == 400 and 'id="id_reason_error"' in html
    r = client.post(
        f"/tasks/{task.pk}/extensions/", {"requested_due_date": "2026-12-01", "reason": "Chờ số liệu"}
    )
    assert r.status_code == 400 and 'id="id_requested_due_date_error"' in _html(r)  # earlier than due
    r = client.post(
        f"/tasks/{task.pk}/extensions/", {"requested_due_date": "2026-12-31", "reason": "Chờ số liệu"}
    )
    assert r.status_code == 302
    ext = Extension.objects.get(task=task)
    assert (
        client.post(f"/tasks/{task.pk}/extensions/{ext.pk}/decide/", {"decision": "approve"}).status_code
        == 403
    )

    leader = web.as_(world.city_leader)
    assert "Chờ số liệu" in _html(leader.get(f"/tasks/{task.pk}/"))
    r = leader.post(f"/tasks/{task.pk}/extensions/{ext.pk}/decide/", {"decision": "reject", "note": ""})
    assert r.status_code == 400 and 'id="id_note_error"' in _html(r)
    r = leader.post(f"/tasks/{task.pk}/extensions/{ext.pk}/decide/", {"decision": "approve"})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.due_date == dt.date(2026, 12, 31)


def test_history_lists_every_step(world, web):
    task = world.task("returned")
    html = _html(web.as_(world.official).get(f"/tasks/{task.pk}/"))
    for label in (
        "Tạo nhiệm vụ",
        "Giao nhiệm vụ",
        "Bắt đầu thực hiện",
        "Thêm tài liệu kiểm chứng",
        "Trình duyệt",
        "Trả lại",
    ):
        assert label in html


def test_task_edit_by_the_owner_leader_only(world, web):
    task = world.task("assigned")
    assert web.as_(world.official).get(f"/tasks/{task.pk}/edit/").status_code == 403
    leader = web.as_(world.city_leader)
    assert leader.get(f"/tasks/{task.pk}/edit/").status_code == 200
    r = leader.post(
        f"/tasks/{task.pk}/edit/",
        {"title": "", "assignee_unit": world.commune.pk, "priority": "high", "due_date": "2026-12-20"},
    )
    assert r.status_code == 200 and 'id="id_title_error"' in _html(r)
    r = leader.post(
        f"/tasks/{task.pk}/edit/",
        {
            "title": "Tên mới",
            "assignee_unit": world.commune.pk,
            "priority": "high",
            "start_date": "2026-12-21",
            "due_date": "2026-12-20",
        },
    )
    assert r.status_code == 200 and 'id="id_due_date_error"' in _html(r)
    r = leader.post(
        f"/tasks/{task.pk}/edit/",
        {"title": "Tên mới", "assignee_unit": world.commune.pk, "priority": "high", "due_date": "2026-12-20"},
    )
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.title == "Tên mới" and task.priority == "high" and task.due_date == dt.date(2026, 12, 20)


def test_lead_options_follow_the_chosen_unit(world, web):
    client = web.as_(world.city_leader)
    html = _html(client.get(f"/tasks/lead-options/?assignee_unit={world.commune.pk}"))
    assert "official" in html and "colleague" in html and "other" not in html
    # A unit outside the user's scope gives nothing away.
    html = _html(client.get(f"/tasks/lead-options/?assignee_unit={world.elsewhere_commune.pk}"))
    assert "stranger" not in html
