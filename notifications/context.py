"""Template context for the bell in the page header."""

from __future__ import annotations


def unread_count(request) -> dict:
    """`notifications_unread`: the signed-in user's unread notifications (one indexed count), lazily, so
    pages that do not show the bell pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}

    from django.utils.functional import SimpleLazyObject

    from .selectors import notification_unread_count

    return {"notifications_unread": SimpleLazyObject(lambda: notification_unread_count(user=user))}
