"""XLSX files of a plan: the task import template, reading an import file, and the export of a plan's tasks
with its progress by unit. Writing and parsing only: what a row means is decided in
`services.tasks_import_xlsx`, who sees what in the selectors."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from xml.etree import ElementTree

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from org.files import zip_is_implausible
from org.spreadsheet import set_text, text_cell, text_row

from .choices import TaskTone
from .models import Priority

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An .xlsx is a zip: refuse one whose parts inflate beyond this (a zip bomb) before openpyxl parses it.
_MAX_INFLATED_BYTES = 100 * 1024 * 1024
_MAX_MEMBERS = 2000
_MAX_COLUMNS = 30
# A run of this many empty rows ends the data (sheets often carry formatting far below the last row).
_EMPTY_RUN_ENDS_DATA = 100

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_DATE_FORMAT = "DD/MM/YYYY"


@dataclass(frozen=True)
class ImportColumn:
    key: str
    msgid: str  # Vietnamese; the template's header is its translation into the user's language
    english: str  # accepted in a file's header too, whatever the language of the page
    required: bool
    width: int

    @property
    def label(self) -> str:
        return _(self.msgid)


IMPORT_COLUMNS = (
    ImportColumn("unit_code", gettext_noop("Mã đơn vị"), "Unit code", True, 14),
    ImportColumn("title", gettext_noop("Tên nhiệm vụ"), "Task title", True, 60),
    ImportColumn("start_date", gettext_noop("Ngày bắt đầu"), "Start date", False, 14),
    ImportColumn("due_date", gettext_noop("Hạn hoàn thành"), "Due date", True, 16),
    ImportColumn("criterion_code", gettext_noop("Mã tiêu chí"), "Criterion code", False, 14),
    ImportColumn("priority", gettext_noop("Mức ưu tiên"), "Priority", False, 14),
    ImportColumn(
        "lead", gettext_noop("Cán bộ chủ trì (tên đăng nhập)"), "Lead official (username)", False, 22
    ),
    ImportColumn("description", gettext_noop("Mô tả"), "Description", False, 50),
)


def normalise_header(text) -> str:
    """'Mã đơn vị' → 'ma_don_vi', 'Unit code' → 'unit_code': headers match whatever the accents, case or
    spacing."""
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _aliases() -> dict[str, str]:
    aliases = {}
    for col in IMPORT_COLUMNS:
        # The Vietnamese msgid itself, not its translation: the file may come from a colleague in either
        # language.
        for name in (col.key, col.msgid, col.english):
            aliases[normalise_header(name)] = col.key
    # Short forms people type.
    aliases.update({"ma_dv": "unit_code", "don_vi": "unit_code", "han": "due_date", "ten": "title"})
    return aliases


def priority_from_cell(value) -> str | None:
    """'Khẩn', 'urgent', 'URGENT' → 'urgent'; '' → 'normal'; anything else → None."""
    text = normalise_header(value)
    if not text:
        return Priority.NORMAL
    for language in ("vi", "en"):
        with translation.override(language):
            for choice in Priority:
                if text in (choice.value, normalise_header(choice.label)):
                    return choice.value
    return {"khan_cap": Priority.URGENT, "thuong": Priority.NORMAL}.get(text)


def date_from_cell(value) -> dt.date | None:
    """A date cell, an Excel serial number, or text as dd/mm/yyyy or yyyy-mm-dd; raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return from_excel(float(value)).date()
        raise ValueError(value)
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _check_zip(data: bytes) -> None:
    try:
        implausible = zip_is_implausible(
            io.BytesIO(data), size=len(data), max_members=_MAX_MEMBERS, max_inflated=_MAX_INFLATED_BYTES
        )
    except zipfile.BadZipFile as exc:
        raise ValidationError({"file": [_("Đây không phải tệp Excel .xlsx.")]}) from exc
    if implausible:
        raise ValidationError({"file": [_("Tệp bung ra dung lượng bất thường.")]})


def _header_columns(header) -> dict[int, str]:
    """{column index: column key} from the header row; every required column must be there."""
    aliases = _aliases()
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        key = aliases.get(normalise_header(cell))
        if key and key not in columns.values():
            columns[index] = key
    missing = [c for c in IMPORT_COLUMNS if c.required and c.key not in columns.values()]
    if missing:
        raise ValidationError(
            {
                "file": [
                    _("Dòng 1 phải là dòng tiêu đề; thiếu cột: %(columns)s.")
                    % {"columns": ", ".join(c.label for c in missing)}
                ]
            }
        )
    return columns


