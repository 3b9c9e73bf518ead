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


if os.environ.get("LOG_FORMAT") == "json":
    from celery.signals import setup_logging

    @setup_logging.connect(weak=False)
    def _django_logging(**kwargs):
        """With JSON logs the workers and the beat log through the settings' LOGGING (config.ops.logs), as
        the web does, instead of Celery's own format."""
        import logging.config

        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
