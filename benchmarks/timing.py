"""What the benchmark parts share to time a statement or a service: wall-clock timings, a function timed
to the end of its own commit, a raw statement."""

from __future__ import annotations

import time

from django.db import connection, transaction


def timed(fn) -> float:
    """Seconds `fn()` takes (a service that commits itself is timed to its commit)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def committed(fn) -> float:
    """`fn` in a transaction of its own, timed to the end of its commit (as the real paths are)."""
    t0 = time.perf_counter()
    with transaction.atomic():
        fn()
    return time.perf_counter() - t0


def execute(sql: str, params=None) -> int:
    """Run one statement; its row count."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
