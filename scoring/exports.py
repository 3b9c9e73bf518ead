"""A published version of a set's results as the appraisal council files it (issue 14): the spreadsheet in
the council's layout (XLSX) and the decision's annex (Phụ lục, PDF through `org.documents`).

Both list every unit of the version by peer group (units sharing a parent unit), each group in rank
order, with the same columns: evidence points, survey points, bonus, penalty, total, maximum, index,
rank, class and the change from last year. The ranking tables are public to signed-in users (SPEC §1): the
callers only check that the user is signed in. One query for the rows, however many units; the version
is expected with its set, the set's owner unit and that unit's parent loaded.

The annex is an official document: Vietnamese whatever the reader's language (`org.documents`). The
spreadsheet is a working copy of it and speaks the reader's language, like the live score sheets
(`scoring.xlsx`).
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from itertools import groupby

from django.core.files.base import ContentFile
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from criteria.models import CriteriaSet
from org.documents import DOCUMENT_LANGUAGE, render_pdf, vn_date_line, vn_place_name
from org.models import Unit
from org.spreadsheet import set_text

from .models import PublishedResult, PublishedScore
from .selectors import published_ranking
from .xlsx import _BOLD, _GROUP_FILL, DELTA_FORMAT, _header, _number, _text

#: The columns of both exports, in the council's order, and their widths in the spreadsheet.
COLUMNS = (
    (gettext_lazy("STT"), 6),
    (gettext_lazy("Mã đơn vị"), 12),
    (gettext_lazy("Tên đơn vị"), 36),
    (gettext_lazy("Điểm tự đánh giá có TLKC"), 14),
    (gettext_lazy("Điểm điều tra XHH"), 12),
    (gettext_lazy("Điểm thưởng"), 10),
    (gettext_lazy("Điểm trừ"), 10),
    (gettext_lazy("Tổng điểm"), 10),
    (gettext_lazy("Điểm tối đa"), 10),
    (gettext_lazy("Chỉ số (%)"), 10),
    (gettext_lazy("Xếp hạng"), 9),
    (gettext_lazy("Xếp loại"), 14),
    (gettext_lazy("Tăng/giảm so với năm trước"), 14),
)
#: Where nationwide sets (no owner unit) are decided: the Ministry of Home Affairs, in Hà Nội.
NATIONAL_AUTHORITY = gettext_lazy("Bộ Nội vụ")
NATIONAL_PLACE = gettext_lazy("Hà Nội")


@dataclass
class PeerGroup:
    """A peer group of the version: its parent unit (None for top-level units) and its rows by rank."""

    parent: Unit | None
    rows: list[PublishedScore]

    @property
    def label(self) -> str:
        # The parent's name as published (PublishedScore.parent_name), not as it may read today.
        name = self.rows[0].parent_name if self.parent is not None else _("Đơn vị cấp cao nhất")
        return _("Nhóm so sánh: %(group)s") % {"group": name}


def peer_groups(result: PublishedResult) -> list[PeerGroup]:
    """The version's rows grouped by parent unit (by the parent's code), each group in rank order. One
    query."""
    rows = published_ranking(result=result)
    return [
        PeerGroup(parent=group[0].parent_unit, rows=group)
        for group in (list(g) for _key, g in groupby(rows, key=lambda r: r.parent_unit_id))
    ]


def issuer_name(cs: CriteriaSet) -> str:
    """The issuing unit of the title block: the set's owner unit, "Toàn quốc" for a nationwide set."""
    return cs.owner_unit.name if cs.owner_unit_id is not None else _("Toàn quốc")


def ranking_title(cs: CriteriaSet) -> str:
    return _("Kết quả chỉ số cải cách hành chính năm %(year)s") % {"year": cs.year}


def decision_line(result: PublishedResult) -> str:
    return _("(Kèm theo Quyết định số %(number)s ngày %(date)s)") % {
        "number": result.decision_number,
        "date": f"{result.decided_on:%d/%m/%Y}",
    }


def version_line(result: PublishedResult) -> str:
    """ "Phiên bản 2, đính chính: …" for a corrected version; "" for the first."""
    if result.version <= 1:
        return ""
    if result.correction_reason:
        return _("Phiên bản %(version)s, đính chính: %(reason)s") % {
            "version": result.version,
            "reason": result.correction_reason,
        }
    return _("Phiên bản %(version)s") % {"version": result.version}


def export_filename(result: PublishedResult, extension: str) -> str:
    """chi-so-cchc-XA-2020-v1.pdf: the set's code in plain ASCII (a header value), the version."""
    code = result.criteria_set.code.replace("Đ", "D").replace("đ", "d")
    code = unicodedata.normalize("NFKD", code).encode("ascii", "ignore").decode()
    code = re.sub(r"[^A-Za-z0-9._-]+", "-", code).strip("-.") or str(result.criteria_set_id)
    return f"chi-so-cchc-{code}-v{result.version}.{extension}"


