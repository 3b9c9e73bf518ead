"""Reads of dashboards and rankings from a PostgreSQL replica, when DATABASE_REPLICA_URL is set (settings,
"More than one host"; docs/deploy.md).

Explicit, not every read: only the views named in settings.REPLICA_READ_VIEWS (the dashboard and the ranking
pages, whose reads are the heaviest and may be a few seconds old) read from the `replica` alias, and only
inside `replica()`. Everything else, and every write, uses the primary. A user who has just written (any
POST, PUT, PATCH or DELETE answered) is pinned to the primary for REPLICA_PIN_SECONDS by a signed cookie,
so the page they land on after their own change never shows the replica's older state.
"""

from __future__ import annotations

import contextlib
import contextvars
import time

from django.conf import settings
from django.core import signing
from django.db import connections

REPLICA = "replica"
PIN_COOKIE = "primary_pin"
_PIN_SALT = "config.replica.pin"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# True inside `replica()`; False (the primary) everywhere else and whenever the request is pinned.
_reads_from_replica = contextvars.ContextVar("reads_from_replica", default=False)
_pinned = contextvars.ContextVar("pinned_to_primary", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def replica():
    """Reads inside this block go to the replica (when one is configured and the request is not pinned to
    the primary); writes still go to the primary."""
    token = _reads_from_replica.set(True)
    try:
        yield
    finally:
        _reads_from_replica.reset(token)


@contextlib.contextmanager
def primary():
    """Reads inside this block go to the primary, even inside `replica()`."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


class ReplicaRouter:
    """The database router (settings.DATABASE_ROUTERS when a replica is configured)."""

    def db_for_read(self, model, **hints):
        if _reads_from_replica.get() and not _pinned.get() and replica_configured():
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"  # the replica follows the primary's schema by replication


def pinned_until(request) -> float:
    """When the pin of this browser to the primary ends (a Unix time; 0: not pinned)."""
    raw = request.COOKIES.get(PIN_COOKIE)
    if not raw:
        return 0.0
    try:
        return float(signing.get_cookie_signer(salt=_PIN_SALT).unsign(raw))
    except (signing.BadSignature, ValueError):
        return 0.0


class ReplicaMiddleware:
    """Runs the views of settings.REPLICA_READ_VIEWS inside `replica()`, unless the request writes or the
    browser wrote within REPLICA_PIN_SECONDS; after a write, sets the pin cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = request.method not in _SAFE_METHODS
        request.pinned_to_primary = writes or pinned_until(request) > time.time()
        stack = contextlib.ExitStack()
        request._replica_reads = stack
        try:
            response = self.get_response(request)
        finally:
            stack.close()
        if writes and response.status_code < 500:
            until = time.time() + settings.REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                signing.get_cookie_signer(salt=_PIN_SALT).sign(f"{until:.3f}"),
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match and match.view_name in settings.REPLICA_READ_VIEWS and not request.pinned_to_primary:
            # The session and the user come from the primary: a replica a second behind would not yet hold
            # the session of someone who has just signed in.
            if getattr(request, "user", None) is not None:
                request.user.is_authenticated  # noqa: B018  (evaluates the lazy user)
            request._replica_reads.enter_context(replica())
        return None
