"""Inserting reminder rows into the ledger: the one write path that differs between PostgreSQL and SQLite.

Planners running at once (two beats, a `remind` by hand) each report exactly the rows *they* created: on
PostgreSQL the insert's RETURNING says which rows were new; on SQLite writers take turns (the transactions
are IMMEDIATE), so the read and the insert of a chunk see what the others committed.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection

from ..models import Notification

# The order of the values in each ledger row passed to `ledger_insert`.
_LEDGER_COLUMNS = ("recipient_id", "kind", "task_id", "plan_id", "title", "body", "due_date", "offset")
_LEDGER_TYPES = ("bigint", "text", "bigint", "bigint", "text", "text", "date", "smallint")
_CREATED_FIELDS = ("id", "task_id", "recipient_id", "kind", "offset", "due_date", "title")


def ledger_insert(ledger: list[tuple], now: dt.datetime) -> list[dict]:
    """Insert these reminder rows (in `_LEDGER_COLUMNS` order) created at `now`, skipping those the ledger
    has, and return the rows this call inserted (`_CREATED_FIELDS`)."""
    if connection.vendor == "postgresql":
        return _ledger_insert_postgresql(ledger, now)
    return _ledger_insert_orm(ledger, now)


def _ledger_insert_postgresql(ledger: list[tuple], now: dt.datetime) -> list[dict]:
    """Insert reminder rows with one statement (the rows travel as one JSON document: no SQL built per
    row), skipping those the ledger has (its unique key), and return exactly the rows this statement
    inserted: a planner running at the same moment can neither make this one skip a row nor claim the
    other's rows as its own."""
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in _LEDGER_COLUMNS)
    record = ", ".join(f"{q(c)} {t}" for c, t in zip(_LEDGER_COLUMNS, _LEDGER_TYPES, strict=True))
    sql = (
        f"INSERT INTO {q(Notification._meta.db_table)} ({cols}, {q('created_at')}) "
        f"SELECT {cols}, %s FROM json_to_recordset(%s::json) AS x({record}) "
        f"ON CONFLICT (task_id, recipient_id, kind, due_date, {q('offset')}) WHERE event_id IS NULL "
        "DO NOTHING "
        f"RETURNING {', '.join(q(c) for c in _CREATED_FIELDS)}"
    )
    document = json.dumps(
        [dict(zip(_LEDGER_COLUMNS, row, strict=True)) for row in ledger], default=dt.date.isoformat
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, document])
        return [dict(zip(_CREATED_FIELDS, row, strict=True)) for row in cursor.fetchall()]


def _ledger_insert_orm(ledger: list[tuple], now: dt.datetime) -> list[dict]:
    """The same with the ORM (any database): what the ledger has is left alone, the unique key decides
    between planners running at the same moment (SQLite's IMMEDIATE transactions make them take turns)."""

    def key(task_id, recipient_id, kind, due_date, offset):
        return (task_id, recipient_id, kind, due_date, offset)

    task_ids = sorted({row[2] for row in ledger})
    existing = {
        key(*row)
        for row in Notification.objects.filter(task_id__in=task_ids, event_id__isnull=True).values_list(
            "task_id", "recipient_id", "kind", "due_date", "offset"
        )
    }
    objs = [
        Notification(created_at=now, **dict(zip(_LEDGER_COLUMNS, row, strict=True)))
        for row in ledger
        if key(row[2], row[0], row[1], row[6], row[7]) not in existing
    ]
    if not objs:
        return []
    Notification.objects.bulk_create(objs, ignore_conflicts=True, batch_size=1000)
    # Rows this cycle created carry its `now` (and were not in the ledger before it).
    return [
        n
        for n in Notification.objects.filter(
            task_id__in=task_ids, event_id__isnull=True, created_at=now
        ).values(*_CREATED_FIELDS)
        if key(n["task_id"], n["recipient_id"], n["kind"], n["due_date"], n["offset"]) not in existing
    ]
