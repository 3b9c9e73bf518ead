"""Inserting planned rows into the ledger: the one write path that differs between PostgreSQL and SQLite.

Two kinds of planned rows go through here, each with its own unique key: task reminders (`TASK_LEDGER`:
task, recipient, kind, effective due date, offset) and round notices (`ROUND_LEDGER`: criteria set, unit,
recipient, kind, due date, offset). Planners running at once (two beats, a `remind` by hand, two round
cycles) each report exactly the rows *they* created: on PostgreSQL the insert's RETURNING says which rows
were new; on SQLite writers take turns (the transactions are IMMEDIATE), so the read and the insert of a
chunk see what the others committed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection

from ..models import Notification


@dataclass(frozen=True)
class LedgerKind:
    """How one kind of planned row is inserted: its columns (the order of the values in each row passed to
    `ledger_insert`) with their SQL types, its unique key (the ON CONFLICT target and the partial index's
    predicate), the scope column that narrows the ORM path's read, and what the insert returns."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    key: tuple[str, ...]
    predicate_sql: str
    predicate: dict
    scope: str
    created: tuple[str, ...]

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def row_key(self, row: tuple) -> tuple:
        return tuple(row[self.index(c)] for c in self.key)


TASK_LEDGER = LedgerKind(
    columns=("recipient_id", "kind", "task_id", "plan_id", "title", "body", "due_date", "offset"),
    types=("bigint", "text", "bigint", "bigint", "text", "text", "date", "smallint"),
    key=("task_id", "recipient_id", "kind", "due_date", "offset"),
    predicate_sql="event_id IS NULL",  # notifications_reminder_once
    predicate={"event_id__isnull": True},
    scope="task_id",
    created=("id", "task_id", "recipient_id", "kind", "offset", "due_date", "title"),
)

# The immediate notices of a batch of tasks (`tasks.services.bulk`: a cascade, an import assigned at once,
# a series' occurrences): keyed as every event notice (event id, recipient, kind), the event id being
# minus the task's id (`batch_event_id`).
EVENT_LEDGER = LedgerKind(
    columns=("recipient_id", "kind", "task_id", "plan_id", "title", "body", "due_date", "event_id"),
    types=("bigint", "text", "bigint", "bigint", "text", "text", "date", "bigint"),
    key=("event_id", "recipient_id", "kind"),
    predicate_sql="event_id IS NOT NULL",  # notifications_notice_once
    predicate={"event_id__isnull": False},
    scope="event_id",
    created=("id", "task_id", "recipient_id", "kind", "offset", "due_date", "title"),
)

ROUND_LEDGER = LedgerKind(
    columns=("recipient_id", "kind", "criteria_set_id", "unit_id", "title", "body", "due_date", "offset"),
    types=("bigint", "text", "bigint", "bigint", "text", "text", "date", "smallint"),
    key=("criteria_set_id", "kind", "due_date", "offset", "unit_id", "recipient_id"),
    predicate_sql="criteria_set_id IS NOT NULL",  # notifications_round_notice_once
    predicate={"criteria_set_id__isnull": False},
    scope="criteria_set_id",
    created=("id", "criteria_set_id", "unit_id", "recipient_id", "kind", "offset", "due_date", "title"),
)

# The task reminders' column order, as the planner builds its rows (kept under its old name).
_LEDGER_COLUMNS = TASK_LEDGER.columns


def ledger_insert(ledger: list[tuple], now: dt.datetime, kind: LedgerKind = TASK_LEDGER) -> list[dict]:
    """Insert these rows (in `kind.columns` order) created at `now`, skipping those the ledger has, and
    return the rows this call inserted (`kind.created`)."""
    if not ledger:
        return []
    if connection.vendor == "postgresql":
        return _ledger_insert_postgresql(ledger, now, kind)
    return _ledger_insert_orm(ledger, now, kind)


