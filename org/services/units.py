"""Adding and changing units: a unit's materialised path, and its subtree's when it moves."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import audit_record, changes_between, snapshot
from ..models import AuditAction, Unit, UnitKind
from ..permissions import can_edit_unit, can_place_unit_under


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
