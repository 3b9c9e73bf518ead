"""Web sessions (SPEC §1): a session idle longer than SESSION_IDLE_MINUTES is signed out; a password change
ends every other session of the user (the page it was changed on stays signed in); a deactivation ends every
session, and a reactivation does not bring them back; secure cookies when SECURE_COOKIES is set."""

from __future__ import annotations

import datetime as dt
import runpy

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from org.models import UserSession

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
NEW_PASSWORD = "Moi-mat-khau-2026"


def signed_in(client: Client) -> bool:
    response = client.get("/my-tasks/")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def sign_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302
    return client


def test_a_session_idle_longer_than_a_working_day_is_signed_out(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in("official")
    # Activity keeps it alive: each request moves the idle clock.
    with time_machine.travel(start + dt.timedelta(minutes=479), tick=False):
        assert signed_in(client)
    with time_machine.travel(start + dt.timedelta(minutes=479 * 2), tick=False):
        assert signed_in(client)
    # 481 minutes without a request: signed out, and the sign-in page says why.
    with time_machine.travel(start + dt.timedelta(minutes=479 * 2 + 481), tick=False):
        response = client.get("/my-tasks/", follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/")
        page = response.content.decode()
        assert "lâu không thao tác" in page or "inactivity" in page
        assert "_auth_user_id" not in client.session
        assert not signed_in(client)


def test_the_idle_time_counts_from_the_sign_in(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in("official")
    with time_machine.travel(start + dt.timedelta(minutes=481), tick=False):
        assert not signed_in(client)


def test_the_idle_limit_is_the_session_idle_minutes_setting(world, settings):
    settings.SESSION_IDLE_MINUTES = 10
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in("official")
    with time_machine.travel(start + dt.timedelta(minutes=9), tick=False):
        assert signed_in(client)
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        assert not signed_in(client)


def test_a_password_change_ends_the_users_other_sessions_and_keeps_this_one(world):
    here, laptop, phone = sign_in("official"), sign_in("official"), sign_in("official")
    colleague = sign_in("colleague")
    response = here.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(colleague)
    assert UserSession.objects.filter(user_id=world.official.pk).count() == 1  # only the page's own


def test_a_password_set_elsewhere_ends_every_session(world):
    laptop = sign_in("official")
    user = type(world.official).objects.get(pk=world.official.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert not signed_in(laptop)
    assert not UserSession.objects.filter(user_id=world.official.pk).exists()


def test_a_deactivation_ends_every_session_for_good(world):
    laptop, phone = sign_in("official"), sign_in("official")
    colleague = sign_in("colleague")
    user = world.official
    user.is_active = False
    user.save()
    assert not signed_in(laptop)
    assert not UserSession.objects.filter(user_id=user.pk).exists()
    # Reactivated: the old sessions stay ended; signing in again works.
    user.is_active = True
    user.save()
    assert not signed_in(phone)
    assert signed_in(sign_in("official"))
    assert signed_in(colleague)


def test_an_inactive_user_cannot_sign_in(world):
    world.official.is_active = False
    world.official.save()
    response = Client().post("/accounts/login/", {"username": "official", "password": PASSWORD})
    assert response.status_code == 200  # the form again
    assert "_auth_user_id" not in Client().session


def test_the_session_row_knows_its_user(world):
    client = sign_in("official")
    row = UserSession.objects.get(session_key=client.cookies[django_settings.SESSION_COOKIE_NAME].value)
    assert row.user_id == world.official.pk
    client.post("/accounts/logout/")
    assert not UserSession.objects.filter(user_id=world.official.pk).exists()


@pytest.mark.parametrize("value, secure", [("1", True), ("0", False)])
def test_secure_cookies_follow_the_setting(monkeypatch, value, secure):
    monkeypatch.setenv("SECURE_COOKIES", value)
    monkeypatch.setenv("DEBUG", "0")
    values = runpy.run_path(str(django_settings.BASE_DIR / "config" / "settings.py"))
    assert values["SESSION_COOKIE_SECURE"] is secure
    assert values["CSRF_COOKIE_SECURE"] is secure
    assert values["SESSION_IDLE_MINUTES"] == 480
