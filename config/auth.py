"""Login throttling (django-axes) wired for the sign-in page and POST /api/auth/token/."""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.authtoken.views import ObtainAuthToken


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a sign-in while its username and address are locked out. A call without a request comes
    from code on the server (a shell, a command), never from a client, so there is nothing to throttle."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return _(
        "Too many failed sign-ins for this account from your address. Try again in %(minutes)d minutes, "
        "or ask an administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """429 with a message: JSON for the API, the sign-in page (form kept, message on top) for people."""
    message = _lockout_message()
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        from org.forms import SignInForm

        # The sign-in page again, its username kept and the message above the fields.
        form = SignInForm(request, initial={"username": (credentials or {}).get("username", "")})
        form.errors  # noqa: B018  (an unbound form's empty error dict, for the message below)
        form.cleaned_data = {}
        form.add_error(None, message)
        next_url = request.POST.get("next", "") if request.method == "POST" else ""
        response = render(request, "org/login.html", {"form": form, "next": next_url}, status=429)
    response["Retry-After"] = retry_after
    return response


class TokenView(ObtainAuthToken):
    """POST /api/auth/token/ (DRF's), throttled like the sign-in page. DRF authenticates with its own
    request object, on which django-axes marks a locked-out attempt: the mark is handed to the underlying
    request, where AxesMiddleware turns the answer into the 429 of `lockout_response`."""

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        finally:
            for name in ("axes_locked_out", "axes_credentials"):
                if name in request.__dict__:
                    setattr(request._request, name, request.__dict__[name])
