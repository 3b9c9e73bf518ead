"""Writes for criteria sets: importing a set from its YAML file, renaming and deleting it; each leaves an
audit entry (`org.audit`).

A set is written whole or not at all, and only by this service: the admin edits a set's name, nothing
else. Scoring, above this app, learns of a new set from `criteria_set_imported`, sent after commit.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.audit import audit_record
from org.models import AuditAction, Unit
from org.selectors import user_can_see_unit

from .criteria_file import CriteriaFileError, iter_nodes, parse_criteria_file
from .definitions import OWNER_KINDS
from .events import criteria_set_imported
from .models import CriteriaSet, Criterion
from .permissions import can_manage_criteria_set

#: Why a criteria set with no owner unit may not be imported or changed (the API asks before reading the
#: upload, with the same words).
CRITERIA_SET_DENIED = gettext_lazy(
    "Chỉ quản trị hệ thống mới nhập được bộ tiêu chí không có đơn "
    "vị ban hành (bộ tiêu chí áp dụng toàn quốc)."
)
#: Why a user may import no criteria set at all (asked before the file is read).
IMPORT_DENIED = gettext_lazy(
    "Chỉ quản trị viên hoặc thẩm định viên của đơn vị ban hành (tỉnh, huyện) và quản trị "
    "hệ thống mới nhập được bộ tiêu chí."
)


def denied_message(owner: Unit | None) -> str:
    """Why the user may not import or change a set of this owner unit (None: a set with no owner)."""
    if owner is None:
        return str(CRITERIA_SET_DENIED)
    return _(
        "Chỉ quản trị viên hoặc thẩm định viên của %(unit)s (hoặc của đơn vị cấp trên) mới nhập "
        "và quản lý được bộ tiêu chí do đơn vị này ban hành."
    ) % {"unit": owner}


def _owner_from_file(code: str, actor) -> Unit:
    """The unit the file names as its owner. A code that names no unit and one naming a unit the actor
    cannot see are refused alike (naming `owner`), as an object one cannot see is answered everywhere."""
    unit = Unit.objects.filter(code=code).first()
    if actor is None:
        if unit is None:
            raise ValidationError(
                {"file": ["owner: " + _("không có đơn vị mã %(code)s") % {"code": repr(code)}]}
            )
    elif unit is None or not user_can_see_unit(actor, unit):
        raise ValidationError(
            {
                "file": [
                    "owner: "
                    + _("không có đơn vị mã %(code)s trong các đơn vị bạn xem được") % {"code": repr(code)}
                ]
            }
        )
    return unit


def _check_owner_kind(owner: Unit, unit_kind: str, *, field: str) -> None:
    """The owner must be of a kind above the scored units (`definitions.OWNER_KINDS`)."""
    allowed = OWNER_KINDS.get(unit_kind, ())
    if owner.kind in allowed:
        return
    if not allowed:
        problem = _(
            "bộ tiêu chí cho đơn vị loại %(unit_kind)s áp dụng toàn quốc, không có đơn vị ban hành"
        ) % {"unit_kind": unit_kind}
    else:
        problem = _(
            "%(unit)s thuộc loại %(kind)s, không ở trên các đơn vị được chấm: bộ tiêu chí cho "
            "đơn vị loại %(unit_kind)s do một đơn vị loại %(allowed)s ban hành"
        ) % {
            "unit": owner,
            "kind": owner.kind,
            "unit_kind": unit_kind,
            "allowed": ", ".join(allowed),
        }
    if field == "file":
        raise ValidationError({"file": ["owner: " + problem]})
    raise ValidationError({field: [problem[:1].upper() + problem[1:] + "."]})


def _set_changes(cs: CriteriaSet, criteria: int) -> dict:
    """What the audit entry of an import records: the set's identity and what decides its round."""
    changes: dict = {"code": [None, cs.code], "year": [None, cs.year], "criteria": [None, criteria]}
    if cs.owner_unit_id is not None:
        changes["owner_unit"] = [None, cs.owner_unit_id]
    if cs.classes:
        changes["classes"] = [None, cs.classes]
    for name in ("bonus_max", "penalty_max"):
        if getattr(cs, name) is not None:
            changes[name] = [None, getattr(cs, name)]
    return changes


def _criteria_write(cs: CriteriaSet, spec) -> dict[str, Criterion]:
    """Write the set's criteria, one tree level per query (parents first, so children can point at
    them). Returns the criteria by code."""
    levels: dict[int, list[tuple[Criterion, str | None]]] = defaultdict(list)
    for position, (node, parent_code, depth, _sibling) in enumerate(iter_nodes(spec)):
        criterion = Criterion(
            criteria_set=cs,
            code=node.code,
            title=node.title,
            max_points=node.max_points,
            part=node.part,
            rule=node.rule,
            depth=depth,
            order=position,
        )
        levels[depth].append((criterion, parent_code))
    by_code: dict[str, Criterion] = {}
    for depth in sorted(levels):
        rows = []
        for criterion, parent_code in levels[depth]:
            criterion.parent = by_code[parent_code] if parent_code else None
            rows.append(criterion)
        created = Criterion.objects.bulk_create(rows)
        if any(c.pk is None for c in created):  # a backend that cannot return ids from a bulk insert
            created = list(Criterion.objects.filter(criteria_set=cs, depth=depth))
        by_code.update((c.code, c) for c in created)
    return by_code