def _data_rows(rows, columns: dict[int, str], max_rows: int) -> list[tuple[int, dict]]:
    """The non-empty rows after the header; a run of empty rows ends the data."""
    result: list[tuple[int, dict]] = []
    empty_run = 0
    for rownum, values in enumerate(rows, start=2):
        row = {key: values[i] for i, key in columns.items() if i < len(values)}
        if all(cell_text(v) == "" for v in row.values()):
            empty_run += 1
            if empty_run >= _EMPTY_RUN_ENDS_DATA:
                break
            continue
        empty_run = 0
        if len(result) >= max_rows:
            raise ValidationError(
                {
                    "file": [
                        _("Tệp có hơn %(max)d dòng nhiệm vụ; hãy tách thành nhiều tệp.") % {"max": max_rows}
                    ]
                }
            )
        result.append((rownum, row))
    return result


def read_task_rows(data: bytes, *, max_bytes: int, max_rows: int) -> list[tuple[int, dict]]:
    """The data rows of the first sheet as (Excel row number, {column key: raw value}), header in row 1.
    Raises ValidationError({"file": …}) for a file that cannot be read, a header without the required
    columns, or too many rows."""
    if len(data) > max_bytes:
        raise ValidationError(
            {
                "file": [
                    _("Tệp có %(size).1f MB; giới hạn là %(limit).1f MB.")
                    % {"size": len(data) / 1048576, "limit": max_bytes / 1048576}
                ]
            }
        )
    _check_zip(data)
    try:
        rows = sheet_rows(data, max_col=_MAX_COLUMNS)
        columns = _header_columns(next(rows, None) or ())
        return _data_rows(rows, columns, max_rows)
    except ValidationError:
        raise
    except Exception as exc:  # not a zip of the parts a workbook has, a damaged or refused part
        raise ValidationError({"file": [_("Đây không phải tệp Excel .xlsx.")]}) from exc


# --- reading the first sheet's values ---------------------------------------------------------------------
# The cell values as openpyxl's read-only mode gives them (`values_only=True`), read with the standard
# library's streaming XML parser: openpyxl builds a cell object per cell, which took about 0.2 s for a
# 1,000-row import, several times the database's work for its rows.

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def _part(z: zipfile.ZipFile, name: str) -> bytes:
    raw = z.read(name)
    # No DTD in a workbook part: refuse entity declarations outright (expat also limits their expansion).
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise ValueError(f"{name}: a document type declaration")
    return raw


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in (base_dir + "/" + target).split("/") if p]
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        elif p != ".":
            out.append(p)
    return "/".join(out)


def _rels(z: zipfile.ZipFile, name: str) -> dict[str, tuple[str, str]]:
    """{relationship id: (type, target)} of a part's relationships, if it has any."""
    if name not in z.NameToInfo:
        return {}
    return {
        r.get("Id"): (r.get("Type"), r.get("Target"))
        for r in ElementTree.fromstring(_part(z, name)).iter(f"{_PKG_REL_NS}Relationship")
    }


def _rich_text(element) -> str:
    """The text of a shared or inline string: its `t`, or the `t` of each run (phonetic runs left out)."""
    text = []
    for child in element:
        if child.tag == f"{_NS}t":
            text.append(child.text or "")
        elif child.tag == f"{_NS}r":
            text.extend(t.text or "" for t in child.iter(f"{_NS}t"))
    return "".join(text)


def _date_styles(z: zipfile.ZipFile, path: str) -> set[int]:
    """Indexes of the cell formats that show a date (their numbers are read as datetimes)."""
    if path not in z.NameToInfo:
        return set()
    root = ElementTree.fromstring(_part(z, path))
    custom = {
        int(f.get("numFmtId")): f.get("formatCode") or ""
        for f in root.iter(f"{_NS}numFmt")
        if (f.get("numFmtId") or "").isdigit()
    }
    xfs = root.find(f"{_NS}cellXfs")
    dates = set()
    for index, xf in enumerate(xfs if xfs is not None else ()):
        fmt_id = int(xf.get("numFmtId") or 0)
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, ""))
        if code and is_date_format(code):
            dates.add(index)
    return dates


