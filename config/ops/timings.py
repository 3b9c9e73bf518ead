"""Job durations as Prometheus histograms kept in the database (`TimingBucket`): each observation is one
UPDATE of the cumulative buckets it falls in, in its own short transaction, so every Celery process on every
host adds to the same histogram and any web process serves it (no per-process state, no multiprocess
directory). Written from Celery's signals (`signals`) around scoring's recompute jobs."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case, F, Q, Value, When

from .models import TimingBucket

# Upper bounds in seconds: a recompute of a few units takes well under a second, a whole national set minutes.
BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def _label(upper: float | None) -> str:
    return "+Inf" if upper is None else repr(float(upper))


@transaction.atomic
def timing_observe(*, series: str, seconds: float) -> None:
    """Count one run of `series` that took `seconds`: +1 in every bucket whose bound it is under, and the
    duration added to the sum (on the +Inf row). The buckets are created on the first observation."""
    seconds = max(0.0, float(seconds))
    in_buckets = TimingBucket.objects.filter(Q(upper__isnull=True) | Q(upper__gte=seconds), series=series)
    changes = {
        "count": F("count") + 1,
        "total_seconds": F("total_seconds")
        + Case(When(upper__isnull=True, then=Value(seconds)), default=Value(0.0)),
    }
    if in_buckets.update(**changes):
        return
    TimingBucket.objects.bulk_create(
        [TimingBucket(series=series, le=_label(u), upper=u) for u in (*BUCKETS, None)], ignore_conflicts=True
    )
    in_buckets.update(**changes)


def timing_histograms() -> dict[str, tuple[list[tuple[str, int]], float]]:
    """series → (cumulative buckets as (le, count) in increasing bounds, +Inf last; sum of the durations)."""
    out: dict[str, tuple[list[tuple[str, int]], float]] = {}
    rows = TimingBucket.objects.values_list("series", "le", "upper", "count", "total_seconds")
    for series, le, upper, count, total in sorted(
        rows, key=lambda r: (r[0], r[2] is None, r[2] if r[2] is not None else 0.0)
    ):
        buckets, total_so_far = out.get(series, ([], 0.0))
        buckets.append((le, count))
        out[series] = (buckets, total if upper is None else total_so_far)
    return out
