from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Chấm điểm chỉ số CCHC")

    def ready(self) -> None:
        from celery.schedules import crontab
        from django.conf import settings

        from . import receivers  # noqa: F401

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "scoring-nightly-reconcile",
            {"task": "scoring.reconcile_all", "schedule": crontab(hour=0, minute=30)},
        )
