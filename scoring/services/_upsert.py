"""What the recompute does differently by database vendor, and nothing else: its write path (a batch's leaf
and unit score rows, upserted) and its one vendor-shaped read (the latest approved metric per unit and leaf).

`scores_upsert`: PostgreSQL gets one statement per table with the rows as one array per column, skipping
rows that did not change; any other database (SQLite in a developer's shell) gets the ORM's bulk upsert.
`latest_metrics`: PostgreSQL keeps one row per unit and leaf with DISTINCT ON; elsewhere the rows come in
approval order and the last one wins. Both ways leave the same rows and give the same values.

The columns are the models' (`LeafScore.SCORE_FIELDS`, `UnitScore.SCORE_FIELDS`), declared once there.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from criteria.models import CriteriaSet

from ..models import LeafScore, UnitScore


def scores_upsert(*, criteria_set: CriteriaSet, leaf_rows: list[tuple], unit_rows: list[tuple]) -> None:
    """Insert or update one batch's score rows (tuples in the order of `LEAF_COLUMNS` and `UNIT_COLUMNS`)."""
    if connection.vendor == "postgresql":
        _upsert_postgresql(criteria_set, leaf_rows, unit_rows)
    else:
        _upsert_orm(criteria_set, leaf_rows, unit_rows)


def latest_metrics(approved) -> dict[tuple[int, str], Decimal | None]:
    """The metric value of the most recently approved task of `approved` (a task queryset) per assignee
    unit and criterion code."""
    if connection.vendor == "postgresql":
        # One row per unit and leaf, the most recently approved (the exact reverse of the order below).
        approved = approved.order_by("assignee_unit_id", "criterion_code", "-approved_at", "-id").distinct(
            "assignee_unit_id", "criterion_code"
        )
    else:
        approved = approved.order_by("approved_at", "id")
    metrics: dict[tuple[int, str], Decimal | None] = {}
    for unit_id, code, value in approved.values_list("assignee_unit_id", "criterion_code", "metric_value"):
        metrics[(unit_id, code)] = value  # the last one wins: the most recently approved
    return metrics


#: A leaf row: its keys, then what the recompute writes.
LEAF_COLUMNS = ("criterion_id", "unit_id", *LeafScore.SCORE_FIELDS)
#: A unit row: its keys and peer group, the scores (the rank is set afterwards, by peer group), the time.
UNIT_COLUMNS = (
    "unit_id",
    "parent_unit_id",
    *(name for name in UnitScore.SCORE_FIELDS if name != "rank"),
    "computed_at",
)
#: PostgreSQL's array element type for each kind of column written.
_ARRAY_TYPES = {
    "ForeignKey": "bigint",
    "PositiveIntegerField": "int",
    "DecimalField": "numeric",
    "BooleanField": "boolean",
    "DateTimeField": "timestamptz",
    "CharField": "text",
}


def _array_types(model, columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_ARRAY_TYPES[model._meta.get_field(c).get_internal_type()] for c in columns)


_LEAF_TYPES = _array_types(LeafScore, LEAF_COLUMNS)
_UNIT_TYPES = _array_types(UnitScore, UNIT_COLUMNS)


def _upsert_orm(cs: CriteriaSet, leaf_rows: list[tuple], unit_rows: list[tuple]) -> None:
    """Write a batch's score rows with the ORM (any database)."""
    LeafScore.objects.bulk_create(
        [LeafScore(criteria_set=cs, **dict(zip(LEAF_COLUMNS, row, strict=True))) for row in leaf_rows],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["criterion", "unit"],
        update_fields=[c for c in LEAF_COLUMNS[2:]],
    )
    UnitScore.objects.bulk_create(
        [UnitScore(criteria_set=cs, **dict(zip(UNIT_COLUMNS, row, strict=True))) for row in unit_rows],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["criteria_set", "unit"],
        update_fields=[c.removesuffix("_id") if c == "parent_unit_id" else c for c in UNIT_COLUMNS[1:]],
    )


