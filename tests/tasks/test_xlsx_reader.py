"""The import's sheet reader (`tasks.xlsx.sheet_rows`) gives the values openpyxl's read-only mode gives, on
files written by openpyxl with every kind of cell an import file holds, and refuses what is not a workbook."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from tasks.xlsx import read_task_rows, sheet_rows


def _openpyxl_rows(data: bytes) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [_trim(r) for r in wb.worksheets[0].iter_rows(values_only=True, max_col=30)]
    finally:
        wb.close()


def _trim(row) -> tuple:
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return tuple(row)


def _book(*, date1904: bool = False) -> bytes:
    wb = Workbook()
    if date1904:
        wb.epoch = dt.datetime(1904, 1, 1)
    ws = wb.active
    ws.title = "Nhiệm vụ"
    ws.append(["Mã đơn vị", "Tên nhiệm vụ", "Ngày bắt đầu", "Hạn hoàn thành", "Mã tiêu chí", "Mức ưu tiên"])
    ws.append(["X01", "Báo cáo quý", dt.date(2026, 3, 2), dt.datetime(2026, 3, 14, 17, 30), "1.2.1", "Khẩn"])
    ws.append([101, "  có khoảng trắng  ", "05/03/2026", 46100, 1.5, True])
    ws.append([None, None, None, None, None, None])
    ws["A6"] = "X02"  # row 5 missing altogether
    ws["C6"] = dt.date(2024, 2, 29)
    ws["F6"] = False
    ws["B6"] = CellRichText(["Niêm yết ", TextBlock(InlineFont(b=True), "TTHC")])
    ws["D6"] = "=TODAY()"  # a formula without a cached value
    ws["AF6"] = "beyond the 30th column"
    ws["C6"].number_format = "DD/MM/YYYY"
    ws["G7"] = 3e-05
    ws["D7"] = 45000
    ws["D7"].number_format = "[$-42A]dd/mm/yyyy"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("date1904", [False, True])
def test_the_reader_gives_openpyxl_s_values(date1904):
    data = _book(date1904=date1904)
    ours = [_trim(r) for r in sheet_rows(data, max_col=30)]
    theirs = _openpyxl_rows(data)
    assert ours == theirs
    assert ours[1][2] == dt.datetime(2026, 3, 2) and ours[5][1] == "Niêm yết TTHC"
    assert ours[4] == () and ours[2][5] is True and ours[5][5] is False


def test_an_import_file_reads_as_before():
    rows = read_task_rows(_book(), max_bytes=10**6, max_rows=100)
    assert [n for n, _r in rows] == [2, 3, 6, 7]
    assert rows[0][1]["due_date"] == dt.datetime(2026, 3, 14, 17, 30)


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return buffer.getvalue()


def test_a_part_with_a_document_type_declaration_is_refused():
    source = zipfile.ZipFile(io.BytesIO(_book()))
    parts = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    body = parts[sheet].split(b"?>", 1)[-1]
    parts[sheet] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + body
    with pytest.raises(ValidationError) as refused:
        read_task_rows(_zip(parts), max_bytes=10**6, max_rows=100)
    assert "không phải tệp Excel" in str(refused.value)


def test_a_zip_without_a_workbook_is_refused():
    with pytest.raises(ValidationError):
        read_task_rows(_zip({"hello.txt": b"hi"}), max_bytes=10**6, max_rows=100)
