"""Signing in to the API and the pages: expiring API tokens and their sign-out (SPEC §1), login throttling
(django-axes) for the sign-in page and POST /api/auth/token/, and the client address it counts."""

from __future__ import annotations

import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from org import accounts
from org.api.authentication import ExpiringTokenAuthentication


def client_ip_address(request) -> str | None:
    """The address a sign-in attempt is counted against (AXES_CLIENT_IP_CALLABLE). Behind our reverse proxy
    (TRUSTED_PROXY) the last X-Forwarded-For entry, the one the proxy wrote; else REMOTE_ADDR, because a
    client reaching us directly could write any X-Forwarded-For and pick a fresh address for every try."""
    remote = request.META.get("REMOTE_ADDR")
    if not settings.TRUSTED_PROXY:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:  # no header, or not an address: the proxy's own
        return remote


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
        "Đăng nhập sai quá nhiều lần với tài khoản này từ địa chỉ của bạn. Hãy thử "
        "lại sau %(minutes)d phút, hoặc nhờ quản trị viên mở khóa."
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


_TOKEN = inline_serializer(
    "ApiToken", {"token": serializers.CharField(), "expires": serializers.DateTimeField()}
)


class TokenView(ObtainAuthToken):
    """POST /api/auth/token/: the user's token (DRF's) and when it expires; a new one once it expired.
    Throttled like the sign-in page. DRF authenticates with its own request object, on which django-axes
    marks a locked-out attempt: the mark is handed to the underlying request, where AxesMiddleware turns the
    answer into the 429 of `lockout_response`."""

    @extend_schema(responses={200: _TOKEN})
    def post(self, request, *args, **kwargs):
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            token = accounts.api_token_issue(user=serializer.validated_data["user"])
            return Response({"token": token.key, "expires": accounts.api_token_expires_at(token)})
        finally:
            for name in ("axes_locked_out", "axes_credentials"):
                if name in request.__dict__:
                    setattr(request._request, name, request.__dict__[name])


class TokenLogoutView(APIView):
    """POST /api/auth/token/logout/: ends the token the request is sent with (204); it answers 401 after.
    Only a token signs this request in: a session has no token to end."""

    authentication_classes = [ExpiringTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="End the API token this request is sent with")
    def post(self, request, *args, **kwargs):
        accounts.api_token_end(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
