"""Marking notifications read, and each user's choice of how email comes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..models import Channel, Delivery, DeliveryState, EmailMode, Notification, NotificationPreference


def notification_mark_read(
    *, user, notification: Notification, now: dt.datetime | None = None
) -> Notification:
    """Mark one of the user's notifications read (reading it twice keeps the first time)."""
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist
    now = now or timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user, now: dt.datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    now = now or timezone.now()
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now)


def notifications_mark_task_read(*, user_id: int, task_ids, now: dt.datetime | None = None) -> int:
    """Mark the user's unread notifications about these tasks read: who opens a task's page or takes a step
    on it has seen what they were told about it. One indexed update; returns how many."""
    now = now or timezone.now()
    return Notification.objects.filter(
        recipient_id=user_id, read_at__isnull=True, task_id__in=list(task_ids), created_at__lte=now
    ).update(read_at=now)


def preference_set(*, user, email_mode: str) -> NotificationPreference:
    """Choose how email comes: immediate, a daily digest, or none (in-app notifications always)."""
    if email_mode not in EmailMode.values:
        from django.core.exceptions import ValidationError

        raise ValidationError({"email_mode": [f"'{email_mode}' is not one of {', '.join(EmailMode.values)}"]})
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.update_or_create(
            user=user, defaults={"email_mode": email_mode}
        )
        # Email held for a digest not yet gathered follows the new choice, rather than waiting forever.
        held = Delivery.objects.filter(
            notification__recipient=user,
            channel=Channel.EMAIL,
            state=DeliveryState.DIGEST,
            digest__isnull=True,
        )
        if email_mode == EmailMode.IMMEDIATE:
            held.update(state=DeliveryState.PENDING, next_attempt_at=timezone.now())
        elif email_mode == EmailMode.OFF:
            held.update(state=DeliveryState.SKIPPED, last_error="email turned off by the user")
    return pref
