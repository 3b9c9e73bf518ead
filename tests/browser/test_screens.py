"""Every page a role uses, reached as its users reach it: by clicking the top menu and the links on the pages,
at desktop (1280 px) and phone (390 px) widths (issue 13). On each page the test checks its heading and, on
the phone, that nothing runs off the screen sideways; a screenshot of each page at each width goes to
tests/browser/screenshots/ (screen-<role>-<nn>-<page>-<width>.png). Then the three printed reports, each
downloaded by clicking its "In báo cáo (PDF)" button, and read back."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERDUE_TASK = "Ban hành kế hoạch CCHC năm của phường"


class Tour:
    """One role's walk through the pages at one width: each `see` checks the page's heading and the
    width, and saves the screenshot."""

    def __init__(self, page, role: str, viewport: dict):
        self.page, self.role, self.viewport, self.n, self.seen = page, role, viewport, 0, []

    def menu(self, name: str) -> None:
        self.page.locator(".mainnav").get_by_role("link", name=name, exact=True).click()

    def see(self, slug: str, heading) -> None:
        page = self.page
        page.wait_for_load_state("load")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        self.n += 1
        shot(page, f"screen-{self.role}-{self.n:02d}-{slug}")
        self.seen.append(slug)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if self.viewport is PHONE:
            assert widths[0] <= widths[1], (
                f"{slug} runs {widths[0] - widths[1]} px off a {widths[1]} px phone"
            )


def roles(scenario) -> dict:
    from tests.factories import user

    w = scenario.world
    return {
        "official": w.official,
        "commune-leader": user("communeleader", memberships=[(w.commune, "leader")]),
        "city-leader": w.city_leader,
        "appraiser": scenario.appraiser,
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("role", ["official", "commune-leader", "city-leader", "appraiser"])
def test_each_role_clicks_through_its_pages(scenario, browse, role, viewport):
    who = roles(scenario)[role]
    w, cs = scenario.world, scenario.cs
    leads = role in ("commune-leader", "city-leader")
    tour = Tour(browse(who, viewport=viewport), role, viewport)
    page = tour.page

    if leads:  # a leader lands on the approval inbox, and goes on to their tasks from the menu
        tour.see("inbox", "Việc chờ duyệt")
        tour.menu("Việc của tôi")
    tour.see("my-tasks", "Việc của tôi")  # where signing in lands (an official)
    tour.menu("Nhiệm vụ")
    tour.see("tasks", "Tất cả nhiệm vụ")
    page.locator("#main").get_by_role("link", name=OVERDUE_TASK).first.click()
    tour.see("task", OVERDUE_TASK)
    tour.menu("Kế hoạch")
    tour.see("plans", "Kế hoạch cải cách hành chính")
    page.locator("#main").get_by_role("link", name="20/KH-UBND").first.click()
    tour.see("plan", re.compile(r"^20/KH-UBND"))
    if leads:
        tour.menu("Tổng quan")
        tour.see("dashboard", re.compile(r"^Tổng quan: "))
    tour.menu("Xếp hạng")
    tour.see("ranking", "Xếp hạng chỉ số CCHC")
    page.locator('tr[data-unit="X01"]').get_by_role("link", name=w.commune.name).click()
    tour.see("breakdown", w.commune.name)
    page.locator(".crumbs").get_by_role("link", name="Xếp hạng").click()
    page.get_by_role("link", name=re.compile("^Kỳ đánh giá")).click()
    tour.see("round", re.compile(rf"^Kỳ đánh giá: {re.escape(cs.name)}"))
    if role == "appraiser":
        tour.menu("Thẩm định")
        tour.see("appraisal", "Thẩm định")
    tour.menu("Thông báo")
    tour.see("notifications", "Thông báo")
    page.locator(".usermenu summary").click()
    page.locator(".usermenu").get_by_role("link", name="Tùy chọn thông báo").click()
    tour.see("preferences", "Tùy chọn thông báo")

    expected = ["my-tasks", "tasks", "task", "plans", "plan", "ranking", "breakdown", "round"]
    expected += ["notifications", "preferences"]
    assert set(tour.seen) == {
        *expected,
        *(["dashboard", "inbox"] if leads else []),
        *(["appraisal"] if role == "appraiser" else []),
    }


# --- The printed reports, from their buttons ----------------------------------------------------------------


def pdf_text(path) -> tuple[int, str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        ink = sum(doc[0].render(scale=1).to_pil().convert("L").histogram()[:128])
        return len(doc), " ".join(text.split()), ink
    finally:
        doc.close()


def click_download(page, name: str, tmp_path):
    with page.expect_download() as info:
        page.locator(".pagehead").get_by_role("link", name=name).click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    return download.suggested_filename, path


NATIONAL = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_report_buttons_download_the_three_reports(scenario, browse, viewport, tmp_path):
    w, cs, plan = scenario.world, scenario.cs, scenario.plan
    page = browse(w.city_leader, viewport=viewport)

    page.locator(".mainnav").get_by_role("link", name="Kế hoạch", exact=True).click()
    page.locator("#main").get_by_role("link", name="20/KH-UBND").first.click()
    button = page.locator(".pagehead").get_by_role("link", name="In báo cáo (PDF)")
    expect(button).to_be_visible()
    shot(page, "report-button-plan")
    name, path = click_download(page, "In báo cáo (PDF)", tmp_path)
    assert name.startswith("bao-cao-tien-do-20kh-ubnd-") and name.endswith(".pdf")
    pages, text, ink = pdf_text(path)
    assert pages == 1 and ink > 5000
    for expected in (*NATIONAL, f"Số: {plan.pk}/BC-C01", "BÁO CÁO TIẾN ĐỘ THỰC HIỆN KẾ HOẠCH", OVERDUE_TASK):
        assert expected in text, expected
    assert "Phường Đồng Tâm 1 1 0 0 0 2 1 0,0" in text  # one assigned, one in progress and overdue

    page.locator(".mainnav").get_by_role("link", name="Xếp hạng", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xếp hạng chỉ số CCHC")
    name, path = click_download(page, "In báo cáo (PDF)", tmp_path)
    assert name.startswith(f"xep-hang-tam-tinh-T-{cs.year}-C01-")
    pages, text, ink = pdf_text(path)
    assert pages == 1 and ink > 5000
    for expected in (
        *NATIONAL,
        f"Số: {cs.pk}/BC",
        "Kết quả tạm tính, chưa công bố",
        "Nhóm so sánh: Thành phố Yên Bái",
    ):
        assert expected in text, expected
    assert text.index("Xã Tân Thịnh") < text.index("Phường Đồng Tâm")  # 10 points before 5

    page.locator('tr[data-unit="X01"]').get_by_role("link", name=w.commune.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w.commune.name)
    shot(page, "report-button-breakdown")
    name, path = click_download(page, "In báo cáo (PDF)", tmp_path)
    assert name.startswith(f"diem-cchc-T-{cs.year}-X01-")
    pages, text, ink = pdf_text(path)
    assert pages >= 1 and ink > 5000
    for expected in (
        *NATIONAL,
        f"Số: {cs.pk}/BC-X01",
        "PHƯỜNG ĐỒNG TÂM",
        "Tổng điểm 5,00 / 95,00",
        "1.1 Kế hoạch đúng hạn",
    ):
        assert expected in text, expected
