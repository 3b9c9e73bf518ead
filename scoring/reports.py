"""Printed reports of the live scores (issue 13), official documents through `org.documents` (Nghị định
30/2020 layout, Vietnamese whatever the reader's language): a unit's score breakdown (Báo cáo chi tiết điểm
chỉ số CCHC) and a peer group's live ranking (Kết quả tạm tính). A published ranking's document is the
decision's annex (`scoring.exports`), not this one.

Each report has a number, "<set id>/BC-<issuer code>" (one report per set and issuer: the date and time
printed with it tell one printing from the next), and the day it was made. The callers check who may see
what (the same predicates as the pages); here the rows are read in a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet
from org.documents import DOCUMENT_LANGUAGE, render_pdf, vn_date_line, vn_place_name
from org.models import Unit

from .exports import NATIONAL_AUTHORITY, NATIONAL_PLACE
from .models import UnitScore
from .selectors.unit_breakdown import Breakdown

BREAKDOWN_TEMPLATE = "scoring/documents/unit_breakdown.html"
RANKING_TEMPLATE = "scoring/documents/live_ranking.html"


def ascii_slug(text: str) -> str:
    """A code in plain ASCII for a file name (a header value): "XÃ-2020" → "XA-2020"."""
    text = text.replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")


def report_number(cs: CriteriaSet, issuer_code: str | None) -> str:
    """ "12/BC-X01": the set's id, BC (báo cáo) and the issuing unit's code (none for a nationwide set)."""
    return f"{cs.pk}/BC-{issuer_code}" if issuer_code else f"{cs.pk}/BC"


def generated_line(now: dt.datetime) -> str:
    """ "Số liệu lúc 08:30 ngày 05/12/2026", in the local time zone (Asia/Ho_Chi_Minh)."""
    local = timezone.localtime(now)
    return _("Số liệu lúc %(time)s ngày %(date)s") % {"time": f"{local:%H:%M}", "date": f"{local:%d/%m/%Y}"}


# --- A unit's breakdown -------------------------------------------------------------------------------------


def breakdown_filename(cs: CriteriaSet, unit: Unit, today: dt.date) -> str:
    return f"diem-cchc-{ascii_slug(cs.code) or cs.pk}-{ascii_slug(unit.code) or unit.pk}-{today:%Y%m%d}.pdf"


def breakdown_context(
    *, bd: Breakdown, peers: int, published: bool, today: dt.date, now: dt.datetime
) -> dict:
    """What the breakdown report prints: the unit's letterhead (under its parent), the totals, every
    criterion with its maximum, automatic, self-assessed, appraised and final points, the points lost and
    still to win, and the reason. `bd.unit` comes with its parent loaded."""
    cs, unit = bd.criteria_set, bd.unit
    with translation.override(DOCUMENT_LANGUAGE):
        return {
            "authority_parent": unit.parent.name if unit.parent_id else "",
            "authority": unit.name,
            "number": report_number(cs, unit.code),
            "date_line": vn_date_line(vn_place_name(unit.name), today),
            "title": _("Báo cáo chi tiết điểm chỉ số cải cách hành chính năm %(year)s") % {"year": cs.year},
            "subtitle": cs.name,
            "provisional": not published,
            "generated": generated_line(now),
            "bd": bd,
            "score": bd.score,
            "peers": peers,
        }


def breakdown_pdf(**kwargs) -> bytes:
    """The breakdown report as PDF bytes (A4 portrait); the arguments of `breakdown_context`."""
    return render_pdf(BREAKDOWN_TEMPLATE, breakdown_context(**kwargs), language=DOCUMENT_LANGUAGE)


# --- The live ranking ---------------------------------------------------------------------------------------


def ranking_filename(cs: CriteriaSet, parent: Unit | None, today: dt.date) -> str:
    group = f"-{ascii_slug(parent.code)}" if parent is not None and ascii_slug(parent.code) else ""
    return f"xep-hang-tam-tinh-{ascii_slug(cs.code) or cs.pk}{group}-{today:%Y%m%d}.pdf"


def ranking_context(
    *, cs: CriteriaSet, parent: Unit | None, rows: list[UnitScore], today: dt.date, now: dt.datetime
) -> dict:
    """What the live ranking report prints: the set's owner unit's letterhead (the Ministry for a
    nationwide set), "Kết quả tạm tính" with the moment of the figures, then the peer group's rows by rank.
    `cs` comes with its owner unit and that unit's parent loaded."""
    owner = cs.owner_unit
    with translation.override(DOCUMENT_LANGUAGE):
        place = vn_place_name(owner.name) if owner is not None else str(NATIONAL_PLACE)
        group = parent.name if parent is not None else _("Đơn vị cấp cao nhất")
        return {
            "authority_parent": owner.parent.name if owner is not None and owner.parent_id else "",
            "authority": owner.name if owner is not None else str(NATIONAL_AUTHORITY),
            "number": report_number(cs, owner.code if owner is not None else None),
            "date_line": vn_date_line(place, today),
            "title": _("Kết quả tạm tính chỉ số cải cách hành chính năm %(year)s") % {"year": cs.year},
            "subtitle": _("%(set)s · Nhóm so sánh: %(group)s") % {"set": cs.name, "group": group},
            "generated": generated_line(now),
            "cs": cs,
            "rows": rows,
            "show_class": bool(cs.classes) or any(r.class_label for r in rows),
        }


def ranking_pdf(**kwargs) -> bytes:
    """The live ranking report as PDF bytes (A4 landscape); the arguments of `ranking_context`."""
    return render_pdf(RANKING_TEMPLATE, ranking_context(**kwargs), language=DOCUMENT_LANGUAGE)
