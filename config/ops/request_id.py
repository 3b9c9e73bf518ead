"""A request id on every request: the one the proxy or the client sent in X-Request-ID when it looks like an
id, else a new one; echoed in the answer's X-Request-ID, bound to every log line written while the request is
served (config.ops.logs) and carried into the Celery jobs it queues (config.ops.signals)."""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from django.conf import settings

log = logging.getLogger("reform.request")

HEADER = "X-Request-ID"
# Letters, digits and . _ : - up to 128: a UUID, a hex trace id, nginx's $request_id. Anything else (spaces,
# quotes, newlines, a kilobyte of text) is not written into our logs: a new id is made instead.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_from(value: str | None) -> str:
    """The id to use for a request that sent `value` in X-Request-ID."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every answer (a redirect, a refusal, an error page) carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            if settings.LOG_REQUESTS:
                # The path only: a query string may carry a token or a search a person typed.
                log.info(
                    "request",
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            structlog.contextvars.clear_contextvars()
