"""The printed reports (issue 13): a plan's progress, a unit's score breakdown and the live ranking as
official documents (PDF, Nghị định 30/2020 layout): each one turned into text and into images to check the
national header, the report's number and date, the unit names and a known figure; who may download them
(the same people as the page: 404 for the others); a constant number of queries whatever the rows."""

from __future__ import annotations

import datetime as dt
import re

import pypdfium2 as pdfium
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.models import Task
from tests.browser.conftest import SHOTS, criteria_set_text
from tests.factories import World, bound_plan, criteria_set_from, drive, unit, user

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def pdf_text(content: bytes) -> tuple[int, str]:
    """The page count and the text of every page, each run of white space as one space."""
    doc = pdfium.PdfDocument(content)
    try:
        text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        return len(doc), " ".join(text.split())
    finally:
        doc.close()


def first_page_image(content: bytes, name: str):
    """Page 1 as a grey image (saved in tests/browser/screenshots/), checked not blank: ink in the national
    header's corner (top right) and on the page."""
    doc = pdfium.PdfDocument(content)
    try:
        image = doc[0].render(scale=1.5).to_pil().convert("L")
    finally:
        doc.close()
    SHOTS.mkdir(exist_ok=True)  # with the browser tests' screenshots, in the test artefacts
    image.save(SHOTS / f"{name}-page-1.png")
    width, height = image.size
    assert sum(image.crop((width // 2, 0, width, height // 6)).histogram()[:128]) > 500
    assert sum(image.histogram()[:128]) > 5000
    return image


def download(client, url: str, **headers):
    r = client.get(url, **headers)
    assert r.status_code == 200, r.status_code
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith('attachment; filename="')
    assert r.content.startswith(b"%PDF")
    return r


def today_line(today: dt.date) -> str:
    day = f"{today.day:02d}"
    month = f"{today.month:02d}" if today.month <= 2 else str(today.month)
    return f"ngày {day} tháng {month} năm {today.year}"


# --- A plan's progress --------------------------------------------------------------------------------------


@pytest.fixture
def plan_world(db):
    """Plan 36/KH-UBND of the city: Phường Đồng Tâm has one task approved, one submitted and one in
    progress ten days overdue; Xã Tân Thịnh one assigned; a draft counts nowhere."""
    w = World()
    today = timezone.localdate()
    w.task("approved", title="Công khai thủ tục hành chính")
    w.task("submitted", title="Rà soát quy trình nội bộ")
    w.task("in_progress", title="Số hóa hồ sơ một cửa", due=today - dt.timedelta(days=10), lead=w.official)
    w.task("assigned", title="Khảo sát sự hài lòng", unit=w.other_commune)
    w.task("draft", title="Dự thảo chưa giao")
    return w


def test_the_plan_report_has_the_header_the_number_the_units_and_their_counts(plan_world, web):
    w = plan_world
    url = reverse("plans:report_pdf", args=[w.plan.pk])
    r = download(web.as_(w.city_leader), url)
    today = timezone.localdate()
    assert r["Content-Disposition"] == (
        f'attachment; filename="bao-cao-tien-do-36kh-ubnd-2026-{today:%Y%m%d}.pdf"'
    )
    pages, text = pdf_text(r.content)
    assert pages == 1
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TỈNH YÊN BÁI",
        "THÀNH PHỐ YÊN BÁI",
        f"Số: {w.plan.pk}/BC-C01",
        f"Yên Bái, {today_line(today)}",
        "BÁO CÁO TIẾN ĐỘ THỰC HIỆN KẾ HOẠCH",
        "Kế hoạch số 36/KH-UBND: Kế hoạch kỷ luật, kỷ cương hành chính",
        f"ngày {today:%d/%m/%Y}",
        # The totals: 4 tasks assigned (the draft counts nowhere), 1 done (25,0 %), 1 overdue.
        "Tổng số nhiệm vụ đã giao: 4; đã hoàn thành: 1 (25,0%)",
        "quá hạn chưa hoàn thành: 1",
    ):
        assert expected in text, expected
    # By unit: assigned, in progress, submitted, returned, approved, total, overdue, percent done.
    assert re.search(rf"Số liệu lúc \d\d:\d\d ngày {today:%d/%m/%Y}", text)
    assert "Phường Đồng Tâm 0 1 1 0 1 3 1 33,3" in text
    assert "Xã Tân Thịnh 1 0 0 0 0 1 0 0,0" in text
    assert "Tổng cộng 1 1 1 0 1 4 1 25,0" in text
    # The task list: each task with its unit, due date, state and status; not the draft.
    # (its effective due date: ten days back may be a day off, moved to the next working day)
    overdue_due = Task.objects.get(title="Số hóa hồ sơ một cửa").effective_due_date.strftime("%d/%m/%Y")
    assert re.search(
        rf"Số hóa hồ sơ một cửa Phường Đồng Tâm Official {overdue_due} Đang thực hiện Quá hạn", text
    )
    assert "Khảo sát sự hài lòng" in text and "Công khai thủ tục hành chính" in text
    assert "Dự thảo chưa giao" not in text
    image = first_page_image(r.content, "plan-report")
    assert image.size[0] > image.size[1]  # landscape


def test_the_plan_report_stays_vietnamese_for_an_english_reader(plan_world, web):
    r = download(
        web.as_(plan_world.city_leader), reverse("plans:report_pdf", args=[plan_world.plan.pk]), **EN
    )
    text = pdf_text(r.content)[1]
    assert "BÁO CÁO TIẾN ĐỘ THỰC HIỆN KẾ HOẠCH" in text and "Tổng cộng" in text


def test_the_plan_report_shows_a_reader_only_what_the_plan_page_shows_them(plan_world, web, client):
    w = plan_world
    url = reverse("plans:report_pdf", args=[w.plan.pk])
    # An official of Xã Tân Thịnh sees the plan through its task there, and only that task.
    text = pdf_text(download(web.as_(w.other_official), url).content)[1]
    assert "Khảo sát sự hài lòng" in text
    assert "Phường Đồng Tâm" not in text and "Số hóa hồ sơ một cửa" not in text
    assert "Tổng số nhiệm vụ đã giao: 1;" in text
    # Someone of another district does not see the plan: 404, as its page.
    stranger = web.as_(w.stranger)
    assert stranger.get(reverse("plans:detail", args=[w.plan.pk])).status_code == 404
    assert stranger.get(url).status_code == 404
    # Signed out: to the sign-in page.
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


def test_a_long_plan_report_runs_over_pages_with_the_table_header_on_each(plan_world, web):
    from tasks.services.bulk import tasks_create_bulk

    w = plan_world
    due = timezone.localdate() + dt.timedelta(days=30)
    rows = [
        {"title": f"Rà soát thủ tục số {i:02d}", "assignee_unit": w.commune, "due_date": due}
        for i in range(70)
    ]
    tasks_create_bulk(actor=w.city_leader, plan=w.plan, rows=rows, assign=True)
    r = download(web.as_(w.city_leader), reverse("plans:report_pdf", args=[w.plan.pk]))
    pages, text = pdf_text(r.content)
    assert pages >= 2
    assert f"{pages}/{pages}" in text
    # The task table's header row repeats on each page it runs over (the units' table fits on page 1).
    assert text.count("Đơn vị thực hiện") == pages
    assert all(f"Rà soát thủ tục số {i:02d}" in text for i in range(70))
    assert "Phường Đồng Tâm 70 1 1 0 1 73 1 1,4" in text


def test_the_plan_report_takes_as_many_queries_for_many_tasks_and_units_as_for_a_few(plan_world, web):
    w = plan_world
    client = web.as_(w.city_leader)
    url = reverse("plans:report_pdf", args=[w.plan.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            download(client, url)
        return len(ctx)

    queries()
    few = queries()
    for i in range(6):
        ward = unit(f"X{10 + i}", parent=w.city, name=f"Phường Số {i}")
        official = user(f"official{i}", memberships=[(ward, "official")])
        from tasks import services as task_services

        t = task_services.task_create(
            actor=w.city_leader,
            plan=w.plan,
            title=f"Nhiệm vụ {i}",
            assignee_unit=ward,
            due_date=timezone.localdate() + dt.timedelta(days=5),
            lead=official,
        )
        drive(t, ["assign", "start"], leader=w.city_leader, member=official)
    assert queries() == few


# --- A unit's breakdown and the live ranking --------------------------------------------------------------


@pytest.fixture
def scored(db):
    """This year's test set, bound to the city's plan 20/KH-UBND: Phường Đồng Tâm (X01) has task 1.1 in
    progress and overdue, so 5 points (2.4); Xã Tân Thịnh (X02) 5 appraised points on 1.5 more, 10."""
    from scoring.services import appraisal_set, scores_recompute
    from tasks import services as task_services

    w = World()
    today = timezone.localdate()
    cs = criteria_set_from(criteria_set_text(today.year))
    plan = bound_plan(w, cs, number="20/KH-UBND")
    task = task_services.task_create(
        actor=w.city_leader,
        plan=plan,
        title="Ban hành kế hoạch CCHC năm của phường",
        assignee_unit=w.commune,
        lead=w.official,
        due_date=today - dt.timedelta(days=10),
        criterion_code="1.1",
    )
    drive(task, ["assign", "start"], leader=w.city_leader, member=w.official)
    appraiser = user("appraiser", memberships=[(w.city, "appraiser")])
    appraisal_set(actor=appraiser, criteria_set=cs, unit=w.other_commune, code="1.5", points=5, note="Đủ")
    scores_recompute(criteria_set=cs)
    return w, cs


def test_the_breakdown_report_has_the_header_the_number_every_criterion_and_the_totals(scored, web):
    w, cs = scored
    url = reverse("scoring:breakdown_pdf", args=[cs.pk, w.commune.pk])
    r = download(web.as_(w.official), url)
    today = timezone.localdate()
    assert r["Content-Disposition"] == (
        f'attachment; filename="diem-cchc-T-{today.year}-X01-{today:%Y%m%d}.pdf"'
    )
    pages, text = pdf_text(r.content)
    assert pages >= 1
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "THÀNH PHỐ YÊN BÁI",
        "PHƯỜNG ĐỒNG TÂM",
        f"Số: {cs.pk}/BC-X01",
        f"Đồng Tâm, {today_line(today)}",
        f"BÁO CÁO CHI TIẾT ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {today.year}",
        "Kết quả tạm tính",
        f"ngày {today:%d/%m/%Y}",
        "Tổng điểm 5,00 / 95,00",
        "Xếp hạng trong nhóm 2/2",
        "Điểm bị mất 90,00",
    ):
        assert expected in text, expected
    # Every criterion, with its points; 2.4 (no violation) full, 1.1 (overdue) lost.
    assert "1.1 Kế hoạch đúng hạn" in text and "3.2 Hài lòng về công chức" in text
    assert re.search(r"2\.4 Không để xảy ra vi phạm .*?5 5 — — 5 0 0", text)
    assert re.search(r"1\.1 Kế hoạch đúng hạn .*?10 0 — — 0 −10", text)
    first_page_image(r.content, "breakdown-report")


def test_the_breakdown_report_is_for_those_who_see_the_breakdown(scored, web):
    w, cs = scored
    mine, theirs = (
        reverse("scoring:breakdown_pdf", args=[cs.pk, u.pk]) for u in (w.commune, w.other_commune)
    )
    official = web.as_(w.official)
    assert official.get(reverse("scoring:breakdown", args=[cs.pk, w.other_commune.pk])).status_code == 404
    assert official.get(theirs).status_code == 404
    # The city's leader sees both wards.
    text = pdf_text(download(web.as_(w.city_leader), theirs, **EN).content)[1]
    # Vietnamese, and Vietnamese numbers, for an English reader too: an official document.
    assert "XÃ TÂN THỊNH" in text and "Tổng điểm 10,00 / 95,00" in text and "Kết quả tạm tính" in text
    assert web.as_(w.stranger).get(mine).status_code == 404


def test_the_live_ranking_report_is_provisional_with_the_moment_and_every_unit_of_the_group(scored, web):
    w, cs = scored
    client = web.as_(w.city_leader)
    url = f"{reverse('scoring:ranking_pdf')}?set={cs.pk}&parent={w.city.pk}"
    r = download(client, url)
    today = timezone.localdate()
    pages, text = pdf_text(r.content)
    assert pages == 1
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BỘ NỘI VỤ",  # a nationwide set
        f"Số: {cs.pk}/BC",
        f"Hà Nội, {today_line(today)}",
        f"KẾT QUẢ TẠM TÍNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {today.year}",
        "Nhóm so sánh: Thành phố Yên Bái",
        "Kết quả tạm tính, chưa công bố",
        f"ngày {today:%d/%m/%Y}",
    ):
        assert expected in text, expected
    assert re.search(r"Số liệu lúc \d\d:\d\d ngày", text)
    # By rank, with Vietnamese numbers: X02 first with 10 points, X01 second with 5.
    assert "1 X02 Xã Tân Thịnh 10,00 0,00 10,00 95,00 10,53 — 10,00" in text
    assert "2 X01 Phường Đồng Tâm 5,00 0,00 5,00 95,00 5,26 — 5,00" in text
    assert "Xã Mường Lai" not in text  # another peer group
    first_page_image(r.content, "ranking-report")
    # Every signed-in user may print it, as they see the page; the default group is the reader's own.
    text = pdf_text(download(web.as_(w.stranger), f"{reverse('scoring:ranking_pdf')}?set={cs.pk}").content)[1]
    assert "Nhóm so sánh: Huyện Lục Yên" in text and "Xã Mường Lai" in text


def test_a_published_rankings_report_is_the_published_annex(scored, web):
    w, cs = scored
    from scoring.models import PublishedResult

    PublishedResult.objects.create(
        criteria_set=cs,
        version=1,
        decision_number="12/QĐ-UBND",
        decided_on=timezone.localdate(),
        published_at=timezone.now(),
    )
    r = web.as_(w.city_leader).get(f"{reverse('scoring:ranking_pdf')}?set={cs.pk}&parent={w.city.pk}")
    assert r.status_code == 302 and r["Location"] == reverse("scoring:published_pdf", args=[cs.pk, 1])


def test_the_scoring_reports_take_as_many_queries_for_many_units_as_for_a_few(scored, web):
    from scoring.services import scores_recompute

    w, cs = scored
    client = web.as_(w.city_leader)
    urls = (
        f"{reverse('scoring:ranking_pdf')}?set={cs.pk}&parent={w.city.pk}",
        reverse("scoring:breakdown_pdf", args=[cs.pk, w.commune.pk]),
    )

    def queries() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                download(client, url)
            found.append(len(ctx))
        return found

    queries()
    few = queries()
    for i in range(8):
        unit(f"X{20 + i}", parent=w.city, name=f"Xã Số {i}")
    scores_recompute(criteria_set=cs)
    assert queries() == few


def test_anonymous_readers_are_sent_to_sign_in(scored, client):
    w, cs = scored
    for url in (reverse("scoring:ranking_pdf"), reverse("scoring:breakdown_pdf", args=[cs.pk, w.commune.pk])):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
