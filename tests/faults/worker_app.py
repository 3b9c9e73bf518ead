"""The project's Celery app for the fault tests' worker and beat processes
(`celery -A tests.faults.worker_app worker|beat`), with test-only hooks chosen by environment variables.
Production code is untouched: the hooks wrap its functions in this process only.

- FAULT_NOW: ISO moment the process's clock starts from (it keeps ticking), so reminders fall in the
  sending window whatever day the suite runs.
- FAULT_CLOCK_OFFSET: seconds between the test session's clock and the real one (`session_clock_env()` in
  tests/conftest.py): without FAULT_NOW, the process runs on the session's clock (TEST_NOW).
- FAULT_SCORING_BATCH: units per recompute batch (small, so a small set makes several batches).
- FAULT_HOLD_RECOMPUTE_BATCH=n: the n-th recompute batch announces itself (file `recompute-held` in
  FAULT_SIGNAL_DIR) and waits there forever: the test kills the worker in the middle of the recompute.
- FAULT_PLAN_CHUNK: tasks per reminder-planning chunk (each chunk is its own transaction).
- FAULT_HOLD_PLAN=1: after the first chunk, planning announces itself (`plan-held`) and waits until the test
  creates `plan-release` (e.g. after restarting Redis).
- FAULT_FAST_BEAT=1: a beat schedule of seconds: planning every 2 s, delivery every 1 s.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from pathlib import Path

import django

from config.celery import app

django.setup()

if os.environ.get("FAULT_NOW"):
    import time_machine

    time_machine.travel(dt.datetime.fromisoformat(os.environ["FAULT_NOW"]), tick=True).start()
elif os.environ.get("FAULT_CLOCK_OFFSET"):
    # The test session's clock (TEST_NOW), exactly: the real time shifted by the session's offset, so that
    # what this process writes ("computed at", "sent at") compares rightly with the test's own "now".
    import time_machine

    offset = dt.timedelta(seconds=float(os.environ["FAULT_CLOCK_OFFSET"]))
    time_machine.travel(dt.datetime.now(dt.UTC) + offset, tick=True).start()

_signals = Path(os.environ.get("FAULT_SIGNAL_DIR", "."))

if os.environ.get("FAULT_SCORING_BATCH") or os.environ.get("FAULT_HOLD_RECOMPUTE_BATCH"):
    from scoring.services import recompute as scoring_recompute

    scoring_recompute.BATCH = int(os.environ.get("FAULT_SCORING_BATCH", scoring_recompute.BATCH))
    _hold_at = int(os.environ.get("FAULT_HOLD_RECOMPUTE_BATCH", "0"))
    _batches = {"n": 0}
    _recompute_batch = scoring_recompute._recompute_batch

    @functools.wraps(_recompute_batch)
    def _held_batch(ctx, unit_ids):
        _batches["n"] += 1
        if _batches["n"] == _hold_at:
            (_signals / "recompute-held").touch()
            while True:  # until SIGKILL
                time.sleep(1)
        return _recompute_batch(ctx, unit_ids)

    scoring_recompute._recompute_batch = _held_batch

if os.environ.get("FAULT_PLAN_CHUNK") or os.environ.get("FAULT_HOLD_PLAN"):
    from notifications import services as notification_services
    from notifications.services import planning

    _chunk = int(os.environ.get("FAULT_PLAN_CHUNK", notification_services.CHUNK_SIZE))
    _plan = notification_services.reminders_plan
    _plan_tasks = notification_services.reminders_plan_tasks
    _plan_chunk = planning._plan_chunk
    _chunks = {"n": 0}

    def _chunked_plan(**kwargs):
        kwargs.setdefault("chunk_size", _chunk)
        return _plan(**kwargs)

    def _chunked_plan_tasks(**kwargs):  # the beat job's path for a cycle it does not fan out
        kwargs.setdefault("chunk_size", _chunk)
        return _plan_tasks(**kwargs)

    @functools.wraps(_plan_chunk)
    def _held_chunk(*args, **kwargs):
        _chunks["n"] += 1
        if _chunks["n"] == 2 and os.environ.get("FAULT_HOLD_PLAN"):
            (_signals / "plan-held").touch()
            deadline = time.monotonic() + 120
            while not (_signals / "plan-release").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return _plan_chunk(*args, **kwargs)

    # The entry points where their callers (notifications.tasks, `remind`) look them up; the chunk step
    # where planning calls it.
    notification_services.reminders_plan = _chunked_plan
    notification_services.reminders_plan_tasks = _chunked_plan_tasks
    planning._plan_chunk = _held_chunk

if os.environ.get("FAULT_FAST_BEAT"):
    app.conf.beat_schedule = {
        "fast-plan-reminders": {"task": "notifications.plan_reminders", "schedule": 2.0},
        "fast-deliver": {"task": "notifications.deliver", "schedule": 1.0},
    }

__all__ = ["app"]
