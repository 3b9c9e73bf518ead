"""The one Celery app (`celery -A config worker|beat`). Settings come from Django's, prefixed CELERY_; the
beat schedule from config/schedule.py, its one declaration."""

import os

from celery import Celery

from .schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()
