"""Units from a CSV file (`manage.py import_units`): every row checked first, then the writes in bulk."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import Entry, audit_record_many, changes_between, snapshot
from ..models import AuditAction, Unit, UnitKind
from ..permissions import can_edit_unit, can_place_unit_under
from .units import _UNIT_AUDITED


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int = 0  # rows that match their unit already: nothing written (no save, no audit row)


@transaction.atomic
def units_import_csv(*, actor=None, data: bytes, max_rows: int = 20000) -> ImportResult:
    """Import units from CSV (code, name, kind, parent_code). Rows may come in any order; a parent may be an
    existing unit or a row of the file. Every row is checked first, in one pass, with the rights
    `unit_create`/`unit_update` ask of `actor`; any bad row refuses the whole file with every row's error
    (nothing is written). Then the writes are in bulk: new units created level by level of the tree (a
    few queries per level, not per row), changed units updated together, unchanged units left alone; a
    unit moved under another parent rewrites its subtree's paths (one update per moved unit)."""
    rows, errors = _csv_rows(data, max_rows)
    existing = {
        u.code: u
        for u in Unit.objects.filter(code__in=[r["parent_code"] for _, r in rows.values()] + list(rows))
    }
    errors += [
        f"row {lineno}: parent_code '{pc}' is neither in the file nor an existing unit"
        for lineno, row in rows.values()
        if (pc := row["parent_code"]) and pc not in rows and pc not in existing
    ]
    if errors:
        raise ValidationError({"file": errors})
    plan = _import_plan(actor, rows, existing)
    return _write_units(actor, rows, existing, plan)


_CSV_HEADER = {"code", "name", "kind", "parent_code"}


