"""The pages used every day (issue 13's "Broken" list): tab, pager and filter links built from the current
query, POST URLs that answer a reload, one Vietnamese format, search ignoring case and accents, and counts,
progress and labels that agree from page to page."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.db.utils import ConnectionHandler
from django.utils import timezone
from openpyxl import load_workbook

from plans import services as plan_services
from plans.search import fold
from tasks import services
from tasks.models import Extension, Task
from tasks.selectors import due_soon_until
from tests.factories import user

pytestmark = pytest.mark.django_db

PAST = timezone.localdate() - dt.timedelta(days=60)


def _html(r) -> str:
    return r.content.decode()


def _links(html: str) -> list[str]:
    return [htmllib.unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


def _tab_link(html: str, tab: str) -> str:
    match = re.search(rf'<a href="([^"]*)" hx-get="([^"]*)"[^>]*class="tab tab-{tab}\b', html)
    assert match, f"no link to the tab {tab}"
    href, hx = (htmllib.unescape(g) for g in match.groups())
    assert href == hx
    return href


def _titles(html: str) -> list[str]:
    return re.findall(r'class="task-title" href="/tasks/\d+/">([^<]*)</a>', html)


# The task list opens on this year's deadlines; these tests are about tabs, pagers and search whatever the
# year of the deadlines (PAST and three weeks ahead may fall in another year), so they ask for every year.


# --- 1. Tabs and pagers ------------------------------------------------------------------------------------


def test_no_page_links_to_a_double_question_mark(world, web):
    for i in range(27):
        world.task("assigned", title=f"Nhiệm vụ số {i:02d}")
    client = web.as_(world.city_leader)
    for url in ("/my-tasks/", "/tasks/?tab=all", f"/plans/{world.plan.pk}/?tab=all", "/plans/"):
        html = _html(client.get(url))
        assert "??" not in html and "?&" not in html, url


def test_a_tab_keeps_the_filters_and_goes_back_to_the_first_page(world, web):
    for i in range(27):
        world.task("assigned", title=f"Việc của phường {i:02d}")
    world.task("in_progress", due=PAST, title="Việc phường quá hạn")
    world.task("in_progress", due=PAST, unit=world.other_commune, title="Việc xã khác quá hạn")
    client = web.as_(world.city_leader)
    html = _html(client.get("/tasks/?unit=X01&tab=all&year=all&page=2"))
    link = _tab_link(html, "overdue")
    assert link == "?unit=X01&tab=overdue&year=all"  # the unit and the year kept, the page dropped
    html = _html(client.get("/tasks/" + link))
    assert _titles(html) == ["Việc phường quá hạn"]  # the tab's tasks of this unit only
    assert 'class="tab tab-overdue has-items" aria-current="true"' in html


def test_the_pager_reaches_every_page_and_keeps_the_filters(world, web):
    for i in range(27):
        world.task("assigned", title=f"Nhiệm vụ số {i:02d}")
    world.task("assigned", unit=world.other_commune, title="Việc xã khác")
    client = web.as_(world.city_leader)
    html = _html(client.get("/tasks/?tab=all&unit=X01&year=all"))
    assert "Trang 1/2" in html and len(_titles(html)) == 25
    nxt = re.search(r'<a href="([^"]*)" rel="next"', html)
    assert nxt and htmllib.unescape(nxt.group(1)) == "?tab=all&unit=X01&year=all&page=2"
    html = _html(client.get("/tasks/" + htmllib.unescape(nxt.group(1))))
    assert "Trang 2/2" in html and len(_titles(html)) == 2 and "Việc xã khác" not in html
    prev = re.search(r'<a href="([^"]*)" rel="prev"', html)
    assert prev and htmllib.unescape(prev.group(1)) == "?tab=all&unit=X01&year=all&page=1"
    # htmx asks the same links for the results alone
    fragment = client.get(
        "/tasks/?tab=all&unit=X01&year=all&page=2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="task-results"
    )
    assert "<html" not in _html(fragment)
    assert 'hx-get="?tab=all&amp;unit=X01&amp;year=all&amp;page=1"' in _html(fragment)


def test_a_leader_clicks_through_to_what_waits_for_approval(world, web):
    world.task("submitted", title="Nộp báo cáo kết quả")
    world.task("in_progress", title="Đang làm")
    client = web.as_(world.city_leader)
    html = _html(client.get("/my-tasks/"))
    html = _html(client.get("/my-tasks/" + _tab_link(html, "to_approve")))
    assert _titles(html) == ["Nộp báo cáo kết quả"]


def test_plan_page_unit_and_tab_links_keep_the_rest_of_the_query(world, web):
    world.task("in_progress", due=PAST, title="Quá hạn ở phường")
    world.task("assigned", unit=world.other_commune, title="Xã khác")
    client = web.as_(world.city_leader)
    page = f"/plans/{world.plan.pk}/"
    html = _html(client.get(page + "?q=h%E1%BA%A1n"))  # "hạn"
    assert "?q=h%E1%BA%A1n&unit=X01&tab=all#h-tasks" in _links(html)
    html = _html(client.get(page + "?unit=X01&tab=all"))
    link = _tab_link(html, "overdue")
    assert link == "?unit=X01&tab=overdue"
    assert _titles(_html(client.get(page + link))) == ["Quá hạn ở phường"]


def test_the_history_pager_keeps_its_place(world, web):
    task = world.task("in_progress")
    for p in range(1, 25):
        services.task_report_progress(actor=world.official, task=task, progress=p)
    html = _html(web.as_(world.official).get(f"/tasks/{task.pk}/"))
    assert "?history=2#history" in _links(html)


# --- 2. POST URLs answer a reload ---------------------------------------------------------------------------


def test_every_post_url_of_the_task_page_answers_a_reload_with_the_task_page(world, web):
    task = world.task("in_progress")
    ev = services.evidence_add(actor=world.official, task=task, file=_pdf(), doc_number="01")
    ext = services.extension_request(
        actor=world.official, task=task, requested_due_date=task.due_date + dt.timedelta(days=9), reason="x"
    )
    client = web.as_(world.official)
    page = f"/tasks/{task.pk}/"
    for url in (
        "progress/",
        "evidence/",
        f"evidence/{ev.pk}/delete/",
        "extensions/",
        f"extensions/{ext.pk}/decide/",
        "submit/",
        "return/",
        "approve/",
        "start/",
    ):
        r = client.get(page + url)
        assert r.status_code == 302 and r["Location"] == page, url
        assert client.head(page + url).status_code == 302
        assert client.put(page + url).status_code == 405
    assert Task.objects.get(pk=task.pk).state == "in_progress"  # a GET changed nothing
    assert Extension.objects.get(pk=ext.pk).state == "pending"


def test_a_refused_submit_then_a_language_switch_and_a_reload_show_the_task_page(world, web):
    task = world.task("in_progress", title="Rà soát thủ tục")
    client = web.as_(world.official)
    r = client.post(f"/tasks/{task.pk}/submit/")
    assert r.status_code == 400
    assert "Hãy tải lên ít nhất một tài liệu kiểm chứng trước khi trình." in _html(r)
    # The language switch sends the page's address (the POST URL) as `next`.
    assert f'name="next" value="/tasks/{task.pk}/submit/"' in _html(r)
    r = client.post(
        "/accounts/language/", {"language": "en", "next": f"/tasks/{task.pk}/submit/"}, follow=True
    )
    assert r.status_code == 200 and "Rà soát thủ tục" in _html(r)
    assert r.redirect_chain[-1][0] == f"/tasks/{task.pk}/"
    # F5 / Enter in the address bar on the POST URL
    r = client.get(f"/tasks/{task.pk}/submit/", follow=True)
    assert r.status_code == 200 and "Rà soát thủ tục" in _html(r)


def test_refused_return_extension_and_progress_reload_to_the_task_page(world, web):
    task = world.task("submitted")
    leader = web.as_(world.city_leader)
    assert leader.post(f"/tasks/{task.pk}/return/", {"return-reason": ""}).status_code == 400
    assert leader.get(f"/tasks/{task.pk}/return/", follow=True).status_code == 200
    other = world.task("in_progress")
    official = web.as_(world.official)
    r = official.post(f"/tasks/{other.pk}/extensions/", {"requested_due_date": "", "reason": ""})
    assert r.status_code == 400
    assert official.get(f"/tasks/{other.pk}/extensions/", follow=True).status_code == 200
    assert official.post(f"/tasks/{other.pk}/progress/", {"progress": "150"}).status_code == 400
    r = official.get(f"/tasks/{other.pk}/progress/", follow=True)
    assert r.status_code == 200 and r.redirect_chain == [(f"/tasks/{other.pk}/", 302)]


def test_the_plan_page_buttons_answer_a_reload_with_the_plan_page(world, web):
    client = web.as_(world.city_leader)
    for name in ("issue", "close", "assign-drafts"):
        r = client.get(f"/plans/{world.plan.pk}/{name}/")
        assert r.status_code == 302 and r["Location"] == f"/plans/{world.plan.pk}/"
    assert client.delete(f"/plans/{world.plan.pk}/close/").status_code == 405


def test_a_reload_of_another_units_task_post_url_is_still_404(world, web):
    task = world.task("in_progress")
    r = web.as_(world.stranger).get(f"/tasks/{task.pk}/progress/", follow=True)
    assert r.status_code == 404


# --- 3. One format ----------------------------------------------------------------------------------------


def test_a_refused_extension_names_the_due_date_dd_mm_yyyy(world, web):
    due = timezone.localdate() + dt.timedelta(days=21)
    task = world.task("in_progress", due=due)
    client = web.as_(world.official)
    r = client.post(f"/tasks/{task.pk}/extensions/", {"requested_due_date": due.isoformat(), "reason": "x"})
    assert r.status_code == 400
    assert f"Hạn mới phải sau hạn hiện tại ({due:%d/%m/%Y})." in _html(r)
    assert due.isoformat() not in re.sub(r'value="[^"]*"', "", _html(r))


def test_the_history_writes_extension_dates_dd_mm_yyyy(world, web):
    task = world.task("in_progress")
    new_due = task.due_date + dt.timedelta(days=10)
    ext = services.extension_request(actor=world.official, task=task, requested_due_date=new_due, reason="x")
    services.extension_decide(actor=world.city_leader, extension=ext, approve=True)
    html = _html(web.as_(world.official).get(f"/tasks/{task.pk}/"))
    assert f"hạn đề nghị {new_due:%d/%m/%Y}" in html
    assert f"chấp thuận {new_due:%d/%m/%Y}" in html
    assert new_due.isoformat() not in html


@pytest.mark.parametrize("language", ["vi", "en"])
def test_numbers_have_a_decimal_comma_and_dates_are_dd_mm_yyyy_in_both_languages(world, web, language):
    task = world.task("in_progress", title="Số liệu")
    Task.objects.filter(pk=task.pk).update(metric_value=Decimal("8.5"))
    client = web.as_(world.official)
    client.post("/accounts/language/", {"language": language, "next": "/"})
    html = _html(client.get(f"/tasks/{task.pk}/"))
    assert f'<html lang="{language}"' in html
    assert "8,5" in html and "8.5000" not in html and "8,5000" not in html
    assert f"{task.effective_due_date:%d/%m/%Y}" in html


def test_days_overdue_and_left_are_counted_with_plural_forms(world, web):
    from org.calendar import get_calendar

    # Due on the last working day before today (a due date on a day off would move to the next working
    # day, which may not have come yet: TEST_NOW may fall in Tết), so overdue by the days since.
    today, calendar = timezone.localdate(), get_calendar()
    due = today - dt.timedelta(days=1)
    while not calendar.is_working_day(due):
        due -= dt.timedelta(days=1)
    world.task("in_progress", due=due, title="Trễ hạn")
    html = _html(web.as_(world.official).get("/my-tasks/?tab=all"))
    assert f"quá {(today - due).days} ngày" in html
    # Every "N ngày" of the task pages is a `blocktranslate count` (ngettext): English gets "1 day" and
    # "2 days" from the catalogue, never "1 days".
    for name in ("tasks/templates/tasks/_task_item.html", "tasks/templates/tasks/task_detail.html"):
        source = (settings.BASE_DIR / name).read_text()
        tags = re.findall(r"{% blocktranslate[^%]*%}[^{]*{{ n }} ngày", source)
        assert len(tags) >= 2 and all(" count " in tag for tag in tags), (name, tags)


# --- 4. Search ignoring case and accents ------------------------------------------------------------------


@pytest.fixture
def budget(world):
    return {
        world.task("assigned", title="Lập dự toán ngân sách năm sau").pk,
        world.task("assigned", title="Công khai NGÂN SÁCH xã").pk,
        world.task("assigned", title="Đề án ngan sach không dấu").pk,
    }, world.task("assigned", title="Rà soát thủ tục").pk


@pytest.mark.parametrize("text", ["ngân sách", "NGÂN SÁCH", "ngan sach", "Ngan Sach", "  ngÂn SÁch "])
def test_search_ignores_case_and_accents_on_the_page_and_in_the_api(world, web, api, budget, text):
    expected, _other = budget
    r = web.as_(world.city_leader).get("/tasks/", {"tab": "all", "year": "all", "q": text})
    page = {int(pk) for pk in re.findall(r'class="task-title" href="/tasks/(\d+)/"', _html(r))}
    assert page == expected
    r = api.as_(world.city_leader).get("/api/tasks/", {"q": text, "page_size": 100})
    assert r.status_code == 200 and {row["id"] for row in r.json()["results"]} == expected


def test_search_folds_d_with_stroke(world, web, budget):
    r = web.as_(world.city_leader).get("/tasks/", {"tab": "all", "year": "all", "q": "de an"})
    assert _titles(_html(r)) == ["Đề án ngan sach không dấu"]
    r = web.as_(world.city_leader).get("/tasks/", {"tab": "all", "year": "all", "q": "ĐỀ ÁN"})
    assert _titles(_html(r)) == ["Đề án ngan sach không dấu"]


def test_a_search_with_like_wildcards_finds_them_literally(world, web, budget):
    world.task("assigned", title="Đạt 100% kế hoạch")
    r = web.as_(world.city_leader).get("/tasks/", {"tab": "all", "year": "all", "q": "100%"})
    assert _titles(_html(r)) == ["Đạt 100% kế hoạch"]
    r = web.as_(world.city_leader).get("/tasks/", {"tab": "all", "year": "all", "q": "%"})
    assert _titles(_html(r)) == ["Đạt 100% kế hoạch"]


def test_plan_search_ignores_case_and_accents_on_the_page_and_in_the_api(world, web, api):
    plan = plan_services.plan_create(
        actor=world.city_leader,
        owner_unit=world.city,
        number="12/KH-UBND",
        title="Kế hoạch Ngân sách số",
        year=2026,
    )
    for text in ("ngân sách", "NGAN SACH", "kh-ubnd ngan", "12/kh"):
        html = _html(web.as_(world.city_leader).get("/plans/", {"q": text}))
        assert "Kế hoạch Ngân sách số" in html and "Kế hoạch kỷ luật" not in html, text
        r = api.as_(world.city_leader).get("/api/plans/", {"q": text})
        assert r.status_code == 200
        assert [row["id"] for row in r.json()["results"]] == [plan.pk], text


VIETNAMESE = [
    "Ngân sách",
    "ĐỀ ÁN Số hóa",
    "Ủy ban nhân dân phường",
    "Thủ tục hành chính",
    "Ưu tiên",
    "đ Đ ư Ư ơ Ơ",
]


def test_the_database_folds_as_python_does():
    with connection.cursor() as cursor:
        for text in VIETNAMESE:
            cursor.execute("SELECT reform_fold(%s)", [text])
            assert cursor.fetchone()[0] == fold(text), text
    assert fold("Đề án NGÂN SÁCH ưởng") == "de an ngan sach uong"


def test_sqlite_has_the_same_function_registered_on_each_connection():
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    try:
        with handler["default"].cursor() as cursor:
            for text in VIETNAMESE:
                cursor.execute("SELECT reform_fold(%s)", [text])
                assert cursor.fetchone()[0] == fold(text)
    finally:
        handler.close_all()


# --- 7. Counts, progress and labels that agree ------------------------------------------------------------


def test_the_plan_unit_table_counts_no_draft(world, web):
    world.task("draft", title="Dự thảo")
    world.task("draft", title="Dự thảo 2")
    world.task("assigned", title="Đã giao")
    html = _html(web.as_(world.city_leader).get(f"/plans/{world.plan.pk}/"))
    row = re.search(r'<th scope="row"><a href="[^"]*">Phường Đồng Tâm</a></th>.*?</tr>', html, re.S)
    assert row
    numbers = re.findall(r'<td class="num[^"]*">(\d+)</td>', row.group(0))
    assert numbers == ["0", "0", "1", "0", "1"]  # on time, late, in time, overdue, total


def test_a_ward_leaders_my_tasks_count_the_wards_overdue_tasks(world, web):
    ward_leader = user("wardleader", memberships=[(world.commune, "leader")])
    world.task("in_progress", due=PAST, title="Quá hạn, chưa ai chủ trì")
    world.task("in_progress", due=PAST, lead=world.official, title="Quá hạn, cán bộ chủ trì")
    world.task("in_progress", due=PAST, lead=world.colleague, title="Quá hạn, đồng nghiệp chủ trì")
    world.task("in_progress", due=PAST, unit=world.other_commune, title="Quá hạn ở xã khác")
    html = _html(web.as_(ward_leader).get("/my-tasks/?tab=overdue"))
    ward_overdue = Task.objects.filter(assignee_unit=world.commune).overdue(timezone.localdate()).count()
    assert ward_overdue == 3
    assert re.search(r'class="tab tab-overdue has-items"[^>]*>[^<]*<span class="count">3</span>', html)
    assert len(_titles(html)) == 3 and "Quá hạn ở xã khác" not in html


def test_an_approved_task_shows_100_percent_and_a_submitted_one_no_progress_form(world, web):
    approved = world.task("approved", title="Đã xong")
    Task.objects.filter(pk=approved.pk).update(progress=60)  # approved before approval set it to 100
    client = web.as_(world.official)
    html = _html(client.get(f"/tasks/{approved.pk}/"))
    assert "<strong>100%</strong>" in html and "60%" not in html.split('id="history"')[0]
    html = _html(client.get("/my-tasks/?tab=done"))
    assert "Tiến độ 100%" in html

    submitted = world.task("submitted")
    html = _html(client.get(f"/tasks/{submitted.pk}/"))
    assert f'action="/tasks/{submitted.pk}/progress/"' not in html
    r = client.post(f"/tasks/{submitted.pk}/progress/", {"progress": "80"}, follow=True)
    assert "Chỉ cập nhật tiến độ được khi nhiệm vụ đang thực hiện." in _html(r)
    submitted.refresh_from_db()
    assert submitted.progress != 80


def test_the_migration_sets_100_percent_on_tasks_approved_before(world):
    from importlib import import_module

    from django.apps import apps

    approved, open_ = world.task("approved"), world.task("in_progress")
    Task.objects.filter(pk__in=[approved.pk, open_.pk]).update(progress=60)
    import_module("tasks.migrations.0005_approved_progress").forwards(apps, None)
    assert dict(Task.objects.values_list("pk", "progress")) == {approved.pk: 100, open_.pk: 60}


def test_the_export_names_a_tasks_standing_as_the_plan_page_does(world, web):
    soon = due_soon_until(timezone.localdate())
    world.task("in_progress", due=soon, title="Sắp hết hạn")
    approved = world.task("approved", title="Đã xong")
    Task.objects.filter(pk=approved.pk).update(progress=60)
    client = web.as_(world.city_leader)
    html = _html(client.get(f"/plans/{world.plan.pk}/?tab=all"))
    assert "Sắp đến hạn" in html
    wb = load_workbook(io.BytesIO(client.get(f"/plans/{world.plan.pk}/export.xlsx").content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    by_title = {row[3]: row for row in rows[1:]}
    header = rows[0]
    standing, progress = header.index("Tình hình"), header.index("Tiến độ (%)")
    assert by_title["Sắp hết hạn"][standing] == "Sắp đến hạn"
    assert by_title["Đã xong"][standing] == "Hoàn thành đúng hạn" and by_title["Đã xong"][progress] == 100


def test_the_parent_task_list_names_each_tasks_unit(world, web):
    world.task("assigned", title="Rà soát TTHC")
    world.task("assigned", unit=world.other_commune, title="Rà soát TTHC")
    html = _html(web.as_(world.city_leader).get(f"/plans/{world.plan.pk}/tasks/new/"))
    select = re.search(r'<select name="parent".*?</select>', html, re.S).group(0)
    assert "Rà soát TTHC — Phường Đồng Tâm (X01)" in select
    assert "Rà soát TTHC — Xã Tân Thịnh (X02)" in select


def _pdf():
    from tests.factories import pdf_file

    return pdf_file()
