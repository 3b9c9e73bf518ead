"""The assessment round in a real browser (Debian's Chromium through Playwright), as the city's appraiser and
a commune's leader run it (SPEC §3a): the appraiser opens the self-assessment from the ranking page; the
leader finds the sheet on the dashboard, gives self points, an explanation and a file, saves and submits;
the appraisal starts (the other commune is late), a leaf is appraised below the unit's points (a note is
required), the leader explains, the final appraisal restores the points, the results are published under a
decision and the ranking shows them with their class. A real worker recomputes the scores between steps.

Screenshots of each page, at 1366 and 390 pixels, go to tests/browser/screenshots/ (round-*.png)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, shot
from tests.polling import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}
CLASSES = [[90, "Xuất sắc"], [80, "Tốt"], [65, "Khá"], [30, "Trung bình"], [0, "Yếu"]]
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>"
    b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _shots(page, name: str) -> None:
    """The page at both widths; on the phone nothing is wider than the screen."""
    for viewport in (WIDE, PHONE):
        page.set_viewport_size(viewport)
        width = page.viewport_size["width"]
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{page.url} is {scroll} px wide in a {width} px window"
        shot(page, f"round-{name}")
    page.set_viewport_size(WIDE)


def _accept_next_dialog(page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


def _step(page, button: str, *, confirm: bool = False, **fields) -> None:
    """On the round page: fill the step's fields, press its button, and see it taken."""
    for name, value in fields.items():
        page.fill(f"form.stepform [name={name}]", value)
    if confirm:
        _accept_next_dialog(page)
    page.locator("form.stepform").get_by_role("button", name=button, exact=True).click()
    expect(page.locator("#flash")).to_contain_text(
        re.compile("Kỳ đánh giá đã chuyển sang|Đã công bố kết quả")
    )


def _reload_until(page, check, what: str):
    """Reload until the worker's recompute shows (a generous deadline: the machine may be busy)."""

    def seen():
        page.reload()
        return check()

    return wait_for(seen, what=what, timeout=45)


