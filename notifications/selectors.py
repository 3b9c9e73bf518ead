"""Reads for notifications. A user only ever reads their own notifications: everything a user is shown
starts from `notification_list(user=…)`."""

from __future__ import annotations

import logging

from django.db.models import QuerySet

from .models import EmailMode, Notification, NotificationPreference, ReminderPolicySetting
from .policy import InvalidPolicy, ReminderPolicy

log = logging.getLogger(__name__)


def notification_list(*, user, unread: bool | None = None, kind: str | None = None) -> QuerySet:
    """The user's notifications, newest first; `unread=True` only unread ones, `unread=False` only read."""
    if not user.is_authenticated:
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user).select_related("task", "plan")
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def notification_unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def preference_get(*, user) -> NotificationPreference:
    """The user's preference, or the default (immediate email) unsaved."""
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref or NotificationPreference(user=user, email_mode=EmailMode.IMMEDIATE)


def email_modes(user_ids) -> dict[int, str]:
    """user id → email mode, the default for users without a saved preference."""
    saved = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "email_mode")
    )
    return {uid: saved.get(uid, EmailMode.IMMEDIATE) for uid in user_ids}


def phone_channel_users(user_ids) -> tuple[set[int], set[int]]:
    """Of these users, those who opted into Zalo and those who opted into SMS (with a phone number)."""
    rows = (
        NotificationPreference.objects.filter(user_id__in=user_ids)
        .exclude(phone="")
        .values_list("user_id", "zalo_enabled", "sms_enabled")
    )
    zalo, sms = set(), set()
    for user_id, wants_zalo, wants_sms in rows:
        if wants_zalo:
            zalo.add(user_id)
        if wants_sms:
            sms.add(user_id)
    return zalo, sms


def reminder_policies() -> tuple[ReminderPolicy, dict[int, ReminderPolicy]]:
    """The global policy and the per-plan ones (plan id → policy, over the global one). A row that does
    not validate (edited outside the admin) is logged and ignored, never a reason to send nothing."""
    base = ReminderPolicySetting.global_policy()
    overrides: dict[int, ReminderPolicy] = {}
    for row in ReminderPolicySetting.objects.filter(plan__isnull=False):
        try:
            overrides[row.plan_id] = row.policy(base)
        except InvalidPolicy as exc:
            log.error("the reminder policy of plan %s is invalid, using the global one: %s", row.plan_id, exc)
    return base, overrides


def calendar_feed_get(*, user):
    """The user's calendar feed (secret address), or None when they have not made one."""
    from .models import CalendarFeed

    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_by_token(token: str):
    """The feed a secret address names, with its user (one query by the unique index), or None: unknown,
    revoked, or its user deactivated."""
    from .models import CalendarFeed

    if not token or len(token) > 64:
        return None
    return CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
