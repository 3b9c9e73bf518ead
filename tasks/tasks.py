"""Celery jobs of the tasks app (thin: they call services)."""

from celery import shared_task

from .events import outbox_dispatch_pending


@shared_task(name="tasks.outbox_dispatch_pending", ignore_result=True, acks_late=True)
def outbox_dispatch_pending_job() -> int:
    return outbox_dispatch_pending()


@shared_task(name="tasks.series_generate_due", ignore_result=True, acks_late=True)
def series_generate_due_job() -> int:
    """Create the recurring series' occurrences due to be created now (idempotent)."""
    from .services import series_generate_due

    return series_generate_due()
