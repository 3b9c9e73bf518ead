"""Hostile files, made in memory: executables in disguise, zip bombs, XML entity bombs, YAML alias bombs."""

from __future__ import annotations

import functools
import io
import zipfile

from openpyxl import Workbook

# A Windows executable's first bytes (the "MZ" DOS header pointing at a "PE" header).
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x40\x00\x00\x00"
EXE += b"PE\x00\x00" + b"\x00" * 400

_CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


@functools.cache
def zip_bomb(kind: str, inflated_mb: int = 128) -> bytes:
    """An Office Open XML package (docx or xlsx by its part names) whose main part is `inflated_mb` MB of
    zeros: about a thousandth of that on disk."""
    main = {"docx": "word/document.xml", "xlsx": "xl/worksheets/sheet1.xml"}[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        if kind == "xlsx":
            z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open(main, "w") as part:
            chunk = b"\x00" * (1 << 20)
            for _ in range(inflated_mb):
                part.write(chunk)
    return buffer.getvalue()


ENTITY_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_with_entity_bomb(rows: list[list]) -> bytes:
    """A real workbook whose first sheet is replaced by a billion-laughs XML document."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(rows)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            data = ENTITY_BOMB if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            z.writestr(info.filename, data)
    return buffer.getvalue()


def yaml_alias_bomb(levels: int = 9) -> str:
    """Billion laughs in YAML: each anchor is a list of nine aliases of the one before."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def yaml_deep(depth: int = 20000) -> str:
    return "code: X\ncriteria: " + "[" * depth + "]" * depth + "\n"