def _csv_records(data: bytes) -> list[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": ["The file is not UTF-8 text."]}) from exc
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
        if not fieldnames or not {h.strip() for h in fieldnames} >= _CSV_HEADER:
            raise ValidationError({"file": [f"The header must be: {', '.join(sorted(_CSV_HEADER))}."]})
        return list(enumerate(reader, start=2))
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise ValidationError({"file": [f"row {reader.line_num}: {exc}"]}) from exc


def _row_errors(lineno: int, row: dict, seen: dict) -> list[str]:
    code = row["code"]
    errors = []
    if code in seen:
        errors.append(f"row {lineno}: code '{code}' appears twice")
    if row["kind"] not in UnitKind.values:
        errors.append(f"row {lineno}: kind '{row['kind']}' is not one of {', '.join(UnitKind.values)}")
    if not row["name"] or len(row["name"]) > 255:
        errors.append(f"row {lineno}: name is empty or too long")
    if row["parent_code"] == code:
        errors.append(f"row {lineno}: a unit cannot be its own parent")
    return errors


def _csv_rows(data: bytes, max_rows: int) -> tuple[dict[str, tuple[int, dict]], list[str]]:
    """{code: (line number, row)} and every malformed row's error."""
    rows, errors = {}, []
    for lineno, raw in _csv_records(data):
        if lineno - 1 > max_rows:
            raise ValidationError({"file": [f"More than {max_rows} rows."]})
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        code = row["code"]
        if not code or len(code) > 32:
            errors.append(f"row {lineno}: code is empty or longer than 32 characters")
            continue
        errors += _row_errors(lineno, row, rows)
        rows[code] = (lineno, row)
    return rows, errors


@dataclass
class _ImportPlan:
    """What an import will do, worked out before anything is written."""

    levels: list[list[str]]  # the file's codes, parents before children
    created: set[str]
    changed: set[str]  # existing units whose name, kind or parent the file changes
    moved: set[str]  # of those, the ones under another parent
    unchanged: set[str]


def _levels(rows: dict) -> tuple[list[list[str]], list[str]]:
    """The file's codes by level (a row after the row of its parent) and the codes caught in a cycle."""
    levels, pending = [], set(rows)
    while pending:
        ready = sorted(c for c in pending if rows[c][1]["parent_code"] not in pending)
        if not ready:
            return levels, sorted(pending)
        levels.append(ready)
        pending.difference_update(ready)
    return levels, []


def _import_plan(actor, rows: dict, existing: dict[str, Unit]) -> _ImportPlan:
    """Check every row against the tree the file would make (cycles through existing units, the actor's
    rights) and say what is created, changed and left alone; every row's error at once."""
    levels, cycle = _levels(rows)
    # The parent of every unit the file touches, as it will be: the file's word, else the stored parent.
    ancestor_ids = {int(p) for u in existing.values() for p in u.path.strip("/").split("/") if p}
    stored = list(Unit.objects.filter(pk__in=ancestor_ids)) if ancestor_ids else []
    code_of = {u.pk: u.code for u in stored}
    by_code = {u.code: u for u in stored} | existing

    def parent_of(code: str) -> str | None:
        if code in rows:
            return rows[code][1]["parent_code"] or None
        unit = by_code.get(code)
        return code_of.get(unit.parent_id) if unit is not None and unit.parent_id else None

    looped = set(cycle)
    for code in rows:
        if code in looped or code not in existing:
            continue  # only a stored unit's new parent can close a loop through units not in the file
        seen, up = {code}, parent_of(code)
        while up is not None and up not in seen:
            seen.add(up)
            up = parent_of(up)
        if up == code:
            looped.add(code)
    errors = []
    if looped:
        cycle_rows = ", ".join(f"row {rows[c][0]} ({c})" for c in sorted(looped, key=lambda c: rows[c][0]))
        errors.append(f"parent cycle among units: {cycle_rows}")

    # The path each unit will have, for the rights (a new unit's own id is not known yet: its code stands).
    final_paths: dict[str, str] = {}

    def final_path(code: str) -> str:
        if code not in final_paths:
            if code not in rows:  # a parent the file does not touch (every other one is checked above)
                final_paths[code] = existing[code].path
            else:
                parent = rows[code][1]["parent_code"]
                own = existing[code].pk if code in existing else f"new-{code}"
                final_paths[code] = (final_path(parent) if parent else "/") + f"{own}/"
        return final_paths[code]

    created, changed, moved, unchanged = set(), set(), set(), set()
    for code, (lineno, row) in sorted(rows.items(), key=lambda item: item[1][0]):
        unit = existing.get(code)
        pc = row["parent_code"]
        if unit is None:
            created.add(code)
        else:
            parent_id = (existing[pc].pk if pc in existing else None) if pc else None
            same_parent = (pc in existing or not pc) and unit.parent_id == parent_id
            if unit.name == row["name"] and unit.kind == row["kind"] and same_parent:
                unchanged.add(code)
            else:
                changed.add(code)
                if not same_parent:
                    moved.add(code)
        if actor is None or code in looped:
            continue
        if unit is not None and not can_edit_unit(actor, unit):
            denied = _("Chỉ quản trị viên của đơn vị cấp trên mới sửa được đơn vị này.")
            errors.append(f"row {lineno}: {denied}")
        elif (unit is None or code in moved) and not can_place_unit_under(
            actor, Unit(path=final_path(pc)) if pc else None
        ):
            errors.append(f"row {lineno}: {_('Chọn đơn vị cấp trên thuộc phạm vi bạn quản trị.')}")
    if errors:
        raise ValidationError({"file": errors})
    return _ImportPlan(levels=levels, created=created, changed=changed, moved=moved, unchanged=unchanged)


def _write_units(actor, rows: dict, existing: dict[str, Unit], plan: _ImportPlan) -> ImportResult:
    """Write what `plan` says, level by level: a level's new units in one insert (then their paths in one
    update), its moved units' subtrees re-pathed; the changed units' fields in one update at the end."""
    from django.db.models import F, Value
    from django.db.models.functions import Concat, Substr

    units = dict(existing)  # code -> unit, the new ones added as they are created
    paths = {code: u.path for code, u in existing.items()}
    before = {code: snapshot(existing[code], _UNIT_AUDITED) for code in plan.changed}
    for level in plan.levels:
        moved = [c for c in level if c in plan.moved]
        for code in moved:
            unit, pc = units[code], rows[code][1]["parent_code"]
            old = paths[code]
            new = (paths[pc] if pc else "/") + f"{unit.pk}/"
            Unit.objects.filter(path__startswith=old).update(
                path=Concat(Value(new), Substr(F("path"), len(old) + 1))
            )
        if moved:  # a move changes the paths below it: read the ones this import still builds on
            paths.update(Unit.objects.filter(code__in=list(paths)).values_list("code", "path"))
        new_units = []
        for code in level:
            if code not in plan.created:
                continue
            row = rows[code][1]
            unit = Unit(code=code, name=row["name"], kind=row["kind"], parent=units.get(row["parent_code"]))
            unit.full_clean(exclude=["path", "parent"], validate_unique=False, validate_constraints=False)
            new_units.append(unit)
        if new_units:
            Unit.objects.bulk_create(new_units, batch_size=1000)
            for unit in new_units:
                pc = rows[unit.code][1]["parent_code"]
                unit.path = (paths[pc] if pc else "/") + f"{unit.pk}/"
                paths[unit.code] = unit.path
                units[unit.code] = unit
            Unit.objects.bulk_update(new_units, ["path"], batch_size=1000)
    changed = []
    for code in sorted(plan.changed):
        unit, row = units[code], rows[code][1]
        unit.name, unit.kind = row["name"], row["kind"]
        unit.parent = units.get(row["parent_code"]) if row["parent_code"] else None
        unit.path = paths[code]
        unit.full_clean(exclude=["path", "parent"], validate_unique=False, validate_constraints=False)
        changed.append(unit)
    if changed:
        Unit.objects.bulk_update(changed, ["name", "kind", "parent"], batch_size=1000)
    entries = [
        Entry(
            AuditAction.UNIT_CREATED,
            units[c],
            units[c],
            changes_between({}, snapshot(units[c], _UNIT_AUDITED)),
        )
        for c in sorted(plan.created)
    ] + [
        Entry(AuditAction.UNIT_CHANGED, u, u, changes_between(before[u.code], snapshot(u, _UNIT_AUDITED)))
        for u in changed
    ]
    if entries:
        audit_record_many(actor=actor, entries=entries)
    return ImportResult(created=len(plan.created), updated=len(plan.changed), unchanged=len(plan.unchanged))