def _cast_number(text: str):
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def _column_index(ref: str) -> int:
    """'C7' → 3."""
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n


def sheet_rows(data: bytes, *, max_col: int):
    """The first sheet's rows from row 1, each a tuple of at most `max_col` cell values (None for an empty
    cell; missing rows as empty tuples), as openpyxl's read-only `iter_rows(values_only=True)` gives them:
    numbers as int or float, dates (numbers in a date format) as datetimes, strings, booleans, and a
    formula's cached value."""
    z = zipfile.ZipFile(io.BytesIO(data))
    book = next(
        (_resolve("", t) for kind, t in _rels(z, "_rels/.rels").values() if kind == _OFFICE_DOCUMENT),
        "xl/workbook.xml",
    )
    book_dir = book.rsplit("/", 1)[0] if "/" in book else ""
    root = ElementTree.fromstring(_part(z, book))
    pr = root.find(f"{_NS}workbookPr")
    epoch = MAC_EPOCH if pr is not None and pr.get("date1904") in ("1", "true") else WINDOWS_EPOCH
    first = root.find(f"{_NS}sheets/{_NS}sheet")
    rels = _rels(z, f"{book_dir}/_rels/{book.rsplit('/', 1)[-1]}.rels".lstrip("/"))
    sheet = _resolve(book_dir, rels[first.get(f"{_REL_NS}id")][1])
    targets = {kind.rsplit("/", 1)[-1]: _resolve(book_dir, t) for kind, t in rels.values()}
    shared = []
    if targets.get("sharedStrings") in z.NameToInfo:
        shared = [
            _rich_text(si)
            for si in ElementTree.fromstring(_part(z, targets["sharedStrings"])).iter(f"{_NS}si")
        ]
    dates = _date_styles(z, targets.get("styles", ""))
    return _rows(_part(z, sheet), shared=shared, dates=dates, epoch=epoch, max_col=max_col)


def _rows(xml: bytes, *, shared, dates, epoch, max_col: int):
    row_tag, cell_tag, value_tag, inline_tag = f"{_NS}row", f"{_NS}c", f"{_NS}v", f"{_NS}is"
    expected = 1
    for _event, element in ElementTree.iterparse(io.BytesIO(xml)):
        if element.tag != row_tag:
            continue
        number = int(element.get("r") or expected)
        while expected < number:
            yield ()
            expected += 1
        values: list = []
        for cell in element.iter(cell_tag):
            ref = cell.get("r")
            column = _column_index(ref) if ref else len(values) + 1
            if column > max_col:
                continue
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                child = cell.find(inline_tag)
                value = _rich_text(child) if child is not None else None
            else:
                value = cell.findtext(value_tag) or None
                if value is not None:
                    if kind == "n":
                        value = _cast_number(value)
                        if int(cell.get("s") or 0) in dates:
                            value = from_excel(value, epoch)
                    elif kind == "s":
                        value = shared[int(value)]
                    elif kind == "b":
                        value = bool(int(value))
                    elif kind == "d":
                        value = dt.datetime.fromisoformat(value)
            values.extend([None] * (column - 1 - len(values)))
            values.append(value)
        element.clear()
        yield tuple(values)
        expected = number + 1


