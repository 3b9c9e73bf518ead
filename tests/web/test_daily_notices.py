"""Issue 13, items 5, 6 and 8 as the pages show them: the history after an htmx upload, a file over the limit
at its field, the notices' actor, short in-app text and "Mở nhiệm vụ" button, notices read by acting on the
task, and what a phone and a printer get."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notifications.models import Notification
from notifications.tasks import notices_for_event_job
from tasks import services as task_services
from tasks.models import Evidence
from tests.factories import MINIMAL_PDF

pytestmark = pytest.mark.django_db


def _html(r) -> str:
    return r.content.decode()


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return match.group(0)


@pytest.fixture
def queue(monkeypatch, django_capture_on_commit_callbacks):
    """The broker's stand-in: `queue.act(fn, **kw)` runs a step and its after-commit dispatch, the notice
    jobs it queued are then run as a worker runs them (their body, no eager mode)."""

    class Queue(list):
        def act(self, fn, **kw):
            with django_capture_on_commit_callbacks(execute=True):
                result = fn(**kw)
            jobs = list(self)
            self.clear()
            for args in jobs:
                notices_for_event_job.run(*args)
            return result

    q = Queue()
    monkeypatch.setattr(notices_for_event_job, "delay", lambda *args: q.append(args))
    return q


# --- Item 5: the upload ------------------------------------------------------------------------------------


def test_an_htmx_upload_brings_the_new_history_entry_along(world, web):
    task = world.task("in_progress")
    client = web.as_(world.official)
    r = client.post(
        f"/tasks/{task.pk}/evidence/",
        {"file": SimpleUploadedFile("bien-ban-hop.pdf", MINIMAL_PDF)},
        HTTP_HX_REQUEST="true",
    )
    html = _html(r)
    assert r.status_code == 200 and "<html" not in html
    history = _section(html, "history")
    assert 'hx-swap-oob="true"' in history  # swapped in place of the page's history panel
    first = re.search(r'<ol class="timeline">\s*<li>(.*?)</li>', history, re.S).group(1)
    assert "Thêm tài liệu kiểm chứng" in first and "bien-ban-hop.pdf" in first  # the newest entry, on top
    assert f'action="/tasks/{task.pk}/submit/"' in html  # the actions come along too


def test_a_file_over_the_limit_is_refused_at_its_field_keeping_the_other_fields(world, web, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    task = world.task("in_progress")
    client = web.as_(world.official)
    r = client.post(
        f"/tasks/{task.pk}/evidence/",
        {
            "file": SimpleUploadedFile("qua-lon.pdf", MINIMAL_PDF + b"%" * 2048),
            "doc_number": "15/BC-UBND",
            "description": "Báo cáo kết quả quý IV",
        },
        HTTP_HX_REQUEST="true",
    )
    html = _html(r)
    assert r.status_code == 200  # htmx swaps the section with the form and its errors
    evidence = _section(html, "evidence")
    error = re.search(r'<p class="error" id="id_file_error">(.*?)</p>', evidence)
    assert error and "giới hạn là" in error.group(1)
    assert 'value="15/BC-UBND"' in evidence and "Báo cáo kết quả quý IV" in evidence
    assert "Trường này là bắt buộc" not in html
    assert 'class="msg msg-error"' not in html  # nothing at the top of the page
    assert not Evidence.objects.filter(task=task).exists()


def test_the_picker_knows_its_limit_and_the_page_its_message(world, web):
    task = world.task("in_progress")
    html = _html(web.as_(world.official).get(f"/tasks/{task.pk}/"))
    assert 'data-max-bytes="20971520"' in html
    assert 'data-msg-too-big="Tệp có {size} MB; giới hạn là {limit} MB. Chọn tệp nhỏ hơn."' in html
    # A phone is told to tap, a desktop to drag (CSS by pointer: both are in the page).
    assert '<strong class="drag-only">Kéo thả tệp vào đây</strong>' in html
    assert '<strong class="touch-only">Chạm để chọn tệp</strong>' in html


# --- Item 6: the notices -----------------------------------------------------------------------------------


def test_the_approval_notice_names_the_approver_as_such_and_reads_short_in_the_app(world, web, queue):
    task = world.task("submitted", title="Công khai thủ tục hành chính")
    queue.act(task_services.task_approve, actor=world.city_leader, task=task, reason="")
    n = Notification.objects.get(recipient=world.official, kind="approved")
    assert f"Người duyệt: {world.city_leader.display_name}" in n.body
    assert "Người thực hiện" not in n.body
    assert re.search(rf"Xem nhiệm vụ: https?://\S+/tasks/{task.pk}/", n.body)  # the e-mail keeps its link

    html = _html(web.as_(world.official).get("/notifications/"))
    item = re.search(rf'<li class="notification[^"]*" id="notification-{n.pk}">.*?</li>', html, re.S).group(0)
    assert f"Người duyệt: {world.city_leader.display_name}" in item
    assert "://" not in re.sub(r"<[^>]+>", "", item)  # no raw URL in the text
    assert "Nhiệm vụ: Công khai" not in item and "Kế hoạch: 36/KH-UBND" not in item  # short
    assert "Hạn hoàn thành: " in item
    assert "Mở nhiệm vụ" in item and 'name="open" value="1"' in item


def test_the_notice_of_each_event_labels_its_actor(world, queue):
    task = world.task("assigned")
    task = queue.act(task_services.task_start, actor=world.official, task=task)
    task_services.evidence_add(actor=world.official, task=task, file=SimpleUploadedFile("a.pdf", MINIMAL_PDF))
    task = queue.act(task_services.task_submit, actor=world.official, task=task)
    assert "Người trình: " in Notification.objects.get(kind="submitted").body
    queue.act(task_services.task_return, actor=world.city_leader, task=task, reason="Thiếu biên bản")
    body = Notification.objects.filter(kind="returned").first().body
    assert "Người trả lại: " in body and "Thiếu biên bản" in body


def test_mo_nhiem_vu_opens_the_task_and_the_bell_counts_one_less(world, web, queue):
    task = world.task("submitted")
    queue.act(task_services.task_approve, actor=world.city_leader, task=task, reason="")
    n = Notification.objects.get(recipient=world.official, kind="approved")
    client = web.as_(world.official)
    assert 'data-unread="1"' in _html(client.get("/notifications/"))
    r = client.post(f"/notifications/{n.pk}/read/", {"open": "1"}, follow=True)
    assert r.redirect_chain[-1][0] == f"/tasks/{task.pk}/"
    assert "data-unread=" not in _html(r)  # the bell on the task page: nothing unread
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_the_task_page_marks_its_notices_read_and_only_its_own(world, web, queue):
    task = world.task("submitted", title="A")
    other = world.task("submitted", title="B")
    queue.act(task_services.task_return, actor=world.city_leader, task=task, reason="Bổ sung")
    queue.act(task_services.task_return, actor=world.city_leader, task=other, reason="Bổ sung")
    client = web.as_(world.official)
    html = _html(client.get(f"/tasks/{task.pk}/"))
    assert 'data-unread="1"' in html  # the other task's notice is still unread
    assert not Notification.objects.filter(recipient=world.official, task=task, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world.official, task=other, read_at__isnull=True).exists()
    # Who has not opened it still has it unread.
    assert Notification.objects.filter(recipient=world.colleague, task=task, read_at__isnull=True).exists()


def test_taking_a_step_on_the_task_marks_the_actors_notices_of_it_read(world, queue):
    task = world.task("in_progress")
    task_services.evidence_add(actor=world.official, task=task, file=SimpleUploadedFile("a.pdf", MINIMAL_PDF))
    task = queue.act(task_services.task_submit, actor=world.official, task=task)
    notice = Notification.objects.get(recipient=world.city_leader, kind="submitted")
    assert notice.read_at is None
    queue.act(task_services.task_approve, actor=world.city_leader, task=task, reason="")
    notice.refresh_from_db()
    assert notice.read_at is not None
    # The official's new notice (approved) stays unread: they did not act.
    assert Notification.objects.get(recipient=world.official, kind="approved").read_at is None


# --- Item 8: phone and print -------------------------------------------------------------------------------


def test_a_printed_plan_carries_the_official_header(world, web):
    html = _html(web.as_(world.city_leader).get(f"/plans/{world.plan.pk}/"))
    head = re.search(r'<header class="print-head".*?</header>', html, re.S).group(0)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head and "Độc lập - Tự do - Hạnh phúc" in head
    assert "Tỉnh Yên Bái" in head and "Thành phố Yên Bái" in head  # the owner unit under its parent
    assert "Số: 36/KH-UBND" in head
    day = world.plan.issued_on or timezone.localdate()  # not recorded: the day it is printed
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    assert f"Yên Bái, ngày {day.day:02d} tháng {month} năm {day.year}" in head


def test_the_stylesheet_wraps_the_phone_menu_and_prints_no_buttons(web, world):
    from django.contrib.staticfiles import finders

    css = Path(finders.find("css/app.css")).read_text(encoding="utf-8")
    phone = css[css.index("@media (max-width: 720px)") :]
    assert re.search(r"\.mainnav \{[^}]*flex-wrap: wrap", phone)
    assert re.search(r"@media \(pointer: coarse\) \{\s*\.drag-only \{ display: none; \}", css)
    printing = css[css.index("@media print") :]
    assert ".btn" in printing.split("}")[0] and ".print-head { display: flex" in printing
