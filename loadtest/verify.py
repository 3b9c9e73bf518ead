"""After the load: nothing lost. Waits (bounded) until the outbox and the worker's queue are empty and the
scores stop moving, then checks that the scores the incremental path left equal a full recompute."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from config.celery import app  # noqa: E402
from criteria.models import CriteriaSet  # noqa: E402
from scoring.services import score_snapshot, scores_recompute  # noqa: E402
from tasks.models import Outbox  # noqa: E402


def snapshot() -> dict:
    return {cs.code: score_snapshot(cs) for cs in CriteriaSet.objects.order_by("code")}


def main() -> int:
    deadline = time.monotonic() + 120
    previous = None
    while time.monotonic() < deadline:
        with app.connection_for_write() as conn:
            queued = conn.default_channel.client.llen(app.conf.task_default_queue)
        current = snapshot()
        if queued == 0 and not Outbox.objects.exists() and current == previous:
            break
        previous = current
        time.sleep(2)
    else:
        print("the queue or the outbox did not drain within 120 s")
        return 1
    for cs in CriteriaSet.objects.all():
        scores_recompute(criteria_set=cs)
    if snapshot() != current:
        print("the scores after the load differ from a full recompute")
        return 1
    print("after the load: outbox empty, queue drained, scores equal a full recompute")
    return 0


if __name__ == "__main__":
    sys.exit(main())
