"""Heartbeats: when each periodic job last completed. Written by the jobs' Celery signals (`signals`), read by
the health checks (`health`) and the metrics (`metrics`)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .models import Heartbeat

REMINDER_CYCLE = "reminder_cycle"  # notifications.plan_reminders completed
BEAT = "beat"  # the beat's heartbeat job (config.tasks.beat_heartbeat) ran on a worker


@transaction.atomic
def heartbeat_record(*, name: str, now: dt.datetime | None = None) -> None:
    """Record that the periodic job `name` completed at `now`: one upsert of its row, safe from any number
    of processes at once (the latest write wins; they all write about the same moment)."""
    now = now or timezone.now()
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=now)], update_conflicts=True, unique_fields=["name"], update_fields=["at"]
    )


def heartbeat_ages(*, now: dt.datetime | None = None) -> dict[str, float]:
    """name → seconds since that job last completed, for every job that ever did."""
    now = now or timezone.now()
    return {name: (now - at).total_seconds() for name, at in Heartbeat.objects.values_list("name", "at")}
