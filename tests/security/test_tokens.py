"""API tokens (SPEC §1): a token expires API_TOKEN_DAYS after it was issued (then 401, and it is gone);
POST /api/auth/token/logout/ ends the token it is sent with; a password change, through the page, the admin
or any set_password(), and a deactivation end every token of that user. A sign-in that only upgrades the
password's hash ends nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
NEW_PASSWORD = "Moi-mat-khau-2026"


def obtain(username: str, password: str = PASSWORD) -> dict:
    response = APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def works(key: str) -> bool:
    status = with_token(key).get("/api/tasks/").status_code
    assert status in (200, 401), status
    return status == 200


def test_a_token_works_until_it_expires_then_answers_401_and_is_deleted(world):
    issued = timezone.now()
    body = obtain("official")
    key = body["token"]
    assert dt.datetime.fromisoformat(body["expires"]) == Token.objects.get(key=key).created + dt.timedelta(
        days=30
    )
    with time_machine.travel(issued + dt.timedelta(days=29, hours=23)):
        assert works(key)
    with time_machine.travel(issued + dt.timedelta(days=30, minutes=1)):
        response = with_token(key).get("/api/tasks/")
        assert response.status_code == 401
        assert "hết hạn" in response.json()["detail"]  # "expired", in the default language
        assert not Token.objects.filter(key=key).exists()
        # Asking again gives a new token, which works.
        fresh = obtain("official")["token"]
        assert fresh != key and works(fresh)


def test_asking_for_a_token_after_expiry_never_hands_back_the_dead_one(world):
    key = obtain("official")["token"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        fresh = obtain("official")["token"]  # the expired token was not used in between
        assert fresh != key and works(fresh)
        assert not works(key)


def test_the_lifetime_is_the_api_token_days_setting(world, settings):
    settings.API_TOKEN_DAYS = 2
    key = obtain("official")["token"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert works(key)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2, minutes=1)):
        assert not works(key)


def test_logout_ends_the_token_it_is_sent_with(world):
    key = obtain("official")["token"]
    other = obtain("colleague")["token"]
    response = with_token(key).post("/api/auth/token/logout/")
    assert response.status_code == 204
    assert not works(key)
    assert with_token(key).post("/api/auth/token/logout/").status_code == 401
    assert works(other)  # another user's token is untouched


def test_logout_without_a_token_answers_401(world):
    assert APIClient().post("/api/auth/token/logout/").status_code == 401
    client = APIClient()
    client.force_login(world.official)  # a session has no token to end
    assert client.post("/api/auth/token/logout/").status_code in (401, 403)


def test_the_password_page_ends_the_users_tokens(world):
    key = obtain("official")["token"]
    other = obtain("colleague")["token"]
    page = Client()
    page.force_login(world.official)
    response = page.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not works(key)
    assert works(other)
    assert works(obtain("official", NEW_PASSWORD)["token"])


def test_the_admin_password_form_ends_the_users_tokens(world):
    key = obtain("official")["token"]
    admin = Client()
    admin.force_login(world.admin)
    response = admin.post(
        f"/admin/org/user/{world.official.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not works(key)


def test_set_password_anywhere_ends_the_users_tokens(world, monkeypatch):
    key = obtain("official")["token"]
    user = type(world.official).objects.get(pk=world.official.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert not works(key)

    key = obtain("official", NEW_PASSWORD)["token"]
    monkeypatch.setattr("getpass.getpass", lambda *a, **k: "Mat-khau-thu-ba-2026")
    call_command("changepassword", "official", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not works(key)


def test_a_deactivation_ends_the_users_tokens_for_good(world):
    key = obtain("official")["token"]
    user = world.official
    user.is_active = False
    user.save()
    assert not Token.objects.filter(key=key).exists()
    user.is_active = True
    user.save()
    assert not works(key)  # reactivated: the old token does not come back


def test_a_deactivation_in_the_admin_ends_the_users_tokens(world):
    key = obtain("official")["token"]
    admin = Client()
    admin.force_login(world.admin)
    page = admin.get(f"/admin/org/user/{world.official.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions", "is_active")
    }
    data["date_joined_0"], data["date_joined_1"] = (
        timezone.localtime(world.official.date_joined).strftime("%Y-%m-%d %H:%M:%S").split()
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    inline = page.context["inline_admin_formsets"][0].formset
    data.update({f"{inline.prefix}-{k}": v for k, v in inline.management_form.initial.items()})
    for i, f in enumerate(inline.initial_forms):
        m = f.instance
        data.update({f"{inline.prefix}-{i}-{k}": v for k, v in (("id", m.pk), ("user", m.user_id))})
        data.update({f"{inline.prefix}-{i}-{k}": v for k, v in (("unit", m.unit_id), ("role", m.role))})
    response = admin.post(f"/admin/org/user/{world.official.pk}/change/", data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        response.context["errors"],
    )
    world.official.refresh_from_db()
    assert world.official.is_active is False
    assert not Token.objects.filter(key=key).exists()


class QuickPBKDF2(PBKDF2PasswordHasher):
    iterations = 1000


def test_a_sign_in_that_only_upgrades_the_hash_ends_nothing(world, settings):
    """Django re-hashes a password at sign-in when the preferred hasher changed (every Django upgrade raises
    PBKDF2's iterations): same password, so the user's integrations keep their token."""
    key = obtain("official")["token"]
    settings.PASSWORD_HASHERS = [
        "tests.security.test_tokens.QuickPBKDF2",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    before = type(world.official).objects.get(pk=world.official.pk).password
    assert before.startswith("md5$")
    assert (
        Client().post("/accounts/login/", {"username": "official", "password": PASSWORD}).status_code == 302
    )
    assert type(world.official).objects.get(pk=world.official.pk).password.startswith("pbkdf2_sha256$")
    assert works(key)


def test_the_tests_api_fixture_still_signs_in(world, api):
    assert api.as_(world.official).get("/api/tasks/").status_code == 200
