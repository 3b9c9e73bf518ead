"""Official documents as PDF (org.documents): the Nghị định 30 letterhead, Vietnamese text that survives into
the PDF, tables over several pages, and a URL fetcher that never reaches the network."""

from __future__ import annotations

import datetime as dt
import logging
import re
import socket
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from org.documents import (
    FONT_FAMILIES,
    URLRefused,
    font_faces,
    local_fetcher,
    render_html,
    render_pdf,
    vn_date_line,
    vn_place_name,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")

DOCUMENT = """{% extends "org/documents/official.html" %}
{% block body %}
<table class="grid">
  <thead><tr><th>STT</th><th>Tên đơn vị</th><th>Tổng điểm</th></tr></thead>
  <tbody>{% for name in rows %}
    <tr><td class="center">{{ forloop.counter }}</td><td>{{ name }}</td>
      <td class="num">8{{ forloop.counter }},25</td></tr>
  {% endfor %}</tbody>
</table>
{% endblock %}
"""


@pytest.fixture
def templates(settings, tmp_path):
    """A folder of test templates ahead of the project's; `templates(name, text)` writes one."""
    folder = tmp_path / "templates"
    folder.mkdir()
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [folder, *engine["DIRS"]]}]

    def write(name: str, text: str) -> str:
        (folder / name).write_text(text, encoding="utf-8")
        return name

    return write


def letterhead(**extra) -> dict:
    return {
        "authority_parent": "Tỉnh Yên Bái",
        "authority": "Thành phố Yên Bái",
        "number": "12/QĐ-UBND",
        "date_line": vn_date_line("Yên Bái", dt.date(2021, 1, 15)),
        "title": "Kết quả chỉ số cải cách hành chính",
        **extra,
    }


def pdf_text(pdf: bytes) -> tuple[int, str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = [doc[i] for i in range(len(doc))]
        return len(pages), "\n".join(page.get_textpage().get_text_range() for page in pages)
    finally:
        doc.close()


def first_page_image(pdf: bytes):
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[0].render(scale=1.5).to_pil().convert("L")
    finally:
        doc.close()


def dark_pixels(image, box) -> int:
    return sum(image.crop(box).histogram()[:128])


# --- Dates and places --------------------------------------------------------------------------------------


def test_the_date_line_pads_days_below_10_and_the_months_january_and_february():
    assert vn_date_line("Yên Bái", dt.date(2021, 1, 5)) == "Yên Bái, ngày 05 tháng 01 năm 2021"
    assert vn_date_line("Yên Bái", dt.date(2021, 1, 15)) == "Yên Bái, ngày 15 tháng 01 năm 2021"
    assert vn_date_line("Hà Nội", dt.date(2024, 2, 29)) == "Hà Nội, ngày 29 tháng 02 năm 2024"
    assert vn_date_line("Hà Nội", dt.date(2025, 3, 8)) == "Hà Nội, ngày 08 tháng 3 năm 2025"
    assert vn_date_line("Lào Cai", dt.date(2025, 12, 31)) == "Lào Cai, ngày 31 tháng 12 năm 2025"
    assert vn_date_line("", dt.date(2025, 11, 1)) == "ngày 01 tháng 11 năm 2025"


@given(st.dates(min_value=dt.date(1945, 9, 2), max_value=dt.date(2200, 12, 31)))
def test_the_date_line_reads_back_as_the_same_date(date):
    line = vn_date_line("Yên Bái", date)
    m = re.fullmatch(r"Yên Bái, ngày (\d\d) tháng (\d\d?) năm (\d{4})", line)
    assert m is not None, line
    assert dt.date(int(m[3]), int(m[2]), int(m[1])) == date
    assert len(m[2]) == (2 if date.month <= 2 else len(str(date.month)))


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("Tỉnh Yên Bái", "Yên Bái"),
        ("Thành phố Yên Bái", "Yên Bái"),
        ("Ủy ban nhân dân tỉnh Lào Cai", "Lào Cai"),
        ("Phường Đồng Tâm", "Đồng Tâm"),
        ("Đặc khu Phú Quốc", "Phú Quốc"),
        ("  Huyện   Lục Yên ", "Lục Yên"),
        ("Hà Nội", "Hà Nội"),
        ("Thành phố", "Thành phố"),
    ],
)
def test_the_place_of_a_unit_drops_its_administrative_prefix(name, place):
    assert vn_place_name(name) == place


def test_fonts_prefer_a_times_metric_family_and_fall_back_to_dejavu(tmp_path):
    assert font_faces(tmp_path) == []
    for family in FONT_FAMILIES[1:]:
        for path in (family.regular, family.bold):
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_bytes(b"font")
    faces = font_faces(tmp_path)
    assert [(f["weight"], f["style"]) for f in faces] == [(400, "normal"), (700, "normal")]
    assert faces[0]["url"] == (tmp_path / FONT_FAMILIES[1].regular).as_uri()
    times = FONT_FAMILIES[0]
    for path in (times.regular, times.bold, times.italic):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(b"font")
    faces = font_faces(tmp_path)
    assert [f["url"] for f in faces] == [
        (tmp_path / p).as_uri() for p in (times.regular, times.bold, times.italic)
    ]


