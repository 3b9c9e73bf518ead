"""The audit trail's one write path: services call `audit_record` (or `audit_record_many` for an import)
inside the transaction of the change they make, so an entry exists exactly when the change does (Zulip's
`RealmAuditLog` rows are written the same way). The vocabulary is `org.models.AuditAction`.

`changes_between(before, after)` turns two snapshots of a row's fields into `{field: [old, new]}`, with
values made JSON-safe (dates as ISO text, model instances as their primary key)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .models import AuditAction, AuditEntry, Unit


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):  # as typed: 15.0000 → "15", 17.50 → "17.5"
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict:
    """The named fields of `obj` as plain values (a foreign key as its id), for `changes_between`."""
    out = {}
    for name in fields:
        f = obj._meta.get_field(name)
        out[name] = getattr(obj, f.attname) if f.is_relation else getattr(obj, name)
    return {k: _plain(v) for k, v in out.items()}


def changes_between(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value differs."""
    return {
        k: [_plain(before.get(k)), _plain(v)] for k, v in after.items() if _plain(before.get(k)) != _plain(v)
    }


@dataclass
class Entry:
    """One audit row to write: the same arguments as `audit_record`."""

    action: AuditAction
    subject: models.Model
    unit: Unit | int | None = None
    changes: dict = field(default_factory=dict)
    note: str = ""


def _row(actor, entry: Entry, at) -> AuditEntry:
    unit = entry.unit
    return AuditEntry(
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        action=AuditAction(entry.action),
        subject_type=ContentType.objects.get_for_model(type(entry.subject)),
        subject_id=entry.subject.pk,
        subject_repr=str(entry.subject)[:255],
        unit_id=unit.pk if isinstance(unit, Unit) else unit,
        changes={k: [_plain(a), _plain(b)] for k, (a, b) in entry.changes.items()},
        note=entry.note,
    )


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("An audit entry is written in the transaction of the change it records.")


def audit_record(
    *, actor, action: AuditAction, subject: models.Model, unit=None, changes=None, note: str = "", now=None
) -> AuditEntry:
    """Record that `actor` (None: the operator of a command) did `action` to `subject` in `unit`."""
    _require_transaction()
    entry = _row(actor, Entry(action, subject, unit, changes or {}, note), now or timezone.now())
    entry.save()
    return entry


def audit_record_many(*, actor, entries: Iterable[Entry], now=None) -> int:
    """Record many entries in one insert (an import's rows); returns how many were written."""
    _require_transaction()
    at = now or timezone.now()
    rows = [_row(actor, e, at) for e in entries]
    AuditEntry.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