def _upsert_sql(
    table: str, columns: tuple, types: tuple, conflict: tuple, compare: tuple, always: tuple
) -> str:
    """INSERT … SELECT FROM unnest(one array per column) ON CONFLICT DO UPDATE, touching only rows whose
    values changed (`compare`); `always` columns are set whenever a row is touched. Parameters: the set id,
    one array per column, then (without `always`) the batch's unit ids and the set id again.

    Without `always` columns, rows equal to the stored ones are left out before the insert: they are
    compared with the batch's stored rows (read by unit through the (unit, set) index). ON CONFLICT DO
    UPDATE would lock a conflicting row even when its WHERE then skips the update, which writes every page
    of the table on a nightly run that changes nothing."""
    q = connection.ops.quote_name
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    cols = ", ".join(q(c) for c in columns)
    sets = ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in (*compare, *always))
    changed = " OR ".join(f"t.{q(c)} IS DISTINCT FROM EXCLUDED.{q(c)}" for c in compare)
    insert = f"INSERT INTO {q(table)} AS t (criteria_set_id, {cols}) "
    upsert = f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO UPDATE SET {sets}"
    if always:
        return f"{insert}SELECT %s, * FROM unnest({arrays}){upsert}"
    stored = f"(SELECT * FROM {q(table)} WHERE unit_id = ANY(%s::bigint[]) AND criteria_set_id = %s)"
    joined = " AND ".join(f"o.{q(c)} = v.{q(c)}" for c in conflict)
    differs = " OR ".join(f"o.{q(c)} IS DISTINCT FROM v.{q(c)}" for c in compare)
    return (
        f"{insert}SELECT %s, v.* FROM unnest({arrays}) AS v({cols}) "
        f"LEFT JOIN {stored} AS o ON {joined} WHERE o.{q(conflict[0])} IS NULL OR {differs}"
        f"{upsert} WHERE {changed}"
    )


def _upsert_postgresql(cs: CriteriaSet, leaf_rows: list[tuple], unit_rows: list[tuple]) -> None:
    """Write a batch's score rows with one statement per table: the rows travel as one array per column
    (no SQL built per row), and a leaf row whose values did not change is not rewritten at all."""
    leaf_sql = _upsert_sql(
        LeafScore._meta.db_table, LEAF_COLUMNS, _LEAF_TYPES, LEAF_COLUMNS[:2], LEAF_COLUMNS[2:], ()
    )
    unit_sql = _upsert_sql(
        UnitScore._meta.db_table,
        UNIT_COLUMNS,
        _UNIT_TYPES,
        ("criteria_set_id", "unit_id"),
        UNIT_COLUMNS[1:-1],
        ("computed_at",),
    )
    unit_ids = _array_param("bigint", tuple({row[0] for row in unit_rows}))
    with connection.cursor() as cursor:
        for sql, types, rows, extra in (
            (leaf_sql, _LEAF_TYPES, leaf_rows, [unit_ids, cs.pk]),
            (unit_sql, _UNIT_TYPES, unit_rows, []),
        ):
            if rows:
                columns = zip(*rows, strict=True)
                arrays = [_array_param(t, col) for t, col in zip(types, columns, strict=True)]
                cursor.execute(sql, [cs.pk, *arrays, *extra])


_LITERAL_TYPES = {
    "bigint": {int},
    "int": {int},
    "numeric": {Decimal, int},
    "boolean": {bool},
}


def _array_param(sql_type: str, values: tuple) -> str | list:
    """One column's values as an array parameter. Numbers and booleans go as the text of a PostgreSQL array
    literal (`{1,2.5,NULL}`), which the server parses far faster than the driver adapts a list element by
    element (a batch carries some 200,000 values); other types go as a list for the driver to adapt. The
    text holds only what `str` gives for the checked types, so no value can change the literal's shape."""
    allowed = _LITERAL_TYPES.get(sql_type)
    if allowed is None:
        return list(values)
    kinds = set(map(type, values))
    if not kinds <= allowed | {type(None)}:
        raise TypeError(f"{sql_type} array: unexpected {kinds - allowed - {type(None)}}")
    if type(None) in kinds:
        return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"
    return "{" + ",".join(map(str, values)) + "}"
