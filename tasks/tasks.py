"""Celery jobs of the tasks app (thin: they call services)."""

from celery import shared_task

from .events import outbox_dispatch_pending


@shared_task(name="tasks.outbox_dispatch_pending", ignore_result=True, acks_late=True)
def outbox_dispatch_pending_job() -> int:
    return outbox_dispatch_pending()