# --- The document ------------------------------------------------------------------------------------------


def test_a_long_document_has_the_letterhead_the_vietnamese_text_and_several_pages(templates, tmp_path):
    names = ["Phường Đồng Tâm", "Xã Tân Thịnh", "Phường Nguyễn Thái Học"] * 20
    pdf = render_pdf(templates("long.html", DOCUMENT), letterhead(rows=names))
    assert pdf.startswith(b"%PDF-")

    pages, text = pdf_text(pdf)
    assert pages >= 2
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 12/QĐ-UBND",
        "Yên Bái, ngày 15 tháng 01 năm 2021",
        "TỈNH YÊN BÁI",
        "THÀNH PHỐ YÊN BÁI",
        "KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH",
        "Phường Đồng Tâm",
        "Phường Nguyễn Thái Học",
        f"1/{pages}",
    ):
        assert expected in text, expected
    # The header row repeats on every page.
    assert text.count("Tên đơn vị") == pages

    image = first_page_image(pdf)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    image.save(shots / "official-document-page-1.png")
    width, height = image.size
    band = height // 6
    assert dark_pixels(image, (width // 2, 0, width, band)) > 500  # national header, motto, date
    assert dark_pixels(image, (0, 0, width // 2, band)) > 300  # issuing authority, number
    # The page margins stay blank.
    assert dark_pixels(image, (0, 0, width, height // 40)) == 0


def test_an_official_document_is_vietnamese_whatever_the_readers_language(templates):
    name = templates("lang.html", '{% load i18n %}<p>{% translate "Xếp hạng" %}</p>')
    with translation.override("en"):
        assert "Xếp hạng" in render_html(name, {})
        assert "Rank" in render_html(name, {}, language=None)


# --- Nothing from the network -----------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection or name look-up fails the test (and is recorded)."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access during rendering: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)
    return attempts


def test_a_document_naming_remote_resources_renders_without_touching_the_network(
    templates, no_network, caplog
):
    name = templates(
        "remote.html",
        '{% extends "org/documents/official.html" %}'
        '{% block style %}.seal { background: url("https://example.com/seal.png"); }{% endblock %}'
        '{% block body %}<link rel="stylesheet" href="https://example.com/a.css">'
        '<img src="http://example.com/x.png"><p class="seal">Phường Đồng Tâm</p>{% endblock %}',
    )
    with caplog.at_level(logging.WARNING, logger="org.documents"):
        pdf = render_pdf(name, letterhead())
    assert no_network == []
    refused = [r.getMessage() for r in caplog.records if r.name == "org.documents"]
    assert "document: refused to fetch http://example.com/x.png" in refused
    assert "document: refused to fetch https://example.com/a.css" in refused
    assert "document: refused to fetch https://example.com/seal.png" in refused
    assert "Phường Đồng Tâm" in pdf_text(pdf)[1]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/font.ttf",
        "ftp://example.com/x.png",
        "file:///etc/passwd",
        "file:///usr/share/fonts/../../../etc/passwd",
        f"file://example.com{DEJAVU}",
        "file:///usr/share/fonts/truetype/no-such-font.ttf",
    ],
)
def test_the_fetcher_refuses_the_network_and_files_outside_the_allowed_folders(url, no_network):
    fetcher = local_fetcher()
    with pytest.raises(URLRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert no_network == []


def test_the_fetcher_reads_data_urls_and_local_font_and_static_files(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_ROOT.mkdir()
    static = settings.STATIC_ROOT / "document.css"
    static.write_text("p { color: red }")
    fetcher = local_fetcher()
    assert fetcher.fetch("data:text/plain;base64,WGluIGNow6Bv").read() == "Xin chào".encode()
    font = fetcher.fetch(DEJAVU.as_uri())
    assert font.read() == DEJAVU.read_bytes()
    assert font.content_type == "font/ttf"
    assert fetcher.fetch(static.as_uri()).read() == b"p { color: red }"
    assert fetcher.fetch(static.as_uri()).content_type == "text/css"
    assert fetcher.refused == []


def test_a_symbolic_link_cannot_lead_out_of_an_allowed_folder(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("mật")
    (root / "link.txt").symlink_to(secret)
    (root / "ok.txt").write_text("được")
    fetcher = local_fetcher([root.resolve()])
    assert fetcher.fetch((root / "ok.txt").as_uri()).read() == "được".encode()
    with pytest.raises(URLRefused):
        fetcher.fetch((root / "link.txt").as_uri())
