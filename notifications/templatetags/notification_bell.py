"""`{% latest_notifications as items %}`: the bell menu's latest five notices of the signed-in user (one
query, only on the pages that draw the bell), each with who it is from."""

from __future__ import annotations

from django import template

from ..bell import notice_sender
from ..selectors import notification_list

register = template.Library()

#: How many notices the bell's menu lists; the rest are on the notifications page.
BELL_SIZE = 5


@register.simple_tag(takes_context=True)
def latest_notifications(context) -> list:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = list(notification_list(user=user)[:BELL_SIZE])
    for n in items:
        n.sender = notice_sender(n.kind, n.body)
    return items
