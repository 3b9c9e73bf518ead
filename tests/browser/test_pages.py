"""The web interface in a real browser (Debian's Chromium through Playwright), as its users meet it: an
official finds an overdue task, uploads evidence and submits; the leader approves it and sees the unit's
score and rank change on the ranking page; a task import with a bad row is refused with the row number;
every main page works on a 390-pixel-wide phone; the English switch translates the page.

Screenshots of each main page, at 1280 and 390 pixels, are written to tests/browser/screenshots/."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, shot
from tests.polling import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>"
    b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _ranking_row(page, code: str) -> tuple[str, str]:
    row = page.locator(f'tr[data-unit="{code}"]')
    return row.get_attribute("data-rank"), row.get_attribute("data-total")


@pytest.mark.worker
def test_an_overdue_task_is_done_approved_and_the_units_rank_changes(worker, scenario, browse):
    w, task = scenario.world, scenario.overdue

    # The official signs in and finds the overdue task under "Quá hạn".
    page = browse(w.official)
    page.get_by_role("link", name=re.compile("^Quá hạn")).click()
    item = page.locator("li.task.tone-overdue", has_text=task.title)
    expect(item).to_be_visible()
    item.get_by_role("link", name=task.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(task.title)
    expect(page.locator(".task-head .badge")).to_have_text("Quá hạn")

    # Evidence goes up (htmx, no page load) and submitting becomes possible.
    page.set_input_files(
        "#evidence input[type=file]",
        files=[{"name": "ke-hoach-cchc.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}],
    )
    page.fill("#evidence input[name=doc_number]", "15/KH-UBND")
    page.locator("#evidence").get_by_role("button", name="Tải lên").click()
    expect(page.locator("#evidence .filelist")).to_contain_text("ke-hoach-cchc.pdf")
    page.get_by_role("button", name="Trình duyệt").click()
    expect(page.locator("#flash")).to_contain_text("Đã trình duyệt.")
    expect(page.locator(".task-head .state")).to_have_text("Chờ duyệt")

    # The city's leader sees the ranking as it stands: X02 first, X01 second with 5 points.
    leader = browse(w.city_leader)
    leader.goto("/ranking/")
    assert _ranking_row(leader, "X01") == ("2", "5.0000")
    assert _ranking_row(leader, "X02") == ("1", "10.0000")

    # The leader approves it from "Chờ tôi duyệt".
    leader.goto("/my-tasks/")
    leader.get_by_role("link", name=re.compile("^Chờ tôi duyệt")).click()
    leader.get_by_role("link", name=task.title).click()
    leader.get_by_role("button", name="Duyệt", exact=True).click()
    expect(leader.locator("#flash")).to_contain_text("Đã duyệt nhiệm vụ.")

    # With no one pressing a button, the worker rescores: X01 gets 1.1 late (4) and 1.3 (2): 11, first.
    def ranked_first():
        leader.goto("/ranking/")
        return _ranking_row(leader, "X01") == ("1", "11.0000")

    wait_for(ranked_first, what="X01's new score and rank on the ranking page")
    assert _ranking_row(leader, "X02") == ("2", "10.0000")
    shot(leader, "ranking-after-approval")
    # The breakdown shows why: the task, now done late.
    leader.locator('tr[data-unit="X01"]').get_by_role("link").click()
    expect(leader.locator(".kpi-value[data-total]")).to_have_attribute("data-total", "11.0000")
    expect(leader.locator('[id="c-1.1"] .badge', has_text="Hoàn thành quá hạn")).to_be_visible()

    # And the official hears about it: the bell counts the unread notice, the list shows it.
    def bell_count():
        page.goto("/my-tasks/")
        return page.locator(".bell .badge").count()

    wait_for(bell_count, what="the official's bell count")
    page.locator(".bell").click()
    expect(page.locator(".notification.unread").first).to_contain_text(task.title)


def _task_sheet(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã đơn vị", "Tên nhiệm vụ", "Ngày bắt đầu", "Hạn hoàn thành", "Mã tiêu chí"])
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_task_import_with_a_bad_row_is_refused_with_the_row_number(scenario, browse):
    from tasks.models import Task

    w, plan = scenario.world, scenario.plan
    before = Task.objects.filter(plan=plan).count()
    page = browse(w.city_leader)
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_role("link", name="Nhập từ Excel").click()
    data = _task_sheet(
        [
            ("X01", "Rà soát thủ tục hành chính", "01/12/2026", "20/12/2026", "1.4"),
            ("X02", "Số hóa hồ sơ", "01/12/2026", "ngày mai", ""),
        ]
    )
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "nhiem-vu.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": data,
            }
        ],
    )
    page.get_by_role("button", name="Nhập", exact=True).click()
    errors = page.locator("#id_file_error")
    expect(errors).to_contain_text("Chưa nhập nhiệm vụ nào")
    expect(errors).to_contain_text("Dòng 3")
    expect(errors).to_contain_text("ngày mai")
    expect(errors).not_to_contain_text("Dòng 2")
    assert Task.objects.filter(plan=plan).count() == before
    shot(page, "plan-import-refused")


def test_the_english_switch_translates_the_page(scenario, browse):
    page = browse(scenario.world.city_leader)
    assert page.url.endswith("/inbox/")  # a leader lands on the approval inbox
    page.goto("/my-tasks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Việc của tôi")
    page.get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    nav = page.locator("nav.mainnav")
    expect(nav).to_contain_text("Dashboard")
    expect(nav).to_contain_text("Ranking")
    nav.get_by_role("link", name="Ranking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PAR index ranking")
    expect(page.locator("main")).not_to_contain_text("Bảng xếp hạng")
    nav.get_by_role("link", name="Dashboard").click()
    expect(page.locator("main")).to_contain_text("Units falling behind")
    page.get_by_role("button", name="VI").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def _fits(page) -> None:
    """The page has no sideways scroll (wide tables and charts scroll inside their own box) and its
    heading is on screen."""
    width = page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide in a {width} px window"
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()


@pytest.mark.worker
def test_every_main_page_works_on_a_phone_and_on_a_desktop(worker, scenario, browse):
    """Screenshots of each main page at both widths; on the phone, nothing wider than the screen."""
    w, cs, task = scenario.world, scenario.cs, scenario.overdue
    # The notices of the set-up (task assigned, …) come from the worker.
    from notifications.models import Notification

    official_notified = Notification.objects.filter(recipient=w.official).exists
    wait_for(official_notified, what="the official's notices")
    pages = {
        w.official: [
            ("my-tasks", "/my-tasks/"),
            ("task", f"/tasks/{task.pk}/"),
            ("notifications", "/notifications/"),
            ("notification-preferences", "/notifications/preferences/"),
        ],
        w.city_leader: [
            ("plan", f"/plans/{scenario.plan.pk}/"),
            ("dashboard", "/dashboard/"),
            ("ranking", "/ranking/"),
            ("breakdown", f"/ranking/{cs.pk}/units/{w.commune.pk}/"),
        ],
        scenario.appraiser: [
            ("appraisal", f"/appraisal/?set={cs.pk}"),
            ("appraisal-unit", f"/appraisal/{cs.pk}/units/{w.commune.pk}/"),
            ("survey-import", f"/appraisal/{cs.pk}/survey/"),
        ],
    }
    for user, urls in pages.items():
        page = browse(user)
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            for name, url in urls:
                response = page.goto(url)
                assert response.status == 200, url
                _fits(page)
                shot(page, name)
    # On the phone the menu scrolls sideways and the bell stays in the bar.
    expect(page.locator(".bell")).to_be_in_viewport()
