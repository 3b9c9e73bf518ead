"""A published version's exports (issue 14): the council's spreadsheet and the decision's annex as PDF, what
they hold, who may download them, and their query count. The published rows are written with the ORM (what
the publication service writes is tested with it)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from criteria.models import CriteriaSet
from org.models import UnitKind
from scoring.exports import published_ranking_pdf, published_ranking_xlsx
from scoring.models import PublishedResult, PublishedScore
from tests.factories import unit, user

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
VI = {"HTTP_ACCEPT_LANGUAGE": "vi"}
FORMULA_NAME = '=HYPERLINK("http://x.example/","Xem")'
DECIDED_ON = dt.date(2021, 1, 15)  # the decision's date: a fact of the 2020 results, not "today"
LABELS = [
    "STT",
    "Mã đơn vị",
    "Tên đơn vị",
    "Điểm tự đánh giá có TLKC",
    "Điểm điều tra XHH",
    "Điểm thưởng",
    "Điểm trừ",
    "Tổng điểm",
    "Điểm tối đa",
    "Chỉ số (%)",
    "Xếp hạng",
    "Xếp loại",
    "Tăng/giảm so với năm trước",
]


class Published:
    """Yên Bái's 2020 commune results, decision 12/QĐ-UBND: two peer groups (the city's wards and
    communes, Lục Yên's communes), written in no particular order."""

    def __init__(self):
        self.province = unit("YB", kind=UnitKind.PROVINCE, name="Tỉnh Yên Bái")
        self.city = unit("YB-TP", kind=UnitKind.DISTRICT, parent=self.province, name="Thành phố Yên Bái")
        self.district = unit("YB-LY", kind=UnitKind.DISTRICT, parent=self.province, name="Huyện Lục Yên")
        self.dong_tam = unit("TP-01", parent=self.city, name="Phường Đồng Tâm")
        self.tan_thinh = unit("TP-02", parent=self.city, name="Xã Tân Thịnh")
        self.formula = unit("TP-03", parent=self.city, name=FORMULA_NAME)
        self.khanh_hoa = unit("LY-01", parent=self.district, name="Xã Khánh Hòa")
        self.muong_lai = unit("LY-02", parent=self.district, name="Xã Mường Lai")
        self.cs = CriteriaSet.objects.create(
            code="XA-2020",
            name="Bộ chỉ số CCHC cấp xã năm 2020",
            year=2020,
            unit_kind=UnitKind.COMMUNE,
            period_start=dt.date(2019, 12, 15),
            period_end=dt.date(2020, 12, 14),
            owner_unit=self.province,
            classes=[[90, "Xuất sắc"], [80, "Tốt"], [0, "Khá"]],
        )
        self.result = self.publish(version=1)
        # (unit, evidence, survey, bonus, penalty, total, percent, rank, class, delta)
        self.add(self.tan_thinh, "60.5", "25.25", "1", "0.5", "86.25", "86.25", 2, "Tốt", "-1.5")
        self.add(self.formula, "55", "20", "0", "0", "75", "75", 3, "Khá", None)
        self.add(self.dong_tam, "64.06", "28.84", "0.5", "0", "93.4", "93.4", 1, "Xuất sắc", "2.75")
        self.add(self.muong_lai, "50", "24", "0", "1", "73", "73", 2, "Khá", "0")
        self.add(self.khanh_hoa, "62", "27.5", "0", "0", "89.5", "89.5", 1, "Tốt", "3.1")

    def publish(self, *, version: int, reason: str = "") -> PublishedResult:
        return PublishedResult.objects.create(
            criteria_set=self.cs,
            version=version,
            decision_number="12/QĐ-UBND" if version == 1 else f"{10 + version}/QĐ-UBND",
            decided_on=DECIDED_ON,
            published_at=timezone.now(),
            correction_reason=reason,
        )

    def add(self, u, evidence, survey, bonus, penalty, total, percent, rank, label, delta, *, result=None):
        return PublishedScore.objects.create(
            result=result or self.result,
            unit=u,
            unit_code=u.code,
            unit_name=u.name,
            parent_name=u.parent.name if u.parent_id else "",
            parent_unit_id=u.parent_id,
            evidence_points=Decimal(evidence),
            survey_points=Decimal(survey),
            bonus=Decimal(bonus),
            penalty=Decimal(penalty),
            total=Decimal(total),
            applicable_max=Decimal(100),
            percent=Decimal(percent),
            rank=rank,
            delta=None if delta is None else Decimal(delta),
            class_label=label,
        )


