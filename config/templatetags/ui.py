"""Small template helpers of the pages."""

from __future__ import annotations

import datetime as dt

from django import template

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
