"""One way to write many rows fast: PostgreSQL's COPY, bulk_create elsewhere (the tests' SQLite)."""

from __future__ import annotations

from django.db import connection
from tqdm import tqdm


def copy_rows(model, columns: list[str], rows, *, total: int | None = None, desc: str = "") -> int:
    """Insert rows (tuples in `columns` order): COPY on PostgreSQL, bulk_create elsewhere."""
    table = model._meta.db_table
    n = 0
    bar = tqdm(total=total, desc=desc, unit="rows", unit_scale=True, leave=False)
    if connection.vendor == "postgresql":
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        sql = f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
                if n % 10000 == 0:
                    bar.update(10000)
    else:
        batch = []
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            n += 1
            if len(batch) == 5000:
                model.objects.bulk_create(batch)
                bar.update(len(batch))
                batch = []
        model.objects.bulk_create(batch)
    bar.update(n % 10000 if connection.vendor == "postgresql" else len(batch))
    bar.close()
    return n