@transaction.atomic
def criteria_set_import(
    *, data: bytes | str, actor=None, owner_unit: Unit | None = None, now=None
) -> CriteriaSet:
    """Import a criteria set from its YAML file. A bad file is refused whole (ValidationError naming the
    criterion and the problem); nothing is written.

    The owner unit (the issuing authority, whose subtree's units of the set's kind are scored) is
    `owner_unit` when given, else the unit the file's `owner` names (none: a nationwide set); it must be
    of a kind above the scored units (a province; a district or a city for a commune set). Who may:
    `permissions.can_manage_criteria_set` for that owner (its admins and appraisers, or those of a unit
    above it; a set with no owner, superusers only), else PermissionDenied saying which unit. `actor=None`
    is the system itself (`manage.py import_criteria` run by the operator, the demo loaders): trusted.

    Criteria are written one tree level per query; `order` is the position in the document, so ordering
    by it walks the tree depth first, as the file reads. After commit, `criteria_set_imported` tells
    scoring, which computes the set's scores."""
    # An owner given beside the file is asked about before the file is read.
    if owner_unit is not None and actor is not None and not can_manage_criteria_set(actor, owner_unit):
        raise PermissionDenied(denied_message(owner_unit))
    try:
        spec = parse_criteria_file(data)
    except CriteriaFileError as exc:
        raise ValidationError({"file": exc.errors}) from exc
    owner = owner_unit
    if owner is None and spec.owner is not None:
        owner = _owner_from_file(spec.owner, actor)
    if actor is not None and not can_manage_criteria_set(actor, owner):
        raise PermissionDenied(denied_message(owner))
    if owner is not None:
        _check_owner_kind(owner, spec.unit_kind, field="owner_unit" if owner_unit is not None else "file")
    if CriteriaSet.objects.filter(code=spec.code).exists():
        raise ValidationError({"file": [_("Đã có bộ tiêu chí mã %(code)s.") % {"code": spec.code}]})
    source = bytes(data).decode("utf-8-sig") if not isinstance(data, str) else data
    cs = CriteriaSet.objects.create(
        code=spec.code,
        name=spec.name,
        year=spec.year,
        unit_kind=spec.unit_kind,
        period_start=spec.period_start,
        period_end=spec.period_end,
        owner_unit=owner,
        classes=spec.classes_json(),
        bonus_max=spec.bonus_max,
        penalty_max=spec.penalty_max,
        source=source,
    )
    by_code = _criteria_write(cs, spec)
    audit_record(
        actor=actor,
        action=AuditAction.CRITERIA_SET_IMPORTED,
        subject=cs,
        unit=owner,
        changes=_set_changes(cs, len(by_code)),
        now=now,
    )
    # robust: a receiver that fails (the broker is down) is logged; the nightly reconcile scores the set.
    transaction.on_commit(
        lambda: criteria_set_imported.send(sender=CriteriaSet, criteria_set=cs), robust=True
    )
    return cs


@transaction.atomic
def criteria_set_rename(*, actor, criteria_set: CriteriaSet, name: str) -> CriteriaSet:
    """Change a set's name, the one thing editable after its import (the rest decides what is scored)."""
    if actor is not None and not can_manage_criteria_set(actor, criteria_set):
        raise PermissionDenied(denied_message(criteria_set.owner_unit))
    old = CriteriaSet.objects.values_list("name", flat=True).get(pk=criteria_set.pk)
    criteria_set.name = name
    criteria_set.full_clean()
    criteria_set.save(update_fields=["name"])
    if old != name:
        audit_record(
            actor=actor,
            action=AuditAction.CRITERIA_SET_CHANGED,
            subject=criteria_set,
            unit=criteria_set.owner_unit_id,
            changes={"name": [old, name]},
        )
    return criteria_set


@transaction.atomic
def criteria_set_delete(*, actor, criteria_set: CriteriaSet) -> None:
    """Delete a set with its criteria and scores (a plan bound to it refuses: the foreign key protects)."""
    if actor is not None and not can_manage_criteria_set(actor, criteria_set):
        raise PermissionDenied(denied_message(criteria_set.owner_unit))
    audit_record(
        actor=actor,
        action=AuditAction.CRITERIA_SET_DELETED,
        subject=criteria_set,
        unit=criteria_set.owner_unit_id,
        changes={"code": [criteria_set.code, None]},
    )
    criteria_set.delete()