def _header_row(ws, labels: list[str], widths: list[int]) -> None:
    for i, (label, width) in enumerate(zip(labels, widths, strict=True), start=1):
        cell = set_text(ws.cell(row=1, column=i), label)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def _to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def import_template(*, plan, units, criteria) -> bytes:
    """The import template for a plan: an empty task sheet with the header, and a sheet of instructions
    listing the unit codes the user may assign and the plan's scored criterion codes.
    `units`: (code, name) pairs; `criteria`: (code, title) pairs."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Nhiệm vụ")[:31]
    _header_row(
        ws,
        [f"{c.label} *" if c.required else c.label for c in IMPORT_COLUMNS],
        [c.width for c in IMPORT_COLUMNS],
    )
    keys = [c.key for c in IMPORT_COLUMNS]
    for key in ("start_date", "due_date"):
        letter = get_column_letter(keys.index(key) + 1)
        for row in range(2, 502):
            ws[f"{letter}{row}"].number_format = _DATE_FORMAT
    priority_letter = get_column_letter(keys.index("priority") + 1)
    choices = ",".join(str(p.label) for p in Priority)
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
    validation.add(f"{priority_letter}2:{priority_letter}1001")
    ws.add_data_validation(validation)

    info = wb.create_sheet(_("Hướng dẫn")[:31])
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 90
    lines = [
        (_("Kế hoạch"), f"{plan.number} — {plan.title}"),
        ("", ""),
        (_("Cách nhập"), _("Mỗi dòng của trang đầu tiên là một nhiệm vụ; giữ nguyên dòng tiêu đề.")),
        ("", _("Cột có dấu * là bắt buộc: mã đơn vị, tên nhiệm vụ, hạn hoàn thành.")),
        ("", _("Ngày ghi theo dạng ngày/tháng/năm, ví dụ 30/11/2026.")),
        ("", _("Mức ưu tiên: Bình thường, Cao hoặc Khẩn (bỏ trống là Bình thường).")),
        ("", _("Nếu có dòng sai, hệ thống báo số dòng và không nhập dòng nào.")),
        ("", ""),
    ]
    for label, text in lines:
        info.append(text_row(info, [label, text]))
    info.append([_("Mã đơn vị"), _("Tên đơn vị")])
    _bold_last(info)
    for code, name in units:
        info.append(text_row(info, [code, name]))
    info.append(["", ""])
    info.append([_("Mã tiêu chí"), _("Tên tiêu chí")])
    _bold_last(info)
    if criteria:
        for code, title in criteria:
            info.append(text_row(info, [code, title]))
    else:
        info.append(["", _("Kế hoạch chưa gắn bộ tiêu chí: để trống cột mã tiêu chí.")])
    return _to_bytes(wb)


def _bold_last(ws) -> None:
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


#: The export's task sheet: each column's header and width.
_TASK_COLUMNS = (
    (gettext_noop("STT"), 6),
    (gettext_noop("Mã đơn vị"), 12),
    (gettext_noop("Đơn vị thực hiện"), 30),
    (gettext_noop("Tên nhiệm vụ"), 60),
    (gettext_noop("Ngày bắt đầu"), 13),
    (gettext_noop("Hạn hoàn thành"), 13),
    (gettext_noop("Hạn thực tế"), 13),
    (gettext_noop("Trạng thái"), 16),
    (gettext_noop("Tình hình"), 20),
    (gettext_noop("Tiến độ (%)"), 10),
    (gettext_noop("Mã tiêu chí"), 11),
    (gettext_noop("Cán bộ chủ trì"), 22),
    (gettext_noop("Thời điểm trình"), 17),
    (gettext_noop("Thời điểm duyệt"), 17),
)
#: The export's progress sheet, one row per assignee unit.
_PROGRESS_COLUMNS = (
    (gettext_noop("Mã đơn vị"), 12),
    (gettext_noop("Đơn vị"), 34),
    (gettext_noop("Tổng số"), 10),
    (gettext_noop("Hoàn thành đúng hạn"), 14),
    (gettext_noop("Hoàn thành quá hạn"), 14),
    (gettext_noop("Đang thực hiện trong hạn"), 14),
    (gettext_noop("Quá hạn"), 10),
    (gettext_noop("Tỷ lệ đúng hạn (%)"), 12),
)


def plan_export(*, plan, tasks, progress_rows, today: dt.date) -> bytes:
    """A plan's tasks (those the user may see) and its progress by unit, for a report. `tasks` is an
    iterable of tasks annotated with `tone` (`selectors.with_tone`), which names a task's standing as the
    pages do; `progress_rows` as `plan_progress_by_unit` gives them."""
    wb = Workbook(write_only=True)
    _task_sheet(_sheet_with_header(wb, _("Nhiệm vụ"), _TASK_COLUMNS), tasks)
    ws = _sheet_with_header(wb, _("Tiến độ theo đơn vị"), _PROGRESS_COLUMNS)
    for row in progress_rows:
        cells = [row.code, row.name, row.total, row.on_time, row.late, row.pending, row.overdue]
        ws.append(text_row(ws, [*cells, row.on_time_percent]))
    ws.append([])
    ws.append(text_row(ws, [_("Kế hoạch"), f"{plan.number} — {plan.title}"]))
    ws.append([_("Số liệu đến ngày"), _date_cell(ws, today)])
    return _to_bytes(wb)


#: The task list's export ("Xuất Excel"): what the table view shows, with the unit's code beside its name.
_LIST_COLUMNS = (
    (gettext_noop("STT"), 6),
    (gettext_noop("Mã đơn vị"), 12),
    (gettext_noop("Đơn vị thực hiện"), 30),
    (gettext_noop("Kế hoạch"), 16),
    (gettext_noop("Tên nhiệm vụ"), 60),
    (gettext_noop("Hạn hoàn thành"), 13),
    (gettext_noop("Hạn thực tế"), 13),
    (gettext_noop("Trạng thái"), 16),
    (gettext_noop("Tình hình"), 20),
    (gettext_noop("Tiến độ (%)"), 10),
    (gettext_noop("Cán bộ chủ trì"), 22),
)
#: The most rows the task list's export writes: beyond it the page asks for narrower filters (a year, a
#: unit, a state) rather than build a file no one can read whole.
LIST_EXPORT_MAX_ROWS = 20_000


def task_list_export(*, tasks, today: dt.date, scope: str, year) -> bytes:
    """The tasks a task list shows (`filters.task_listing`: its filters, tab and order), annotated with
    `tone`, one row each, and a sheet saying what they are: the list (`scope`), the deadline year (an int, or
    None for every year) and the day the figures were read."""
    wb = Workbook(write_only=True)
    ws = _sheet_with_header(wb, _("Nhiệm vụ"), _LIST_COLUMNS)
    tones = dict(TaskTone.choices)
    n = 0
    for n, task in enumerate(tasks, start=1):
        row = [
            n,
            task.assignee_unit.code,
            task.assignee_unit.name,
            task.plan.number,
            task.title,
            _date_cell(ws, task.due_date),
            _date_cell(ws, task.effective_due_date),
            str(task.get_state_display()),
            str(tones.get(task.tone, task.tone)),
            task.shown_progress,
            task.lead.display_name if task.lead_id else "",
        ]
        ws.append(text_row(ws, row))
    info = wb.create_sheet(_("Thông tin")[:31])
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 40
    info.append(text_row(info, [_("Danh sách"), scope]))
    info.append(text_row(info, [_("Năm"), str(year) if year else _("Tất cả các năm")]))
    info.append(text_row(info, [_("Số nhiệm vụ"), n]))
    info.append([_("Số liệu đến ngày"), _date_cell(info, today)])
    return _to_bytes(wb)


def _sheet_with_header(wb: Workbook, title: str, columns):
    """A write-only sheet with the columns' widths and their translated headers, frozen below them."""
    ws = wb.create_sheet(title[:31])
    for i, (_msgid, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, _(msgid)) for msgid, _w in columns])
    return ws


