"""The score sheets as appraisal councils keep them (XLSX): a ranking sheet ("Xếp hạng") and one sheet per
unit with every criterion: code, title, max, self-assessed (tự chấm), appraised (thẩm định), final (điểm
đạt) and notes. Writing only: who may see which unit is decided by the caller (`scoring.selectors`)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from criteria.models import CriteriaSet
from org.formatting import points as points_text
from org.spreadsheet import set_text

from .models import UnitScore
from .selectors import Breakdown

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POINTS_FORMAT = "0.00"
DELTA_FORMAT = "+0.00;-0.00;0.00"
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_GROUP_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _header(ws, row: int, labels: list[str], widths: list[int]) -> None:
    for col, (label, width) in enumerate(zip(labels, widths, strict=True), start=1):
        cell = set_text(ws.cell(row=row, column=col), label)
        cell.font, cell.fill, cell.alignment, cell.border = _HEADER_FONT, _HEADER_FILL, _CENTER, _BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _number(ws, row: int, col: int, value, fmt: str = POINTS_FORMAT, *, bold: bool = False):
    cell = ws.cell(row=row, column=col, value=value)
    cell.number_format = fmt
    cell.border = _BORDER
    if bold:
        cell.font = _BOLD
    return cell


def _text(ws, row: int, col: int, value, *, bold: bool = False, alignment: Alignment | None = None):
    """A bordered cell holding `value` as text: codes, names, titles and notes come from users, and a text
    starting with "=" must not become a formula (SPEC §1)."""
    cell = set_text(ws.cell(row=row, column=col), value)
    cell.border = _BORDER
    if bold:
        cell.font = _BOLD
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _sheet_title(code: str, taken: set[str]) -> str:
    """An Excel sheet name from a unit code: no []:*?/\\, at most 31 characters, unique in the book."""
    base = _BAD_SHEET_CHARS.sub("-", code).strip("'") or "unit"
    base = base[:31]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f"~{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _ranking_sheet(ws, criteria_set: CriteriaSet, rows: list[UnitScore]) -> None:
    set_text(ws.cell(row=1, column=1), _("Kết quả xếp hạng chỉ số CCHC")).font = _TITLE
    set_text(ws.cell(row=2, column=1), f"{criteria_set.code} — {criteria_set.name}")
    labels = [
        _("Xếp hạng"),
        _("Mã đơn vị"),
        _("Tên đơn vị"),
        _("Điểm đánh giá, thẩm định"),
        _("Điểm điều tra xã hội học"),
        _("Tổng điểm"),
        _("Điểm tối đa áp dụng"),
        _("Chỉ số (%)"),
        _("Tăng, giảm so với năm trước"),
    ]
    _header(ws, 4, labels, [10, 14, 40, 16, 16, 12, 14, 12, 16])
    row = 5
    groups = {r.parent_unit_id for r in rows}
    current_group = object()
    for score in rows:
        if len(groups) > 1 and score.parent_unit_id != current_group:
            current_group = score.parent_unit_id
            parent = score.parent_unit
            label = parent.name if parent is not None else _("Đơn vị cấp cao nhất")
            for col in range(1, len(labels) + 1):
                ws.cell(row=row, column=col).fill = _GROUP_FILL
            group = _("Nhóm so sánh: %(group)s") % {"group": label}
            set_text(ws.cell(row=row, column=1), group).font = _BOLD
            row += 1
        _number(ws, row, 1, score.rank, "0")
        _text(ws, row, 2, score.unit.code)
        _text(ws, row, 3, score.unit.name)
        _number(ws, row, 4, score.evidence_points)
        _number(ws, row, 5, score.survey_points)
        _number(ws, row, 6, score.total, bold=True)
        _number(ws, row, 7, score.applicable_max)
        _number(ws, row, 8, score.percent)
        _number(ws, row, 9, score.delta, DELTA_FORMAT)
        row += 1


def _note(node) -> str | None:
    parts = [node.reason] if node.is_leaf and node.reason else []
    if node.appraisal_note:
        parts.append(_("Ý kiến thẩm định: %(note)s") % {"note": node.appraisal_note})
    return "\n".join(parts) or None


def _unit_sheet(ws, bd: Breakdown) -> None:
    unit, score = bd.unit, bd.score
    set_text(ws.cell(row=1, column=1), f"{unit.name} ({unit.code})").font = _TITLE
    set_text(ws.cell(row=2, column=1), f"{bd.criteria_set.code} — {bd.criteria_set.name}")
    if score is not None:
        summary = _("Tổng điểm %(total)s / %(max)s (%(percent)s%%), xếp hạng %(rank)s") % {
            "total": points_text(score.total),
            "max": points_text(score.applicable_max),
            "percent": points_text(score.percent),
            "rank": score.rank if score.rank is not None else "—",
        }
        set_text(ws.cell(row=3, column=1), summary).font = _BOLD
    labels = [
        _("Mã tiêu chí"),
        _("Tiêu chí"),
        _("Điểm tối đa"),
        _("Tự chấm"),
        _("Thẩm định"),
        _("Điểm đạt"),
        _("Ghi chú"),
    ]
    _header(ws, 5, labels, [11, 60, 11, 11, 11, 11, 60])
    row = 6
    for node in bd.nodes:
        bold = not node.is_leaf
        _text(ws, row, 1, node.code, bold=bold)
        _text(ws, row, 2, node.title, bold=bold, alignment=Alignment(wrap_text=True, indent=node.depth))
        _number(ws, row, 3, node.max_points, bold=bold)
        _number(ws, row, 4, node.auto_points, bold=bold)
        _number(ws, row, 5, node.appraised_points if node.is_leaf else None, bold=bold)
        _number(ws, row, 6, node.points, bold=bold)
        _text(ws, row, 7, _note(node), alignment=_WRAP)
        row += 1
    if score is not None:
        auto_total = sum((n.auto_points for n in bd.nodes if n.parent_code is None), Decimal(0))
        _text(ws, row, 1, None)
        _text(ws, row, 2, _("Tổng cộng"), bold=True)
        _number(ws, row, 3, score.applicable_max, bold=True)
        _number(ws, row, 4, auto_total, bold=True)
        _number(ws, row, 5, None)
        _number(ws, row, 6, score.total, bold=True)
        _text(
            ws,
            row,
            7,
            _("Điểm có thể đạt thêm nếu hoàn thành đúng hạn các nhiệm vụ đang thực hiện: %(points)s")
            % {"points": f"{bd.points_to_win:.2f}"},
            alignment=_WRAP,
        )


def score_workbook(
    *, criteria_set: CriteriaSet, rows: Iterable[UnitScore], breakdowns: Iterable[Breakdown]
) -> bytes:
    """The workbook: the ranking sheet of `rows` (with `unit` and `parent_unit` loaded, in ranking order),
    then one sheet per breakdown, named by unit code."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Xếp hạng")[:31]
    taken = {ws.title.lower()}
    _ranking_sheet(ws, criteria_set, list(rows))
    for bd in breakdowns:
        _unit_sheet(wb.create_sheet(_sheet_title(bd.unit.code, taken)), bd)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
