"""Writes for survey results: reading and checking a survey file, and importing it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet, Criterion
from org.audit import Entry as AuditRow
from org.audit import audit_record_many
from org.formatting import points as points_text
from org.models import AuditAction, Unit
from org.spreadsheet import csv_untext
from tasks.files import zip_is_implausible

from ..models import SurveyResult
from ..permissions import can_appraise, user_is_appraiser
from .recompute import scores_request

#: Points (survey results, appraisals) are stored with 4 decimals; more would be silently rounded.
POINTS_PLACES = 4


@dataclass
class SurveyImportResult:
    rows: int
    unit_ids: list[int] = field(default_factory=list)


SURVEY_MAX_BYTES = 5 * 1024 * 1024
SURVEY_MAX_ROWS = 50_000
SURVEY_HEADER = ["unit_code", "criterion_code", "points"]
_MAX_INFLATED_BYTES = 100 * 1024 * 1024


def _cell_text(value) -> str:
    """A spreadsheet cell as text. Floats lose their binary noise (0.30000000000000004 → 0.3) but keep
    every digit a person could have typed."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 9))
    return str(value).strip()


def _survey_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """(row number, cells) from a CSV or XLSX file (told apart by content, not name), header included."""
    if len(data) > SURVEY_MAX_BYTES:
        raise ValidationError({"file": [_("Tệp lớn hơn 5 MB.")]})
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": [_("Tệp không phải CSV UTF-8 hay XLSX.")]}) from exc
    if "\x00" in text:
        raise ValidationError({"file": [_("Tệp không phải CSV UTF-8 hay XLSX.")]})
    first = text.split("\n", 1)[0]
    # Spreadsheets set to Vietnamese write CSV with ";" (the decimal separator is the comma).
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    try:
        for n, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            if n > SURVEY_MAX_ROWS + 1:
                raise ValidationError({"file": [_("Nhiều hơn %(n)d dòng.") % {"n": SURVEY_MAX_ROWS}]})
            cells = [c.strip() for c in cells]
            if any(cells):
                rows.append((n, cells))
    except csv.Error as exc:
        raise ValidationError({"file": [_("Không đọc được tệp CSV: %(e)s") % {"e": exc}]}) from exc
    return rows


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    rows = []
    try:
        if zip_is_implausible(io.BytesIO(data), size=len(data), max_inflated=_MAX_INFLATED_BYTES):
            raise ValidationError({"file": [_("Tệp Excel bung ra dung lượng bất thường.")]})
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for n, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
                if n > SURVEY_MAX_ROWS + 1:
                    raise ValidationError({"file": [_("Nhiều hơn %(n)d dòng.") % {"n": SURVEY_MAX_ROWS}]})
                cells = [_cell_text(v) for v in row[:10]]
                if any(cells):
                    rows.append((n, cells))
        finally:
            wb.close()
    except ValidationError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds on a damaged file
        raise ValidationError({"file": [_("Tệp không phải tệp XLSX đọc được.")]}) from exc
    return rows