@pytest.fixture
def p(db):
    return Published()


def loaded(result: PublishedResult) -> PublishedResult:
    """The version as the views load it: with its set, the owner unit and its parent."""
    return PublishedResult.objects.select_related("criteria_set__owner_unit__parent").get(pk=result.pk)


def sheet_rows(content: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def pdf_pages(content: bytes) -> tuple[int, str]:
    doc = pdfium.PdfDocument(content)
    try:
        pages = [doc[i] for i in range(len(doc))]
        return len(pages), "\n".join(page.get_textpage().get_text_range() for page in pages)
    finally:
        doc.close()


def flat(text: str) -> str:
    """The text with every run of white space (line breaks inside a table cell included) as one space."""
    return " ".join(text.split())


def squashed(text: str) -> str:
    """The text without any white space: a long name or heading the table wraps at "/" still reads whole."""
    return "".join(text.split())


# --- XLSX --------------------------------------------------------------------------------------------------


def test_the_spreadsheet_has_the_title_block_and_each_peer_group_in_rank_order(p):
    content = published_ranking_xlsx(loaded(p.result))
    rows = sheet_rows(content)
    assert rows[0][0] == "TỈNH YÊN BÁI"
    assert rows[1][0] == "KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2020"
    assert rows[2][0] == "(Kèm theo Quyết định số 12/QĐ-UBND ngày 15/01/2021)"
    header = next(i for i, r in enumerate(rows) if r[0] == "STT")
    assert rows[header] == LABELS
    body = [r for r in rows[header + 1 :] if any(v is not None for v in r)]
    # Groups by the parent's code (YB-LY before YB-TP), each by rank; STT counts within the group.
    assert [(r[0], r[1], r[2], r[10]) for r in body] == [
        ("Nhóm so sánh: Huyện Lục Yên", None, None, None),
        (1, "LY-01", "Xã Khánh Hòa", 1),
        (2, "LY-02", "Xã Mường Lai", 2),
        ("Nhóm so sánh: Thành phố Yên Bái", None, None, None),
        (1, "TP-01", "Phường Đồng Tâm", 1),
        (2, "TP-02", "Xã Tân Thịnh", 2),
        (3, "TP-03", FORMULA_NAME, 3),
    ]
    dong_tam = body[4]
    assert dong_tam[3:] == [64.06, 28.84, 0.5, 0, 93.4, 100, 93.4, 1, "Xuất sắc", 2.75]
    assert body[6][12] is None  # no previous year: no delta


def test_numbers_are_numbers_with_two_decimals_and_names_stay_text(p):
    ws = load_workbook(io.BytesIO(published_ranking_xlsx(loaded(p.result)))).active
    by_code = {row[1].value: row for row in ws.iter_rows() if row[1].value}
    formula = by_code["TP-03"]
    assert formula[2].value == FORMULA_NAME and formula[2].data_type == "s"
    tan_thinh = by_code["TP-02"]
    for cell in tan_thinh[3:10]:
        assert isinstance(cell.value, int | float) and cell.data_type == "n"
        assert cell.number_format == "0.00"
    assert tan_thinh[12].value == -1.5 and tan_thinh[12].number_format.startswith("+0.00")
    assert tan_thinh[10].number_format == "0"
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    assert ws.page_setup.orientation == "landscape"


def test_a_corrected_version_says_so_and_a_nationwide_set_is_issued_for_the_whole_country(p):
    v2 = p.publish(version=2, reason="Sai điểm điều tra của Xã Tân Thịnh")
    p.add(p.dong_tam, "64.06", "28.84", "0.5", "0", "93.4", "93.4", 1, "Xuất sắc", None, result=v2)
    rows = sheet_rows(published_ranking_xlsx(loaded(v2)))
    assert rows[2][0] == "(Kèm theo Quyết định số 12/QĐ-UBND ngày 15/01/2021)"
    assert rows[3][0] == "Phiên bản 2, đính chính: Sai điểm điều tra của Xã Tân Thịnh"
    assert [r[2] for r in rows if r[1] == "TP-01"] == ["Phường Đồng Tâm"]
    text = flat(pdf_pages(published_ranking_pdf(loaded(v2)))[1])
    assert "Phiên bản 2, đính chính: Sai điểm điều tra của Xã Tân Thịnh" in text
    assert "Xã Tân Thịnh" not in text.replace("đính chính: Sai điểm điều tra của Xã Tân Thịnh", "")
    CriteriaSet.objects.filter(pk=p.cs.pk).update(owner_unit=None)
    assert sheet_rows(published_ranking_xlsx(loaded(p.result)))[0][0] == "TOÀN QUỐC"


# --- PDF ---------------------------------------------------------------------------------------------------


def test_the_annex_has_the_letterhead_the_decision_and_every_unit(p, tmp_path):
    content = published_ranking_pdf(loaded(p.result))
    pages, text = pdf_pages(content)
    text = flat(text)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TỈNH YÊN BÁI",
        "Số: 12/QĐ-UBND",
        "Yên Bái, ngày 15 tháng 01 năm 2021",
        "PHỤ LỤC",
        "KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2020",
        "(Kèm theo Quyết định số 12/QĐ-UBND ngày 15/01/2021)",
        "Nhóm so sánh: Huyện Lục Yên",
        "Nhóm so sánh: Thành phố Yên Bái",
        "Phường Đồng Tâm",
        "Xã Khánh Hòa",
    ):
        assert expected in text, expected
    for label in LABELS:
        assert squashed(label) in squashed(text), label
    for name in ("Phường Đồng Tâm", "Xã Tân Thịnh", FORMULA_NAME, "Xã Khánh Hòa", "Xã Mường Lai"):
        assert squashed(name) in squashed(text), name
    # Vietnamese numbers: a decimal comma, the delta signed.
    assert re.search(r"Phường Đồng Tâm 64,06 28,84 0,50 0,00 93,40 100,00 93,40 1 Xuất sắc \+2,75", text)
    assert text.index("Xã Khánh Hòa") < text.index("Xã Mường Lai") < text.index("Phường Đồng Tâm")

    doc = pdfium.PdfDocument(content)
    try:
        image = doc[0].render(scale=1.5).to_pil().convert("L")
    finally:
        doc.close()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    image.save(shots / "published-ranking-annex-page-1.png")
    width, height = image.size
    assert width > height  # landscape
    assert sum(image.crop((width // 2, 0, width, height // 5)).histogram()[:128]) > 500
    assert sum(image.histogram()[:128]) > 5000


def test_a_long_annex_runs_over_pages_with_the_header_row_on_each(p):
    parent = unit("YB-VY", kind=UnitKind.DISTRICT, parent=p.province, name="Huyện Văn Yên")
    for i in range(60):
        u = unit(f"VY-{i:02d}", parent=parent, name=f"Xã Đại Sơn {i:02d}")
        p.add(u, "50", "20", "0", "0", "70", "70", i + 1, "Khá", None)
    pages, text = pdf_pages(published_ranking_pdf(loaded(p.result)))
    assert pages >= 2
    assert flat(text).count("Tên đơn vị") == pages
    assert f"{pages}/{pages}" in text
    assert all(f"Xã Đại Sơn {i:02d}" in text for i in range(60))


# --- Views -------------------------------------------------------------------------------------------------


def urls(p, version=1) -> tuple[str, str]:
    args = [p.cs.pk, version]
    return reverse("scoring:published_xlsx", args=args), reverse("scoring:published_pdf", args=args)


def test_every_signed_in_user_downloads_both_exports(p, web):
    stranger = user(
        "ngoai-tinh", memberships=[(unit("HN", kind=UnitKind.PROVINCE, name="Hà Nội"), "official")]
    )
    xlsx_url, pdf_url = urls(p)
    client = web.as_(stranger)
    r = client.get(xlsx_url, **VI)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r["Content-Disposition"] == 'attachment; filename="chi-so-cchc-XA-2020-v1.xlsx"'
    assert sheet_rows(r.content)[2][0] == "(Kèm theo Quyết định số 12/QĐ-UBND ngày 15/01/2021)"
    r = client.get(pdf_url, **VI)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == 'attachment; filename="chi-so-cchc-XA-2020-v1.pdf"'
    assert "Phường Đồng Tâm" in pdf_pages(r.content)[1]


def test_the_annex_stays_vietnamese_for_an_english_reader_the_spreadsheet_follows_the_reader(p, web):
    client = web.as_(user("reader"))
    xlsx_url, pdf_url = urls(p)
    text = flat(pdf_pages(client.get(pdf_url, **EN).content)[1])
    assert "Nhóm so sánh: Huyện Lục Yên" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    rows = sheet_rows(client.get(xlsx_url, **EN).content)
    assert [r[0] for r in rows if r[0] and "Lục Yên" in str(r[0])] == ["Peer group: Huyện Lục Yên"]


def test_anonymous_users_are_sent_to_sign_in(p, client):
    for url in urls(p):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


def test_an_unknown_version_or_set_answers_404(p, web):
    client = web.as_(user("reader"))
    for url in (*urls(p, version=2), *urls(p, version=0)):
        assert client.get(url).status_code == 404
    for name in ("scoring:published_xlsx", "scoring:published_pdf"):
        assert client.get(reverse(name, args=[p.cs.pk + 1000, 1])).status_code == 404


def test_the_exports_take_as_many_queries_for_50_units_as_for_5(p, web):
    client = web.as_(user("reader"))
    xlsx_url, pdf_url = urls(p)

    def counts() -> list[int]:
        found = []
        for url in (xlsx_url, pdf_url):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            found.append(len(ctx))
        return found

    counts()  # the first request of a session reads what later ones have cached
    small = counts()
    groups = [
        unit(f"YB-H{g}", kind=UnitKind.DISTRICT, parent=p.province, name=f"Huyện {g}") for g in range(3)
    ]
    for i in range(45):
        u = unit(f"XX-{i:02d}", parent=groups[i % 3], name=f"Xã Số {i:02d}")
        p.add(u, "50", "20", "0", "0", "70", "70", i // 3 + 1, "Khá", None)
    assert PublishedScore.objects.filter(result=p.result).count() == 50
    assert counts() == small


def test_the_exports_keep_the_names_as_published_after_a_unit_is_renamed(db):
    from org import services as org_services

    p = Published()
    old = p.dong_tam.name
    org_services.unit_update(actor=None, unit=p.dong_tam, name="Phường Mới Đổi Tên")
    book = load_workbook(io.BytesIO(published_ranking_xlsx(p.result)))
    names = [c.value for r in book.active.iter_rows() for c in r if isinstance(c.value, str)]
    assert old in names and "Phường Mới Đổi Tên" not in names


def test_the_annex_is_rendered_once_and_served_as_stored(db, web, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = Published()
    client = web.as_(user("reader", memberships=[(p.dong_tam, "official")]))
    url = reverse("scoring:published_pdf", args=[p.cs.pk, 1])
    first = client.get(url)
    p.result.refresh_from_db()
    assert first.status_code == 200 and p.result.annex
    stored = p.result.annex.read()
    # A later change to a unit never reaches the annex: the stored file is served as it was.
    p.dong_tam.name = "Phường Khác"
    p.dong_tam.save()
    assert client.get(url).content == stored == first.content


def test_a_large_annex_not_yet_rendered_answers_that_it_is_being_prepared(db, web, settings, monkeypatch):
    from scoring import exports, jobs

    queued = []
    monkeypatch.setattr(exports, "ANNEX_INLINE_MAX", 2)
    monkeypatch.setattr(jobs, "render_annex", queued.append)
    p = Published()
    client = web.as_(user("reader", memberships=[(p.dong_tam, "official")]))
    r = client.get(reverse("scoring:published_pdf", args=[p.cs.pk, 1]))
    assert r.status_code == 202 and "đang tạo" in r.content.decode() and queued == [p.result.pk]


def test_an_annex_lost_from_storage_is_drawn_again_from_the_frozen_rows_not_a_500(
    db, web, settings, tmp_path
):
    import os

    import pypdfium2 as pdfium

    def text(content: bytes) -> str:
        doc = pdfium.PdfDocument(content)
        return "".join(page.get_textpage().get_text_range() for page in doc)

    settings.MEDIA_ROOT = tmp_path
    p = Published()
    client = web.as_(user("reader", memberships=[(p.dong_tam, "official")]))
    url = reverse("scoring:published_pdf", args=[p.cs.pk, 1])
    first = client.get(url)
    p.result.refresh_from_db()
    os.remove(p.result.annex.path)  # the disk (or bucket) lost the file; the database still names it
    again = client.get(url)
    assert again.status_code == 200 and again["Content-Type"] == "application/pdf"
    assert text(again.content) == text(first.content)  # the same document, from the same frozen rows
    p.result.refresh_from_db()
    assert p.result.annex.name  # the version's stored annex is not rewritten behind its back
    assert first.status_code == 200
