"""The approval inbox's count, for the top menu."""

from __future__ import annotations

from django import template

from ..selectors import inbox_count as _inbox_count

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_count(context) -> int:
    """How many items wait for the signed-in user's decision (one query, once per request)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_inbox_count"):
        request._inbox_count = _inbox_count(user=user)
    return request._inbox_count
