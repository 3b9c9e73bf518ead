"""The calendar feed's secret address (issue 13): the token is the only key (no session opens a feed, no
session is needed), it is unguessable (256 random bits), only its owner is shown it, a revoked token reads
exactly like one that never existed, odd input answers 404 and never 500, and the answer tells shared caches
and search engines to keep out."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from notifications import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_feeds():
    cache.clear()
    yield
    cache.clear()


def test_a_session_opens_no_feed_without_its_token(world):
    world.task("in_progress", lead=world.official, title="Việc bí mật của phường")
    client = Client()
    client.force_login(world.official)
    for url in ("/notifications/calendar/", "/notifications/calendar/.ics", "/notifications/calendar/x.ics"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "Việc bí mật của phường" not in r.content.decode()


def test_only_the_owner_is_shown_the_address(world, web):
    token = services.calendar_feed_reset(user=world.official).token
    assert token in web.as_(world.official).get("/notifications/preferences/").content.decode()
    other = Client()
    other.force_login(world.colleague)
    assert token not in other.get("/notifications/preferences/").content.decode()
    assert token not in other.get("/notifications/").content.decode()


def test_a_revoked_token_reads_like_one_that_never_was(world):
    old = services.calendar_feed_reset(user=world.official).token
    services.calendar_feed_reset(user=world.official)
    client = Client()
    revoked = client.get(f"/notifications/calendar/{old}.ics")
    unknown = "Q" * 43
    never = client.get(f"/notifications/calendar/{unknown}.ics")
    assert revoked.status_code == never.status_code == 404

    # The same page, but for the address asked for and the language form's CSRF token.
    def page(r, token):
        text = r.content.decode().replace(token, "T")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)

    assert page(revoked, old) == page(never, unknown)


@pytest.mark.parametrize(
    "tail",
    [
        "%00.ics",
        "..%2F..%2Fetc%2Fpasswd.ics",
        "' OR 1=1 --.ics",
        "A" * 5000 + ".ics",
        "ẞ" * 43 + ".ics",
        "a.ics.ics",
    ],
)
def test_odd_tokens_answer_404_never_500(world, tail):
    services.calendar_feed_reset(user=world.official)
    assert Client().get("/notifications/calendar/" + tail).status_code in (400, 404)


def test_the_answer_keeps_shared_caches_and_robots_out(world):
    token = services.calendar_feed_reset(user=world.official).token
    r = Client().get(f"/notifications/calendar/{token}.ics")
    assert r.status_code == 200
    assert r["Cache-Control"].startswith("private")
    assert "noindex" in r["X-Robots-Tag"]
    assert r["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in r  # a calendar's fetch starts no session
