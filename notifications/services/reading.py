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


#: Up to this many task ids go in the statement that marks a user's notices of them read.
_IDS_IN_QUERY = 1000


def notifications_mark_task_read(*, user_id: int, task_ids, now: dt.datetime | None = None) -> int:
    """Mark the user's unread notifications about these tasks read: who opens a task's page or takes a step
    on it has seen what they were told about it. One indexed update; returns how many."""
    now = now or timezone.now()
    ids = list(task_ids)
    unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True, created_at__lte=now)
    if len(ids) > _IDS_IN_QUERY:
        # A batch's event (a cascade to every unit: 68,000 tasks): the user's unread notices are read and
        # matched here, rather than sending every task id in the statement (seconds of SQL to write and
        # parse, where the user has a handful of unread notices).
        wanted = set(ids)
        ids_read = [pk for pk, task_id in unread.values_list("pk", "task_id") if task_id in wanted]
        return Notification.objects.filter(pk__in=ids_read, read_at__isnull=True).update(read_at=now)
    return unread.filter(task_id__in=ids).update(read_at=now)


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
