"""Sign-in writes: API tokens (issued, ended, expired) and signing a user out everywhere (SPEC §1).

API tokens are DRF's (`rest_framework.authtoken`, one per user); a token expires API_TOKEN_DAYS after it
was issued (`Token.created`). Web sessions are `org.UserSession` rows, which know their user.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from .models import User, UserSession


def api_token_expires_at(token: Token) -> dt.datetime:
    """When a token stops being accepted."""
    return token.created + dt.timedelta(days=settings.API_TOKEN_DAYS)


def api_token_is_expired(token: Token, *, now: dt.datetime | None = None) -> bool:
    return api_token_expires_at(token) <= (now or timezone.now())


@transaction.atomic
def api_token_issue(*, user: User, now: dt.datetime | None = None) -> Token:
    """The user's API token: the one they hold while it is valid, else a new one (an expired token is
    deleted first, so a client that asks again after expiry gets a fresh token, not the dead one)."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and api_token_is_expired(token, now=now):
        token.delete()
        token = None
    if token is None:
        token, _created = Token.objects.get_or_create(user=user)
    return token


def api_token_end(*, token: Token) -> None:
    """End one API token (sign-out of the client that holds it, or its expiry)."""
    Token.objects.filter(pk=token.pk).delete()


@transaction.atomic
def user_sign_out_everywhere(*, user: User) -> int:
    """End every API token and every web session of a user: on a password change and on a deactivation
    (`org.receivers`, whatever path made the change). The password page keeps the session it was changed
    from (Django's `update_session_auth_hash` saves it again under a new key). Returns what was ended."""
    tokens, _ = Token.objects.filter(user_id=user.pk).delete()
    sessions, _ = UserSession.objects.filter(user_id=user.pk).delete()
    return tokens + sessions
