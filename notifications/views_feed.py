"""The calendar feed: the secret address itself (no session: Outlook and phone calendars fetch it, the
token is the only key; an unknown or revoked token answers 404), and the two buttons of the preferences
page that make a new address (revoking the old) or turn the feed off. Both buttons POST; a GET of their
address goes back to the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import selectors, services
from .feeds import FEED_CACHE_SECONDS, feed_text_cached
from .links import absolute_url


def feed_path(token: str) -> str:
    return reverse("notifications:calendar_feed", args=[token])


def feed_urls(feed) -> dict | None:
    """The addresses the preferences page shows for a feed: https (Outlook, Google) and webcal (phones)."""
    if feed is None:
        return None
    url = absolute_url(feed_path(feed.token))
    return {"http": url, "webcal": "webcal://" + url.split("://", 1)[-1]}


@require_safe
def calendar_feed(request, token: str):
    feed = selectors.calendar_feed_by_token(token)
    if feed is None:
        raise Http404
    response = HttpResponse(feed_text_cached(feed=feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="han-nhiem-vu.ics"'
    # The address is a secret: not to be kept by shared caches or indexed.
    response["Cache-Control"] = f"private, max-age={FEED_CACHE_SECONDS}"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _back():
    return redirect(reverse("notifications:preferences") + "#calendar-feed")


@login_required
def calendar_feed_reset(request):
    if request.method != "POST":
        return _back()
    had = selectors.calendar_feed_get(user=request.user) is not None
    services.calendar_feed_reset(user=request.user)
    if had:
        messages.success(request, _("Đã tạo đường dẫn lịch mới. Đường dẫn cũ không còn dùng được."))
    else:
        messages.success(request, _("Đã tạo đường dẫn lịch. Sao chép nó vào Outlook hoặc lịch điện thoại."))
    return _back()


@login_required
def calendar_feed_delete(request):
    if request.method != "POST":
        return _back()
    if services.calendar_feed_delete(user=request.user):
        messages.success(request, _("Đã tắt lịch đăng ký. Đường dẫn cũ không còn dùng được."))
    return _back()
