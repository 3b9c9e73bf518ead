"""Celery jobs of the config app (autodiscovered): the beat's heartbeat."""

from celery import shared_task


@shared_task(name="ops.beat_heartbeat", ignore_result=True, time_limit=60, soft_time_limit=50)
def beat_heartbeat() -> bool:
    """Queued by the beat every minute; its completion on a worker is the `beat` heartbeat
    (config.ops.signals), so a stale one means the beat, the broker or every worker stopped."""
    return True
