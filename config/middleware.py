"""Security headers Django's SecurityMiddleware does not set, and a clean answer when the database fails."""

from __future__ import annotations

import logging

from django import db
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader

log = logging.getLogger(__name__)

# The pages need none of these browser features.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # Other sites may not embed our responses (evidence files included) in their pages.
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class DatabaseUnavailableMiddleware:
    """A page whose request lost its database (the server restarted, the connection was cut) answers 503 with
    the error page, which says nothing was done and to try again: the request's transaction was rolled
    back, so that is true. The API answers the same in JSON (config.api.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, db.Error) or isinstance(exception, db.IntegrityError):
            return None
        if isinstance(exception, db.DataError):  # a value PostgreSQL refuses: the input, not the database
            return HttpResponseBadRequest("A value in the request is out of range or not allowed.")
        log.exception("database unavailable during %s %s", request.method, request.path)
        try:
            # Without the request: its context processors would query the database that just failed.
            body = loader.get_template("500.html").render()
        except Exception:  # the error page itself must never fail
            body = "<h1>503</h1>"
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "30"
        return response


class RejectNullBytesMiddleware:
    """A NUL character in the query string is never meaningful input, and PostgreSQL refuses it in any text
    comparison: answer 400 here rather than let a filter reach the database with it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.GET.lists()
        if "\x00" in request.path or any("\x00" in k or any("\x00" in v for v in vs) for k, vs in query):
            message = "The request contains a NUL character."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
