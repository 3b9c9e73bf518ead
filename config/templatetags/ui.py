"""Small template helpers of the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.http import QueryDict
from django.utils.dateparse import parse_date
from django.utils.formats import date_format, number_format

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


#: Query parameters that choose a page of a list: changing any other parameter (a tab, a filter, a sort)
#: goes back to the first page.
PAGE_PARAMS = ("page",)


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with `changes` made (a value of None or "" removes the parameter), the
    others kept, always starting with "?" (so that `href="{% query tab='open' %}"` is a whole link, and an
    empty query, "?", still clears the current one). Changing anything but the page (`PAGE_PARAMS`)
    drops the page: a new tab or filter opens on its first page. The one way the pages build a tab, pager
    or sort link: `{% query page=page.next_page_number %}`, `{% query tab=key %}`."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    if any(key not in PAGE_PARAMS for key in changes):
        for key in PAGE_PARAMS:
            params.pop(key, None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        elif isinstance(value, list | tuple):
            params.setlist(key, [str(v) for v in value])
        else:
            params[key] = str(value)
    return "?" + params.urlencode()


@register.filter
def day(value):
    """A date as the pages write one (dd/mm/yyyy, `config.formats`): a date, or the ISO date a history
    row keeps in its data ("2026-12-15"); anything else as it is."""
    if isinstance(value, str):
        try:
            value = parse_date(value) or value
        except ValueError:
            return value
    if isinstance(value, dt.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return value