def _points_value(raw: str) -> Decimal | None:
    """Points as typed: "7.5" or "7,5"; None when not a finite number."""
    if "_" in raw:  # Decimal() reads "1_0" as 10; a person did not mean that
        return None
    try:
        points = Decimal(raw.replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return points if points.is_finite() else None


def _unit_lookup(codes: set[str]) -> Callable[[str], Unit | None]:
    """The unit a survey cell names, in one query. A code as typed wins; else the code without the
    apostrophe that `org.spreadsheet.csv_text` puts before a leading "=", "+", "-" or "@" in the template."""
    units = {u.code: u for u in Unit.objects.filter(code__in=codes | {csv_untext(c) for c in codes})}
    return lambda code: units.get(code) or units.get(csv_untext(code))


def _survey_body(data: bytes) -> list[tuple[int, list[str]]]:
    """The rows of a survey file under its header, once the header is checked."""
    rows = _survey_rows(bytes(data))
    if not rows:
        raise ValidationError({"file": [_("Tệp rỗng.")]})
    header = [c.lower() for c in rows[0][1][:3]]
    if header != SURVEY_HEADER:
        raise ValidationError({"file": [_("Dòng đầu phải là: unit_code, criterion_code, points.")]})
    body = rows[1:]
    if not body:
        raise ValidationError({"file": [_("Tệp không có dòng nào dưới dòng tiêu đề.")]})
    return body


def survey_parse(
    *, actor, criteria_set: CriteriaSet, data: bytes, filename: str = ""
) -> list[tuple[Unit, Criterion, Decimal]]:
    """Read and check a survey file (unit_code, criterion_code, points) for `actor`. Every error names its
    row; any error refuses the whole file. A unit code that does not exist and one outside the units the
    actor appraises get the same message, so the import tells nobody which codes exist elsewhere.
    `filename` is only used in messages: the content decides the format."""
    body = _survey_body(data)
    unit_for = _unit_lookup({r[0] for _n, r in body if r})
    criteria = {c.code: c for c in criteria_set.criteria.filter(part="survey", rule__type="survey")}
    errors, parsed, seen = [], [], set()
    for n, cells in body:
        unit_code, code, raw = (cells + ["", "", ""])[:3]
        unit = unit_for(unit_code)
        criterion = criteria.get(code) or criteria.get(csv_untext(code))
        if unit is None or not can_appraise(actor, unit):
            unit = None  # unknown and someone else's read the same
            errors.append(
                _("dòng %(n)d: đơn vị '%(c)s' không thuộc các đơn vị bạn thẩm định")
                % {"n": n, "c": unit_code[:40]}
            )
        elif unit.kind != criteria_set.unit_kind:
            errors.append(
                _("dòng %(n)d: đơn vị %(c)s không được chấm theo bộ tiêu chí này") % {"n": n, "c": unit_code}
            )
        if criterion is None:
            errors.append(
                _("dòng %(n)d: '%(c)s' không phải tiêu chí điều tra của %(s)s")
                % {"n": n, "c": code[:40], "s": criteria_set.code}
            )
        points = _points_value(raw)
        if points is None:
            errors.append(_("dòng %(n)d: điểm '%(p)s' không phải là số") % {"n": n, "p": raw[:40]})
            continue
        if points.as_tuple().exponent < -POINTS_PLACES:
            errors.append(
                _("dòng %(n)d: điểm %(p)s có hơn %(k)d chữ số thập phân")
                % {"n": n, "p": raw[:40], "k": POINTS_PLACES}
            )
        elif criterion is not None and not Decimal(0) <= points <= criterion.max_points:
            errors.append(
                _("dòng %(n)d: điểm %(p)s ngoài khoảng từ 0 đến %(m)s")
                % {"n": n, "p": raw, "m": points_text(criterion.max_points)}
            )
        # By what the cells resolve to: "'-A" and "-A" are one unit, and one upsert cannot write a row twice.
        key = (unit.pk if unit else unit_code, criterion.pk if criterion else code)
        if key in seen:
            errors.append(
                _("dòng %(n)d: %(u)s / %(c)s xuất hiện hai lần") % {"n": n, "u": unit_code, "c": code}
            )
        seen.add(key)
        if unit is not None and criterion is not None:
            parsed.append((unit, criterion, points))
    if errors:
        shown = errors[:200]
        if len(errors) > len(shown):
            shown.append(_("… và %(n)d lỗi khác.") % {"n": len(errors) - len(shown)})
        raise ValidationError({"file": shown})
    return parsed


@transaction.atomic
def survey_import(
    *, actor, criteria_set: CriteriaSet, data: bytes, filename: str = "", now=None
) -> SurveyImportResult:
    """Import survey results (CSV or XLSX: unit_code, criterion_code, points), replacing earlier results of
    the same unit and criterion. Only appraisers (403); a row naming a unit outside their subtree, like any
    bad row, refuses the whole file (400 naming the rows). The affected units' scores update after commit."""
    now = now or timezone.now()
    if not user_is_appraiser(actor):
        raise PermissionDenied(_("Chỉ thẩm định viên được nhập kết quả điều tra."))
    parsed = survey_parse(actor=actor, criteria_set=criteria_set, data=data, filename=filename)
    _survey_audit(actor, criteria_set, parsed, filename, now)
    SurveyResult.objects.bulk_create(
        [
            SurveyResult(
                criteria_set=criteria_set, criterion=c, unit=u, points=p, imported_at=now, imported_by=actor
            )
            for u, c, p in parsed
        ],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["criterion", "unit"],
        update_fields=["points", "imported_at", "imported_by"],
    )
    unit_ids = sorted({u.pk for u, _c, _p in parsed})
    scores_request(criteria_set_id=criteria_set.pk, unit_ids=unit_ids)
    return SurveyImportResult(rows=len(parsed), unit_ids=unit_ids)


def _survey_audit(actor, criteria_set: CriteriaSet, parsed, filename: str, now) -> None:
    """One audit entry per unit the file changes: each criterion's points before and after."""
    unit_ids = {u.pk for u, _c, _p in parsed}
    before = {
        (unit_id, code): points
        for unit_id, code, points in SurveyResult.objects.filter(
            criteria_set=criteria_set, unit_id__in=unit_ids
        ).values_list("unit_id", "criterion__code", "points")
    }
    changes: dict[int, dict] = {}
    units = {}
    for u, c, p in parsed:
        units[u.pk] = u
        changes.setdefault(u.pk, {})[c.code] = [before.get((u.pk, c.code)), p]
    audit_record_many(
        actor=actor,
        entries=[
            AuditRow(AuditAction.SURVEY_IMPORTED, criteria_set, units[uid], rows, filename)
            for uid, rows in changes.items()
        ],
        now=now,
    )
