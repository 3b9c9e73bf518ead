"""Keep tasks' effective due dates in step with the admin calendar table."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from org.models import CalendarDay


@receiver([post_save, post_delete], sender=CalendarDay, dispatch_uid="tasks.calendar_day_changed")
def calendar_day_changed(sender, instance: CalendarDay, **kwargs) -> None:
    from django.db import transaction

    from org.calendar import calendar_changed

    from .services import tasks_refresh_effective_due_dates

    def refresh() -> None:
        calendar_changed()
        tasks_refresh_effective_due_dates(since=instance.date)

    transaction.on_commit(refresh)
