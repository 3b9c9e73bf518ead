"""The beat schedule, declared once: every periodic job of every app, by the task name it runs.

CELERY_TIMEZONE is Asia/Ho_Chi_Minh: the crontabs are local times. No entry parks work in the broker (no
eta, no countdown): each job scans the database rows that are the queue.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # config.ops: the beat's heartbeat (read by /health/ and /metrics).
    "ops-beat-heartbeat": {"task": "ops.beat_heartbeat", "schedule": 60.0},
    # tasks: re-send task events the outbox still holds (broker down, process killed).
    "tasks-outbox-sweep": {"task": "tasks.outbox_dispatch_pending", "schedule": 60.0},
    # tasks: the recurring series' occurrences due to be created (idempotent: one per series, period, unit).
    "tasks-series-generate": {"task": "tasks.series_generate_due", "schedule": crontab(minute=5)},
    # scoring
    "scoring-nightly-reconcile": {"task": "scoring.reconcile_all", "schedule": crontab(hour=0, minute=30)},
    # The assessment round: late self-assessments submitted, round reminders handed to notifications.
    "scoring-round-cycle": {"task": "scoring.round_cycle", "schedule": crontab(minute="*/15")},
    # notifications
    "notifications-plan-reminders": {
        "task": "notifications.plan_reminders",
        "schedule": crontab(minute="*/15"),
    },
    "notifications-deliver": {"task": "notifications.deliver", "schedule": 60.0},
    "notifications-requeue-stuck": {"task": "notifications.requeue_stuck", "schedule": 300.0},
    # The job itself checks that the day is a working day.
    "notifications-digests": {"task": "notifications.digests", "schedule": crontab(hour=7, minute=30)},
}