@pytest.fixture(autouse=True)
def _patient_expect():
    """Each step here may wait on a recompute or a publication's freeze: assertions wait up to 15 s (the
    Playwright default is 5), then the default comes back for the other modules."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def city_round(scenario):
    """The scenario's set issued by the city, with classes and bonus and penalty caps; X01's leader."""
    from criteria.models import CriteriaSet
    from tests.factories import user

    w = scenario.world
    CriteriaSet.objects.filter(pk=scenario.cs.pk).update(
        owner_unit=w.city, classes=CLASSES, bonus_max=2, penalty_max=3
    )
    scenario.leader = user("lanhdao1", memberships=[(w.commune, "leader")])
    return scenario


def test_a_whole_round_in_the_browser(worker, city_round, browse):
    s, w = city_round, city_round.world
    today = s.today

    # The appraiser goes from the ranking page to the round page and opens the self-assessment.
    appraiser = browse(s.appraiser, viewport=WIDE)
    appraiser.locator("nav.mainnav").get_by_role("link", name="Xếp hạng").click()
    appraiser.get_by_role("link", name=re.compile("^Kỳ đánh giá")).click()
    expect(appraiser.get_by_role("heading", level=1)).to_contain_text("Kỳ đánh giá")
    expect(appraiser.locator("h1 .badge")).to_have_text("Theo dõi")
    _shots(appraiser, "tracking")
    until = today + dt.timedelta(days=10)
    _step(appraiser, "Mở tự đánh giá", self_assessment_until=until.isoformat())
    expect(appraiser.locator("h1 .badge")).to_have_text("Tự đánh giá")
    expect(appraiser.locator('[data-field="self_assessment_until"]')).to_have_text(until.strftime("%d/%m/%Y"))
    expect(appraiser.locator('tr[data-unit="X01"] .badge')).to_have_text("Chưa bắt đầu")

    # The leader finds the sheet on their dashboard, gives 4 points on 1.5, an explanation and a file.
    leader = browse(s.leader, viewport=WIDE)
    leader.locator("nav.mainnav").get_by_role("link", name="Tổng quan").click()
    leader.get_by_role("link", name=re.compile("Mở bản tự đánh giá")).click()
    expect(leader.get_by_role("heading", level=1)).to_have_text("Tự đánh giá: Phường Đồng Tâm")
    leaf = leader.locator('[data-code="1.5"]')
    leaf.locator("input[name=c1_5-self_points]").fill("4")
    leaf.locator("textarea[name=c1_5-explanation]").fill("Đã có đủ 4 báo cáo quý, đúng mẫu")
    leader.set_input_files(
        "input[name=c1_5-file]",
        files=[{"name": "bao-cao-quy.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}],
    )
    leaf.locator("input[name=c1_5-doc_number]").fill("12/BC-UBND")
    leader.get_by_role("button", name="Lưu", exact=True).click()
    expect(leader.locator("#flash")).to_contain_text("Đã lưu 2 thay đổi.")
    expect(leaf.locator("input[name=c1_5-self_points]")).to_have_value("4")
    expect(leaf.locator("textarea[name=c1_5-explanation]")).to_have_value("Đã có đủ 4 báo cáo quý, đúng mẫu")
    expect(leaf.locator(".sl-files")).to_contain_text("bao-cao-quy.pdf")
    _shots(leader, "self-assessment")
    _accept_next_dialog(leader)
    leader.get_by_role("button", name="Gửi bản tự đánh giá").click()
    expect(leader.locator("#flash")).to_contain_text("Đã gửi bản tự đánh giá.")
    expect(leader.locator("[data-sheet-state]")).to_have_text("Đã gửi")
    expect(leader.locator("input[name=c1_5-self_points]")).to_have_count(0)

    # The appraisal starts: X02, which never submitted, is late.
    appraiser.reload()
    expect(appraiser.locator('tr[data-unit="X01"] .badge')).to_have_text("Đã gửi")
    _step(appraiser, "Bắt đầu thẩm định", confirm=True)
    expect(appraiser.locator('tr[data-unit="X02"] .badge')).to_have_text("Nộp muộn")
    expect(appraiser.locator('[data-count="late"]')).to_have_text("1")
    _shots(appraiser, "appraisal-started")

    # From the progress table to X01's sheet, then its appraisal: below its own 4, a note is required.
    appraiser.locator('tr[data-unit="X01"]').get_by_role("link", name="Phường Đồng Tâm").click()
    appraiser.get_by_role("link", name="Thẩm định đơn vị này").click()
    said = appraiser.locator("#leaf-c1_5 .apr-unit")
    _reload_until(appraiser, lambda: said.get_attribute("data-own") == "4", "X01's own points on 1.5")
    expect(said).to_contain_text("Đã có đủ 4 báo cáo quý")
    expect(said.get_by_role("link", name="bao-cao-quy.pdf")).to_be_visible()
    appraiser.fill("input[name=c1_5-points]", "2")
    appraiser.get_by_role("button", name="Lưu điểm thẩm định").click()
    expect(appraiser.locator("#leaf-c1_5")).to_contain_text(
        "thấp hơn điểm tự đánh giá của đơn vị: ghi rõ lý do"
    )
    appraiser.fill("textarea[name=c1_5-note]", "Thiếu báo cáo quý IV")
    appraiser.get_by_role("button", name="Lưu điểm thẩm định").click()
    expect(appraiser.locator("#flash")).to_contain_text("Đã lưu 1 điểm thẩm định.")
    _shots(appraiser, "appraisal-unit")

    # The explanation opens; the leader answers the one leaf appraised below its points.
    appraiser.get_by_role("link", name="Kỳ đánh giá", exact=True).click()
    _step(appraiser, "Mở giải trình", explanation_until=(today + dt.timedelta(days=5)).isoformat())
    leader.locator("nav.mainnav").get_by_role("link", name="Tổng quan").click()
    leader.get_by_role("link", name=re.compile("Mở trang giải trình")).click()
    answer = leader.locator("textarea[name=c1_5-answer]")
    _reload_until(leader, lambda: answer.count() == 1, "the appraisal of 1.5 on X01's explanation page")
    expect(leader.locator("[data-code]")).to_have_count(1)
    expect(leader.locator('[data-code="1.5"]')).to_contain_text("Thiếu báo cáo quý IV")
    answer.fill("Báo cáo quý IV đã gửi ngày 10/12, kèm văn bản")
    leader.get_by_role("button", name="Lưu", exact=True).click()
    expect(leader.locator("#flash")).to_contain_text("Đã lưu 1 thay đổi.")
    expect(answer).to_have_value("Báo cáo quý IV đã gửi ngày 10/12, kèm văn bản")
    _shots(leader, "explanation")

    # The final appraisal restores the points; publication under a decision.
    appraiser.reload()
    _step(appraiser, "Thẩm định sau giải trình")
    appraiser.goto(f"/appraisal/{s.cs.pk}/units/{w.commune.pk}/")
    expect(appraiser.locator("#leaf-c1_5 .apr-answer")).to_contain_text("Báo cáo quý IV đã gửi ngày 10/12")
    appraiser.fill("input[name=c1_5-points]", "4")
    appraiser.fill("textarea[name=c1_5-note]", "Chấp nhận giải trình")
    appraiser.get_by_role("button", name="Lưu điểm thẩm định").click()
    expect(appraiser.locator("#flash")).to_contain_text("Đã lưu 1 điểm thẩm định.")
    appraiser.get_by_role("link", name="Kỳ đánh giá", exact=True).click()
    _step(
        appraiser,
        "Công bố kết quả",
        confirm=True,
        decision_number="125/QĐ-UBND",
        decided_on=today.isoformat(),
    )
    expect(appraiser.locator("h1 .badge")).to_have_text("Đã công bố")
    version = appraiser.locator('tr[data-version="1"]')
    expect(version).to_contain_text("125/QĐ-UBND")
    expect(version.get_by_role("link", name="PDF")).to_have_attribute(
        "href", re.compile(r"/published/1\.pdf$")
    )
    _shots(appraiser, "published")

    # The ranking: the banner with the decision, each unit with its class.
    appraiser.get_by_role("link", name="Bảng xếp hạng").click()
    date = today.strftime("%d/%m/%Y")
    expect(appraiser.locator(".published-banner")).to_contain_text(
        f"Kết quả đã công bố theo Quyết định số 125/QĐ-UBND ngày {date} (phiên bản 1)"
    )
    # X01: 2.4's 5 and the restored 4 on 1.5, 9 of 95 (9.47 %); X02: 5 + 5 appraised on 1.5: both "Yếu".
    expect(appraiser.locator('tr[data-unit="X01"]')).to_have_attribute("data-total", "9.0000")
    expect(appraiser.locator('tr[data-unit="X01"] .class-label')).to_have_text("Yếu")
    expect(appraiser.locator('tr[data-unit="X02"] .class-label')).to_have_text("Yếu")
    # …and the published version's exports (the council's spreadsheet, the decision's annex).
    expect(appraiser.get_by_role("link", name="Kết quả công bố (Excel)")).to_be_visible()
    expect(appraiser.get_by_role("link", name="Kết quả công bố (PDF)")).to_be_visible()
    _shots(appraiser, "ranking-published")
    # The appraisal page is read-only now.
    appraiser.goto(f"/appraisal/{s.cs.pk}/units/{w.commune.pk}/")
    expect(appraiser.locator(".published-notice")).to_be_visible()
    expect(appraiser.locator("input[name=c1_5-points]")).to_be_disabled()
