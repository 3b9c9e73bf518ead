"""Security headers Django's SecurityMiddleware does not set, a clean answer when the database fails, request
bodies refused by their declared size, and the idle timeout of web sessions."""

from __future__ import annotations

import logging

from django import db
from django.conf import settings
from django.contrib import auth, messages
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import engines, loader
from django.utils import timezone
from django.utils.translation import gettext as _

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


_TOO_LARGE_PAGE = """{% extends "error_base.html" %}{% load i18n %}
{% block title %}{% translate "Tệp quá lớn" %}{% endblock %}
{% block code %}413{% endblock %}
{% block heading %}{% translate "Tệp quá lớn" %}{% endblock %}
{% block body %}<p>{{ message }}</p>{% endblock %}"""


class RequestBodyLimitMiddleware:
    """A request whose body is declared bigger than REQUEST_BODY_MAX_BYTES answers 413 before a byte of it is
    read, so nothing of it is written anywhere (not even to a temporary file). The declared length is all
    there is to check: Django reads a body only up to its CONTENT_LENGTH (a body without one is read as
    empty), and the reverse proxy refuses bigger bodies itself (client_max_body_size)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:  # Django reads a malformed length as no body, and so do we
            length = 0
        if length > settings.REQUEST_BODY_MAX_BYTES:
            return self.too_large(request, length)
        return self.get_response(request)

    def too_large(self, request, length: int) -> HttpResponse:
        log.info("request body of %d bytes refused on %s %s", length, request.method, request.path)
        mb = {"size": length / 1048576, "limit": settings.EVIDENCE_MAX_BYTES / 1048576}
        if request.path.startswith("/api/"):
            message = _("Yêu cầu gửi lên nặng %(size).1f MB; mỗi tệp tối đa %(limit).0f MB.") % mb
            response = JsonResponse({"detail": message}, status=413)
        else:
            message = (
                _(
                    "Yêu cầu gửi lên nặng %(size).1f MB; mỗi tệp tối đa %(limit).0f MB. "
                    "Quay lại trang trước và chọn tệp nhỏ hơn."
                )
                % mb
            )
            try:
                body = engines["django"].from_string(_TOO_LARGE_PAGE).render({"message": message}, request)
            except Exception:  # the error page itself must never fail
                log.exception("the 413 page could not be rendered")
                body = f"<h1>413</h1><p>{message}</p>"
            response = HttpResponse(body, status=413)
        # No "Connection: close" here: WSGI forbids hop-by-hop headers from the application; the server
        # (gunicorn, behind nginx, which has taken in the body) closes or drains the connection itself.
        return response


class SessionIdleTimeoutMiddleware:
    """A web session idle for more than SESSION_IDLE_MINUTES is signed out: its next request is anonymous (a
    page sends the user to sign in, with a message saying why). The last activity is kept in the session and
    written at most once a minute, so a busy user does not cost a session write per request (as
    SESSION_SAVE_EVERY_REQUEST with a short SESSION_COOKIE_AGE would), and the cut-off is decided on the
    server at the minute, whatever the cookie says."""

    KEY = "_last_activity"
    RESOLUTION_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = int(timezone.now().timestamp())
        session = request.session
        if auth.SESSION_KEY in session:  # signed in with a session (API tokens are not sessions)
            last = session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_MINUTES * 60:
                auth.logout(request)
                messages.info(
                    request, _("Phiên làm việc đã hết hạn vì lâu không thao tác. Vui lòng đăng nhập lại.")
                )
            elif last is None or now - last >= self.RESOLUTION_SECONDS:
                session[self.KEY] = now
        response = self.get_response(request)
        # A sign-in just made (the session is new, or cycled): its idle time counts from now.
        if auth.SESSION_KEY in request.session and self.KEY not in request.session:
            request.session[self.KEY] = now
        return response