# --- XLSX --------------------------------------------------------------------------------------------------


def _title_row(ws, row: int, text: str, font: Font) -> None:
    cell = set_text(ws.cell(row=row, column=1), text)
    cell.font = font
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(COLUMNS))


def _score_row(ws, row: int, n: int, s: PublishedScore) -> None:
    _number(ws, row, 1, n, "0")
    _text(ws, row, 2, s.unit_code)
    _text(ws, row, 3, s.unit_name)
    for col, value in enumerate(
        (s.evidence_points, s.survey_points, s.bonus, s.penalty, s.total, s.applicable_max, s.percent),
        start=4,
    ):
        _number(ws, row, col, value, bold=col == 8)
    _number(ws, row, 11, s.rank, "0")
    _text(ws, row, 12, s.class_label, alignment=Alignment(horizontal="center"))
    _number(ws, row, 13, s.delta, DELTA_FORMAT)


def published_ranking_xlsx(result: PublishedResult) -> bytes:
    """The council's spreadsheet of a published version: the title block (issuing unit, title, the
    decision, the version when corrected), the column headers, then each peer group's heading and its
    units in rank order. Numbers are numbers (two decimals); names and codes are text, never formulas."""
    cs = result.criteria_set
    wb = Workbook()
    ws = wb.active
    ws.title = _("Chỉ số CCHC")[:31]
    issuer = set_text(ws.cell(row=1, column=1), issuer_name(cs).upper())
    issuer.font = _BOLD
    _title_row(ws, 2, ranking_title(cs).upper(), Font(bold=True, size=13))
    _title_row(ws, 3, decision_line(result), Font(italic=True))
    row = 4
    if version := version_line(result):
        _title_row(ws, row, version, Font(italic=True))
        row += 1
    header = row + 1
    _header(ws, header, [str(label) for label, _w in COLUMNS], [width for _l, width in COLUMNS])
    ws.row_dimensions[header].height = 45
    row = header + 1
    for group in peer_groups(result):
        for col in range(1, len(COLUMNS) + 1):
            ws.cell(row=row, column=col).fill = _GROUP_FILL
        set_text(ws.cell(row=row, column=1), group.label).font = _BOLD
        row += 1
        for n, score in enumerate(group.rows, start=1):
            _score_row(ws, row, n, score)
            row += 1
    # Printed as the council prints it: landscape, one page wide, the headers on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header}:{header}"
    ws.print_area = f"A1:{get_column_letter(len(COLUMNS))}{max(row - 1, header)}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------------------


def published_ranking_pdf(result: PublishedResult) -> bytes:
    """The decision's annex (Phụ lục kèm theo Quyết định số …): the letterhead of the set's owner unit with
    the decision's number and date, the title, then the same table as the spreadsheet (landscape A4)."""
    cs = result.criteria_set
    owner = cs.owner_unit
    groups = peer_groups(result)
    with translation.override(DOCUMENT_LANGUAGE):
        place = vn_place_name(owner.name) if owner is not None else str(NATIONAL_PLACE)
        context = {
            "authority_parent": owner.parent.name if owner is not None and owner.parent_id else "",
            "authority": owner.name if owner is not None else str(NATIONAL_AUTHORITY),
            "number": result.decision_number,
            "date_line": vn_date_line(place, result.decided_on),
            "title": ranking_title(cs),
            "subtitle": decision_line(result),
            "version_line": version_line(result),
            "columns": [str(label) for label, _w in COLUMNS],
            "groups": groups,
        }
        return render_pdf("scoring/documents/published_ranking.html", context, language=DOCUMENT_LANGUAGE)


#: An annex of at most this many units is rendered in the request when it is not stored yet (a few seconds);
#: a larger one only by the job (`scoring.render_annex`, queued at publication).
ANNEX_INLINE_MAX = 600


def published_annex_store(result_id: int) -> bool:
    """Render a version's annex and store it with the version (once: a stored annex is kept). False when
    there is no such version."""
    result = (
        PublishedResult.objects.select_related("criteria_set__owner_unit__parent")
        .filter(pk=result_id)
        .first()
    )
    if result is None:
        return False
    if not result.annex:
        content = published_ranking_pdf(result)
        result.annex.save(export_filename(result, "pdf"), ContentFile(content), save=False)
        # Only the file column: the version's published fields are never rewritten.
        PublishedResult.objects.filter(pk=result.pk, annex="").update(annex=result.annex.name)
    return True
