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
from org.models import AuditAction

from .criteria_file import CriteriaFileError, iter_nodes, parse_criteria_file
from .events import criteria_set_imported
from .models import CriteriaSet, Criterion
from .permissions import can_manage_criteria_set

#: Why a criteria set may not be imported (the API asks before reading the upload, with the same words).
CRITERIA_SET_DENIED = gettext_lazy(
    "Chỉ quản trị hệ thống mới nhập được bộ tiêu chí không có đơn "
    "vị ban hành (bộ tiêu chí áp dụng toàn quốc)."
)


@transaction.atomic
def criteria_set_import(*, data: bytes | str, actor=None) -> CriteriaSet:
    """Import a criteria set from its YAML file. A bad file is refused whole (ValidationError naming the
    criterion and the problem); nothing is written. Who may: `permissions.can_manage_criteria_set` (a set
    with no owner unit, as every set is today: superusers only), else PermissionDenied. `actor=None` is the
    system itself (`manage.py import_criteria` run by the operator, the demo loaders), which is trusted.

    Criteria are written one tree level per query; `order` is the position in the document, so ordering
    by it walks the tree depth first, as the file reads. After commit, `criteria_set_imported` tells
    scoring, which computes the set's scores."""
    if actor is not None and not can_manage_criteria_set(actor, None):
        raise PermissionDenied(CRITERIA_SET_DENIED)
    try:
        spec = parse_criteria_file(data)
    except CriteriaFileError as exc:
        raise ValidationError({"file": exc.errors}) from exc
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
        source=source,
    )
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
    audit_record(
        actor=actor,
        action=AuditAction.CRITERIA_SET_IMPORTED,
        subject=cs,
        changes={"code": [None, cs.code], "year": [None, cs.year], "criteria": [None, len(by_code)]},
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
        raise PermissionDenied(CRITERIA_SET_DENIED)
    old = CriteriaSet.objects.values_list("name", flat=True).get(pk=criteria_set.pk)
    criteria_set.name = name
    criteria_set.full_clean()
    criteria_set.save(update_fields=["name"])
    if old != name:
        audit_record(
            actor=actor,
            action=AuditAction.CRITERIA_SET_CHANGED,
            subject=criteria_set,
            changes={"name": [old, name]},
        )
    return criteria_set


@transaction.atomic
def criteria_set_delete(*, actor, criteria_set: CriteriaSet) -> None:
    """Delete a set with its criteria and scores (a plan bound to it refuses: the foreign key protects)."""
    if actor is not None and not can_manage_criteria_set(actor, criteria_set):
        raise PermissionDenied(CRITERIA_SET_DENIED)
    audit_record(
        actor=actor,
        action=AuditAction.CRITERIA_SET_DELETED,
        subject=criteria_set,
        changes={"code": [criteria_set.code, None]},
    )
    criteria_set.delete()
