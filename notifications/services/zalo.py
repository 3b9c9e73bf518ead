"""The Zalo Official Account's access token: read once per batch, refreshed under the token row's lock.

Zalo's refresh tokens are single-use: two workers refreshing with the same one would leave one of them (and
the stored row, if it wrote last) holding a voided pair. So a refresh locks the row (`select_for_update`),
and a worker that finds a token other than the one Zalo refused uses it: another worker refreshed while it
waited."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import channels
from ..models import ZaloToken

log = logging.getLogger("notifications.services")

# A token this close to its expiry is refreshed before it is used.
EXPIRY_MARGIN = dt.timedelta(minutes=5)


def _seeded() -> ZaloToken:
    token, _ = ZaloToken.objects.get_or_create(
        pk=1,
        defaults={
            "access_token": settings.ZALO_OA_ACCESS_TOKEN,
            "refresh_token": settings.ZALO_OA_REFRESH_TOKEN,
        },
    )
    return token


def zalo_token_current(*, now: dt.datetime | None = None) -> str:
    """The access token to send with: the stored one (seeded from the settings on first use), refreshed
    first when it has expired or is about to."""
    now = now or timezone.now()
    token = _seeded()
    if token.expires_at is not None and token.expires_at <= now + EXPIRY_MARGIN:
        return zalo_token_refresh(stale=token.access_token, now=now)
    return token.access_token


@transaction.atomic
def zalo_token_refresh(*, stale: str, now: dt.datetime | None = None) -> str:
    """Replace the access token `stale` (which Zalo refused or which expired) and return the new one. Under
    the row's lock: when the stored token is no longer `stale`, another worker refreshed it meanwhile and
    that one is returned, without spending the refresh token again."""
    now = now or timezone.now()
    _seeded()
    token = ZaloToken.objects.select_for_update().get(pk=1)
    if token.access_token != stale:
        return token.access_token
    if not token.refresh_token:
        raise channels.ChannelError("Zalo: the access token expired and there is no refresh token")
    fresh = channels.zalo_refresh(token.refresh_token)
    token.access_token = fresh.access_token
    token.refresh_token = fresh.refresh_token
    token.expires_at = now + dt.timedelta(seconds=fresh.expires_in) if fresh.expires_in else None
    token.refreshed_at = now
    token.save()
    log.info("Zalo OA access token refreshed (expires in %s s)", fresh.expires_in)
    return token.access_token
