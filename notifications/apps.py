from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Thông báo, nhắc việc")

    def ready(self) -> None:
        from celery.schedules import crontab
        from django.conf import settings

        from . import receivers  # noqa: F401  (queues the notice of each task event)

        # CELERY_TIMEZONE is Asia/Ho_Chi_Minh: the crontabs are local times.
        schedule = {
            "notifications-plan-reminders": {
                "task": "notifications.plan_reminders",
                "schedule": crontab(minute="*/15"),
            },
            "notifications-deliver": {"task": "notifications.deliver", "schedule": 60.0},
            "notifications-requeue-stuck": {"task": "notifications.requeue_stuck", "schedule": 300.0},
            # The job itself checks that the day is a working day.
            "notifications-digests": {
                "task": "notifications.digests",
                "schedule": crontab(hour=7, minute=30),
            },
        }
        for name, entry in schedule.items():
            settings.CELERY_BEAT_SCHEDULE.setdefault(name, entry)
