"""Plan pages: list, create, issue, the plan page with its progress by unit, XLSX import and export."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from plans.models import Plan
from tasks.models import Task

pytestmark = pytest.mark.django_db
# Two months before the session's now (TEST_NOW moves it): past whatever day the suite runs.
PAST = timezone.localdate() - dt.timedelta(days=60)


def _html(r) -> str:
    return r.content.decode()


def _xlsx(
    rows, header=("Mã đơn vị", "Tên nhiệm vụ", "Ngày bắt đầu", "Hạn hoàn thành", "Mã tiêu chí")
) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _upload(data: bytes, name: str = "nhiem-vu.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_plan_list_is_scoped(world, web):
    html = _html(web.as_(world.city_leader).get("/plans/"))
    assert "36/KH-UBND" in html and "Tạo kế hoạch" in html
    html = _html(web.as_(world.stranger).get("/plans/"))
    assert "36/KH-UBND" not in html and "Chưa có kế hoạch nào." in html and "Tạo kế hoạch" not in html


def test_create_plan_with_errors_next_to_the_fields_then_issue(world, web):
    client = web.as_(world.city_leader)
    assert client.get("/plans/new/").status_code == 200
    r = client.post("/plans/new/", {"owner_unit": world.city.pk, "number": "", "title": "", "year": "2026"})
    html = _html(r)
    assert r.status_code == 200 and 'id="id_number_error"' in html and 'id="id_title_error"' in html
    r = client.post(
        "/plans/new/",
        {"owner_unit": world.city.pk, "number": "36/KH-UBND", "title": "Trùng số", "year": "2026"},
    )
    assert 'id="id_number_error"' in _html(r)
    # A unit the leader does not lead is not a choice.
    r = client.post(
        "/plans/new/",
        {"owner_unit": world.elsewhere.pk, "number": "1/KH", "title": "Không được", "year": "2026"},
    )
    assert 'id="id_owner_unit_error"' in _html(r)
    r = client.post(
        "/plans/new/",
        {
            "owner_unit": world.city.pk,
            "number": "120/KH-UBND",
            "title": "Kế hoạch CCHC năm 2027",
            "year": "2027",
        },
    )
    plan = Plan.objects.get(number="120/KH-UBND")
    assert r.status_code == 302 and r["Location"] == f"/plans/{plan.pk}/"
    assert plan.state == "draft"
    assert client.post(f"/plans/{plan.pk}/issue/").status_code == 302
    plan.refresh_from_db()
    assert plan.state == "issued" and plan.issued_on is not None
    # Issuing twice: a message, not a 500.
    r = client.post(f"/plans/{plan.pk}/issue/", follow=True)
    assert r.status_code == 200 and 'class="msg msg-error"' in _html(r)
    assert "Chỉ kế hoạch dự thảo mới ban hành được." in _html(r)  # in the user's language
    # The same number again in the same year: said next to the field, in Vietnamese.
    r = client.post(
        "/plans/new/",
        {"owner_unit": plan.owner_unit_id, "number": "120/KH-UBND", "title": "Trùng số", "year": "2027"},
    )
    assert r.status_code == 200  # the form again, with the error
    assert "Đơn vị đã có kế hoạch số 120/KH-UBND trong năm 2027." in _html(r)


def test_officials_cannot_create_plans_or_issue_them(world, web):
    world.task("assigned")  # the plan becomes visible to the commune
    client = web.as_(world.official)
    assert client.get("/plans/new/").status_code == 403
    assert client.get(f"/plans/{world.plan.pk}/").status_code == 200
    assert client.post(f"/plans/{world.plan.pk}/close/").status_code == 403
    assert client.get(f"/plans/{world.plan.pk}/tasks/new/").status_code == 403
    assert client.get(f"/plans/{world.plan.pk}/import/").status_code == 403


def test_another_units_plan_is_404(world, web):
    client = web.as_(world.stranger_leader)
    for url in ("/", "/edit/", "/tasks/new/", "/import/", "/export.xlsx", "/import/template.xlsx"):
        assert client.get(f"/plans/{world.plan.pk}{url}").status_code == 404, url


def test_add_a_task_one_by_one(world, web):
    client = web.as_(world.city_leader)
    r = client.post(
        f"/plans/{world.plan.pk}/tasks/new/",
        {"title": "", "assignee_unit": world.commune.pk, "priority": "normal"},
    )
    assert r.status_code == 200 and 'id="id_title_error"' in _html(r)
    r = client.post(
        f"/plans/{world.plan.pk}/tasks/new/",
        {
            "title": "Niêm yết TTHC",
            "assignee_unit": world.commune.pk,
            "lead": world.other_official.pk,  # not a member of the commune
            "priority": "normal",
            "due_date": "2026-12-30",
        },
    )
    assert r.status_code == 200 and 'id="id_lead_error"' in _html(r)
    r = client.post(
        f"/plans/{world.plan.pk}/tasks/new/",
        {
            "title": "Niêm yết TTHC",
            "assignee_unit": world.commune.pk,
            "lead": world.official.pk,
            "priority": "normal",
            "due_date": "2026-12-30",
            "another": "1",
        },
    )
    assert r.status_code == 302 and r["Location"] == f"/plans/{world.plan.pk}/tasks/new/"
    task = Task.objects.get(title="Niêm yết TTHC")
    assert task.lead == world.official and task.state == "draft"


def test_plan_page_shows_progress_by_unit_scoped_to_the_user(world, web):
    world.task("approved", title="Xong đúng hạn")
    world.task("in_progress", due=PAST, title="Quá hạn")
    world.task("assigned", title="Trong hạn")
    world.task("assigned", unit=world.other_commune, title="Của xã Tân Thịnh")
    world.task("cancelled", title="Đã hủy")
    html = _html(web.as_(world.city_leader).get(f"/plans/{world.plan.pk}/"))
    assert "Phường Đồng Tâm" in html and "Xã Tân Thịnh" in html
    assert 'class="stackbar"' in html
    assert "1 đúng hạn, 0 trễ hạn, 1 trong hạn, 1 quá hạn" in html  # the commune's bar
    html = _html(web.as_(world.official).get(f"/plans/{world.plan.pk}/"))
    assert "Phường Đồng Tâm" in html and "Xã Tân Thịnh" not in html and "Của xã Tân Thịnh" not in html


def test_a_filter_on_the_plan_page_redraws_the_task_list_only(world, web):
    """htmx asks for the task list when a tab or a filter changes: no progress chart, no drafts count."""
    world.task("assigned", title="Trong hạn")
    client = web.as_(world.city_leader)
    url = f"/plans/{world.plan.pk}/?tab=all"
    with CaptureQueriesContext(connection) as page:
        html = _html(client.get(url))
    assert 'class="stackbar"' in html
    with CaptureQueriesContext(connection) as fragment:
        r = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="task-results")
    assert "Trong hạn" in _html(r) and 'class="stackbar"' not in _html(r)
    assert len(fragment.captured_queries) < len(page.captured_queries)


def test_xlsx_template_offers_the_columns_and_the_codes(world, web):
    r = web.as_(world.city_leader).get(f"/plans/{world.plan.pk}/import/template.xlsx")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    header = next(wb.worksheets[0].iter_rows(values_only=True))
    assert header[:5] == ("Mã đơn vị *", "Tên nhiệm vụ *", "Ngày bắt đầu", "Hạn hoàn thành *", "Mã tiêu chí")
    codes = [row[0] for row in wb.worksheets[1].iter_rows(values_only=True)]
    assert "X01" in codes and "X99" not in codes  # only units the leader may assign


def test_xlsx_import_adds_every_row(world, web):
    client = web.as_(world.city_leader)
    data = _xlsx(
        [
            ("X01", "Rà soát TTHC", dt.datetime(2026, 12, 1), dt.datetime(2026, 12, 20), None),
            ("X02", "Số hóa kết quả", "01/12/2026", "31/12/2026", ""),
        ]
    )
    r = client.post(f"/plans/{world.plan.pk}/import/", {"file": _upload(data)})
    assert r.status_code == 302 and r["Location"] == f"/plans/{world.plan.pk}/"
    tasks = {t.title: t for t in Task.objects.filter(plan=world.plan)}
    assert tasks["Rà soát TTHC"].assignee_unit == world.commune
    assert tasks["Số hóa kết quả"].due_date == dt.date(2026, 12, 31)
    assert all(t.state == "draft" for t in tasks.values())


def test_xlsx_import_refuses_a_bad_row_with_its_number_and_imports_nothing(world, web):
    client = web.as_(world.city_leader)
    before = Task.objects.count()
    data = _xlsx(
        [
            ("X01", "Dòng tốt", "01/12/2026", "20/12/2026", None),
            ("X01", "Dòng tốt nữa", None, "21/12/2026", None),
            ("X99", "Đơn vị ngoài phạm vi", None, "22/12/2026", None),
            ("X02", "Hạn sai", None, "ngày mai", None),
        ]
    )
    r = client.post(f"/plans/{world.plan.pk}/import/", {"file": _upload(data)})
    assert r.status_code == 400
    html = _html(r)
    assert "Dòng 4:" in html and "X99" in html
    assert "Dòng 5:" in html and "ngày mai" in html
    assert "Dòng 2:" not in html and "Dòng 3:" not in html
    assert 'id="id_file_error"' in html
    assert Task.objects.count() == before


def test_xlsx_import_refuses_what_is_not_a_task_sheet(world, web):
    client = web.as_(world.city_leader)
    r = client.post(f"/plans/{world.plan.pk}/import/", {"file": _upload(b"not a zip at all")})
    assert r.status_code == 400 and 'id="id_file_error"' in _html(r)
    r = client.post(
        f"/plans/{world.plan.pk}/import/", {"file": _upload(_xlsx([("X01",)], header=("Mã đơn vị",)))}
    )
    assert r.status_code == 400 and "Tên nhiệm vụ" in _html(r)
    r = client.post(f"/plans/{world.plan.pk}/import/", {"file": _upload(_xlsx([]), name="a.csv")})
    assert r.status_code == 400 and 'id="id_file_error"' in _html(r)


def test_xlsx_export_opens_and_holds_the_visible_tasks(world, web):
    world.task("approved", title="Xong đúng hạn")
    world.task("in_progress", due=PAST, title="Quá hạn")
    world.task("assigned", unit=world.other_commune, title="Của xã Tân Thịnh")
    r = web.as_(world.official).get(f"/plans/{world.plan.pk}/export.xlsx")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(io.BytesIO(r.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    titles = [row[3] for row in rows[1:]]
    assert sorted(titles) == ["Quá hạn", "Xong đúng hạn"]  # not the other commune's
    assert rows[0][3] == "Tên nhiệm vụ"
    by_unit = list(wb.worksheets[1].iter_rows(values_only=True))
    assert by_unit[1][:7] == ("X01", "Phường Đồng Tâm", 2, 1, 0, 0, 1)


def test_assign_every_draft_with_a_due_date_in_one_go(world, web):
    with_due = world.task("draft", title="Có hạn")
    from tasks import services

    no_due = services.task_create(
        actor=world.city_leader, plan=world.plan, title="Chưa có hạn", assignee_unit=world.commune
    )
    done = world.task("assigned", title="Đã giao")
    assert web.as_(world.official).post(f"/plans/{world.plan.pk}/assign-drafts/").status_code == 403
    leader = web.as_(world.city_leader)
    assert "Giao 1 nhiệm vụ đã có hạn" in _html(leader.get(f"/plans/{world.plan.pk}/"))
    r = leader.post(f"/plans/{world.plan.pk}/assign-drafts/")
    assert r.status_code == 302
    states = dict(Task.objects.filter(pk__in=[with_due.pk, no_due.pk, done.pk]).values_list("title", "state"))
    assert states == {"Có hạn": "assigned", "Chưa có hạn": "draft", "Đã giao": "assigned"}


def test_plan_list_counts_only_the_tasks_the_user_may_see(world, web):
    world.task("assigned")
    world.task("assigned", unit=world.other_commune)
    world.task("assigned", unit=world.other_commune)
    assert "3 nhiệm vụ" in _html(web.as_(world.city_leader).get("/plans/"))
    assert "1 nhiệm vụ" in _html(web.as_(world.official).get("/plans/"))


def test_the_plan_page_shows_its_audit_trail_to_those_who_run_it(world, web):
    from plans import services as plan_services

    plan = Plan.objects.get(pk=world.plan.pk)
    plan_services.plan_update(actor=world.city_leader, plan=plan, title="Kế hoạch kỷ cương 2026")
    html = web.as_(world.city_leader).get(f"/plans/{world.plan.pk}/").content.decode()
    assert "Nhật ký kế hoạch" in html
    for words in ("Tạo kế hoạch", "Ban hành kế hoạch", "Sửa kế hoạch", "Kế hoạch kỷ cương 2026"):
        assert words in html, words
    world.task("assigned")  # the commune sees the plan through its task, not the plan's trail
    assert "Nhật ký kế hoạch" not in web.as_(world.official).get(f"/plans/{world.plan.pk}/").content.decode()
