"""Small template helpers of the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def get(mapping, key):
    """{{ labels|get:event.action }}"""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key


@register.simple_tag
def days_from(today: dt.date, day: dt.date | None):
    """Calendar days from `today` to `day` (negative when `day` is past)."""
    if not today or not day:
        return None
    return (day - today).days


@register.filter
def absval(value):
    try:
        return abs(value)
    except TypeError:
        return value


@register.simple_tag
def nav_roles(user) -> set[str]:
    """The roles the user holds anywhere (memberships are cached on the user), for the menu."""
    from org.selectors import user_roles

    if not getattr(user, "is_authenticated", False):
        return set()
    return user_roles(user)


@register.filter
def signed(value):
    """+1.25 / −0.5 / 0: a delta with its sign (the minus is the typographic one)."""
    try:
        number = Decimal(str(value))
    except (TypeError, ValueError, ArithmeticError):
        return value
    text = number_format(abs(number), 2)
    return f"+{text}" if number > 0 else f"−{text}" if number < 0 else "0"