def _task_sheet(ws, tasks) -> None:
    tones = dict(TaskTone.choices)  # the labels of the plan page's task list ("Sắp đến hạn" …)
    tz = timezone.get_default_timezone()
    for n, task in enumerate(tasks, start=1):
        row = [
            n,
            task.assignee_unit.code,
            task.assignee_unit.name,
            task.title,
            _date_cell(ws, task.start_date),
            _date_cell(ws, task.due_date),
            _date_cell(ws, task.effective_due_date),
            str(task.get_state_display()),
            str(tones.get(task.tone, task.tone)),
            task.shown_progress,
            task.criterion_code,
            task.lead.display_name if task.lead_id else "",
            _datetime_cell(ws, task.submitted_at, tz),
            _datetime_cell(ws, task.approved_at, tz),
        ]
        ws.append(text_row(ws, row))


def _header_cell(ws, value) -> WriteOnlyCell:
    return text_cell(
        ws,
        value,
        font=_HEADER_FONT,
        fill=_HEADER_FILL,
        alignment=Alignment(vertical="center", wrap_text=True),
    )


def _date_cell(ws, value):
    if value is None:
        return None
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = _DATE_FORMAT
    return cell


def _datetime_cell(ws, value, tz):
    if value is None:
        return None
    cell = WriteOnlyCell(ws, value=timezone.localtime(value, tz).replace(tzinfo=None))
    cell.number_format = "DD/MM/YYYY HH:MM"
    return cell
