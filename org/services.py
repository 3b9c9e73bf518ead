"""Writes for units, users and the calendar."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import Entry, audit_record, audit_record_many, changes_between, snapshot
from .calendar import calendar_changed
from .models import AuditAction, CalendarDay, Membership, Role, Unit, UnitKind, User
from .permissions import can_administer, can_edit_unit, can_place_unit_under


def _db_path(pk: int) -> str:
    # Read from the database: an object loaded before one of its ancestors moved holds an old path.
    return Unit.objects.values_list("path", flat=True).get(pk=pk)


def _set_path(unit: Unit) -> None:
    parent_path = _db_path(unit.parent_id) if unit.parent_id else "/"
    unit.path = f"{parent_path}{unit.pk}/"


def _refuse_placing(actor, parent: Unit | None) -> None:
    if actor is not None and not can_place_unit_under(actor, parent):
        raise ValidationError({"parent": [_("Chọn đơn vị cấp trên thuộc phạm vi bạn quản trị.")]})


@transaction.atomic
def unit_create(*, actor=None, code: str, name: str, kind: str, parent: Unit | None = None) -> Unit:
    """Create a unit under `parent` (None for a root) and give it its materialised path. An administrator
    creates units only below a unit they administer; a root unit only a superuser (`actor=None`: the
    operator running a command)."""
    _refuse_placing(actor, parent)
    if kind not in UnitKind.values:
        raise ValidationError({"kind": [f"'{kind}' is not one of {', '.join(UnitKind.values)}"]})
    if Unit.objects.filter(code=code).exists():
        raise ValidationError({"code": [f"A unit with code '{code}' already exists."]})
    unit = Unit(code=code, name=name, kind=kind, parent=parent)
    unit.full_clean(exclude=["path"])
    unit.save()
    _set_path(unit)
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    audit_record(
        actor=actor,
        action=AuditAction.UNIT_CREATED,
        subject=unit,
        unit=unit,
        changes=changes_between({}, snapshot(unit, _UNIT_AUDITED)),
    )
    return unit


#: The fields of a unit its audit entries compare.
_UNIT_AUDITED = ("code", "name", "kind", "parent")


@transaction.atomic
def unit_update(*, actor=None, unit: Unit, **fields) -> Unit:
    """Change a unit; moving it under another parent rewrites the paths of its whole subtree. Only the
    administrators of a unit above it change it, and only under a unit they administer (an admin never moves
    or detaches their own unit)."""
    # What is stored, not what the object says: a form (the admin's) may have set the new parent already.
    stored = Unit.objects.get(pk=unit.pk)
    old_path, old_parent_id = stored.path, stored.parent_id
    unit.path = old_path
    before = snapshot(stored, _UNIT_AUDITED)
    if actor is not None and not can_edit_unit(actor, unit):
        raise PermissionDenied(_("Chỉ quản trị viên của đơn vị cấp trên mới sửa được đơn vị này."))
    new_parent = fields.pop("parent", unit.parent) if "parent" in fields else unit.parent
    if (new_parent.pk if new_parent else None) != old_parent_id:
        _refuse_placing(actor, new_parent)
    for name, value in fields.items():
        setattr(unit, name, value)
    if new_parent is not None and _db_path(new_parent.pk).startswith(old_path):
        raise ValidationError({"parent": ["A unit cannot be moved under itself or one of its sub-units."]})
    unit.parent = new_parent
    unit.full_clean(exclude=["path"])
    _set_path(unit)
    unit.save()
    if unit.path != old_path:
        from django.db.models import F, Value
        from django.db.models.functions import Concat, Substr

        Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr(F("path"), len(old_path) + 1))
        )
    changes = changes_between(before, snapshot(unit, _UNIT_AUDITED))
    if changes:
        audit_record(actor=actor, action=AuditAction.UNIT_CHANGED, subject=unit, unit=unit, changes=changes)
    return unit


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


@transaction.atomic
def user_create(
    *,
    actor=None,
    username: str,
    password: str | None,
    full_name: str = "",
    email: str = "",
    memberships: list[tuple[Unit, str]] = (),
    is_superuser: bool = False,
    language: str = "vi",
) -> User:
    """Create a user with their memberships in one transaction. An administrator creates users only with
    memberships in their subtree (at least one, so the user stays theirs to manage); only a superuser
    creates superusers."""
    if actor is not None and not actor.is_superuser:
        if is_superuser:
            raise PermissionDenied(_("Chỉ quản trị hệ thống mới tạo được tài khoản quản trị hệ thống."))
        if not memberships:
            raise ValidationError(
                {"memberships": [_("Phân công người dùng vào một đơn vị thuộc phạm vi bạn quản trị.")]}
            )
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": ["A user with that username already exists."]})
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        language=language,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        subject=user,
        unit=memberships[0][0] if memberships else None,
        changes=changes_between({}, {"username": username, "is_superuser": is_superuser}),
    )
    for unit, role in memberships:
        membership_add(actor=actor, user=user, unit=unit, role=role)
    return user


@transaction.atomic
def membership_add(*, actor=None, user: User, unit: Unit, role: str) -> Membership:
    """Grant `role` in `unit`: an administrator grants memberships only in their subtree."""
    if actor is not None and not can_administer(actor, unit):
        raise ValidationError({"memberships": [_("Chọn đơn vị thuộc phạm vi bạn quản trị.")]})
    if role not in Role.values:
        raise ValidationError({"role": [f"'{role}' is not one of {', '.join(Role.values)}"]})
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_ADDED,
            subject=user,
            unit=unit,
            changes={"unit": [None, unit.code], "role": [None, role]},
        )
    return membership


@transaction.atomic
def membership_remove(*, actor=None, membership: Membership) -> None:
    """Take a membership away: an administrator only in their subtree."""
    if actor is not None and not can_administer(actor, membership.unit):
        raise ValidationError({"memberships": [_("Chọn đơn vị thuộc phạm vi bạn quản trị.")]})
    audit_record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_REMOVED,
        subject=membership.user,
        unit=membership.unit,
        changes={"unit": [membership.unit.code, None], "role": [membership.role, None]},
    )
    membership.delete()


@transaction.atomic
def calendar_day_set(*, actor=None, date, is_working: bool, note: str = "") -> CalendarDay:
    """Add or change an override of the national calendar; every process picks it up after commit."""
    day, _ = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_working": is_working, "note": note}
    )
    audit_record(
        actor=actor,
        action=AuditAction.CALENDAR_DAY_SET,
        subject=day,
        changes={"is_working": [None, is_working], "note": [None, note]},
    )
    transaction.on_commit(calendar_changed)
    return day


@transaction.atomic
def calendar_day_remove(*, actor=None, day: CalendarDay) -> None:
    """Remove an override: the national calendar applies to that date again."""
    audit_record(
        actor=actor,
        action=AuditAction.CALENDAR_DAY_SET,
        subject=day,
        changes={"is_working": [day.is_working, None], "note": [day.note, None]},
    )
    day.delete()
    transaction.on_commit(calendar_changed)


#: The fields of a user their audit entries compare (a password change is recorded, never its value).
USER_AUDITED = ("username", "full_name", "email", "is_active", "is_staff", "is_superuser", "password")


def user_changes(before: dict, user: User) -> dict:
    """What changed on a user, the password shown only as changed."""
    changes = changes_between(before, snapshot(user, USER_AUDITED))
    if "password" in changes:
        changes["password"] = ["***", "***"]
    return changes


def user_set_language(*, user: User, language: str) -> User:
    """Remember the interface language a user chose; it is applied again at each sign-in."""
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [f"'{language}' is not an available language."]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
