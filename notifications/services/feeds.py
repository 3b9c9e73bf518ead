"""Each user's secret calendar feed address (`CalendarFeed`): made on request, revoked by a new one, or
turned off. A user only ever acts on their own feed (the pages pass `request.user`), so there is no one
else's right to check."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ..models import CalendarFeed

#: Random bytes of a feed token: 256 bits, 43 URL-safe characters.
TOKEN_BYTES = 32


def feed_cache_key(token: str) -> str:
    """The cache key of a feed's body (`notifications.feeds`): dropped when its token is revoked."""
    return f"calendar-feed:{token}"


def _forget(token: str | None) -> None:
    if token:
        transaction.on_commit(lambda: cache.delete(feed_cache_key(token)))


@transaction.atomic
def calendar_feed_reset(*, user, now: dt.datetime | None = None) -> CalendarFeed:
    """Give the user a new secret feed address, revoking the one they had (it answers 404 from the commit
    on; calendars subscribed to it stop updating). The first call makes the address."""
    now = now or timezone.now()
    old = CalendarFeed.objects.select_for_update().filter(user=user).first()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    if old is None:
        return CalendarFeed.objects.create(user=user, token=token, created_at=now)
    _forget(old.token)
    old.token, old.created_at = token, now
    old.save(update_fields=["token", "created_at"])
    return old


@transaction.atomic
def calendar_feed_delete(*, user) -> bool:
    """Turn the user's feed off: the address answers 404 and no new one exists until they ask. Returns
    whether there was one."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return False
    _forget(feed.token)
    feed.delete()
    return True