def _ledger_insert_postgresql(ledger: list[tuple], now: dt.datetime, kind: LedgerKind) -> list[dict]:
    """Insert the rows with one statement (they travel as one JSON document: no SQL built per row),
    skipping those the ledger has (its unique key), and return exactly the rows this statement inserted:
    a planner running at the same moment can neither make this one skip a row nor claim the other's rows
    as its own."""
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in kind.columns)
    record = ", ".join(f"{q(c)} {t}" for c, t in zip(kind.columns, kind.types, strict=True))
    sql = (
        f"INSERT INTO {q(Notification._meta.db_table)} ({cols}, {q('created_at')}) "
        f"SELECT {cols}, %s FROM json_to_recordset(%s::json) AS x({record}) "
        f"ON CONFLICT ({', '.join(q(c) for c in kind.key)}) WHERE {kind.predicate_sql} "
        "DO NOTHING "
        f"RETURNING {', '.join(q(c) for c in kind.created)}"
    )
    document = json.dumps(
        [dict(zip(kind.columns, row, strict=True)) for row in ledger], default=dt.date.isoformat
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, document])
        return [dict(zip(kind.created, row, strict=True)) for row in cursor.fetchall()]


def _ledger_insert_orm(ledger: list[tuple], now: dt.datetime, kind: LedgerKind) -> list[dict]:
    """The same with the ORM (any database): what the ledger has is left alone, the unique key decides
    between planners running at the same moment (SQLite's IMMEDIATE transactions make them take turns)."""
    scope_ids = sorted({row[kind.index(kind.scope)] for row in ledger})
    scoped = Notification.objects.filter(**{f"{kind.scope}__in": scope_ids}, **kind.predicate)
    existing = set(scoped.values_list(*kind.key))
    objs = [
        Notification(created_at=now, **dict(zip(kind.columns, row, strict=True)))
        for row in ledger
        if kind.row_key(row) not in existing
    ]
    if not objs:
        return []
    Notification.objects.bulk_create(objs, ignore_conflicts=True, batch_size=1000)
    # Rows this cycle created carry its `now` (and were not in the ledger before it).
    # Read with the key's columns too (`created` need not hold them all: an event notice's has no event id).
    fields = list(dict.fromkeys((*kind.created, *kind.key)))
    return [
        {c: n[c] for c in kind.created}
        for n in scoped.filter(created_at=now).values(*fields)
        if tuple(n[c] for c in kind.key) not in existing
    ]


def ledger_insert_fanout(
    groups: list[tuple[tuple, list[int]]], now: dt.datetime, kind: LedgerKind = EVENT_LEDGER
) -> list[dict]:
    """Insert, for each (row, recipient ids) of `groups`, the row once per recipient (the row in
    `kind.columns` order, its `recipient_id` left out: each recipient's id goes there), skipping those the
    ledger has, and return the rows this call inserted: what `ledger_insert` of the rows written out one
    per recipient does, in one statement on PostgreSQL, where each row's values travel once whatever its
    number of recipients (a batch's notice of a task to the unit's officials says the same to each)."""
    groups = [(row, recipients) for row, recipients in groups if recipients]
    if not groups:
        return []
    at = kind.index("recipient_id")
    if connection.vendor != "postgresql":
        rows = [(*row[:at], user_id, *row[at + 1 :]) for row, recipients in groups for user_id in recipients]
        return _ledger_insert_orm(rows, now, kind)
    q = connection.ops.quote_name
    columns = [c for c in kind.columns if c != "recipient_id"]
    types = [t for c, t in zip(kind.columns, kind.types, strict=True) if c != "recipient_id"]
    select = ", ".join("r.recipient_id" if c == "recipient_id" else f"x.{q(c)}" for c in kind.columns)
    record = ", ".join(f"{q(c)} {t}" for c, t in zip(columns, types, strict=True))
    sql = (
        f"INSERT INTO {q(Notification._meta.db_table)} ({', '.join(q(c) for c in kind.columns)}, "
        f"{q('created_at')}) SELECT {select}, %s FROM json_to_recordset(%s::json) "
        f"AS x({record}, recipient_ids bigint[]) CROSS JOIN LATERAL unnest(x.recipient_ids) "
        "AS r(recipient_id) "
        f"ON CONFLICT ({', '.join(q(c) for c in kind.key)}) WHERE {kind.predicate_sql} "
        "DO NOTHING "
        f"RETURNING {', '.join(q(c) for c in kind.created)}"
    )
    document = json.dumps(
        [
            {**dict(zip(columns, (*row[:at], *row[at + 1 :]), strict=True)), "recipient_ids": recipients}
            for row, recipients in groups
        ],
        default=dt.date.isoformat,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, document])
        return [dict(zip(kind.created, row, strict=True)) for row in cursor.fetchall()]
