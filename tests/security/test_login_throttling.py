"""Login throttling (django-axes): 5 failed sign-ins for one username from one address lock that pair out
for 15 minutes, on the sign-in page and on POST /api/auth/token/; the right password does not get through
while locked; other users and other addresses are not affected; the lock ends by itself."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
# The message, in English or in Vietnamese (the interface's default language).
LOCKED = ("Too many failed sign-ins", "Đăng nhập sai quá nhiều lần")


def says_locked(text: str) -> bool:
    return any(words in text for words in LOCKED)


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def token(client: APIClient, username: str, password: str, **extra):
    return client.post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


def test_the_sign_in_page_locks_a_username_after_five_failures(world):
    client = Client()
    for _ in range(4):
        response = sign_in(client, "official", "wrong")
        assert response.status_code == 200  # the form again, with its error
    locked = sign_in(client, "official", "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert says_locked(page)
    assert 'name="username"' in page  # still the sign-in page, with its form
    assert locked.headers["Retry-After"] == "900"
    # The right password does not get through while locked …
    assert sign_in(client, "official", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # … another user from the same address, and the same user from another address, still sign in.
    assert sign_in(Client(), "colleague", PASSWORD).status_code == 302
    assert sign_in(Client(REMOTE_ADDR="10.0.0.7"), "official", PASSWORD).status_code == 302
    # The lock ends after 15 minutes.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)):
        assert sign_in(Client(), "official", PASSWORD).status_code == 302


def test_the_token_endpoint_locks_too_and_answers_429_json(world):
    client = APIClient()
    for _ in range(4):
        response = token(client, "leader", "wrong")
        assert response.status_code == 400
        assert "token" not in response.json()
    locked = token(client, "leader", "wrong")
    assert locked.status_code == 429
    assert says_locked(locked.json()["detail"])
    assert token(client, "leader", PASSWORD).status_code == 429  # locked: no token even with the password
    assert token(APIClient(), "colleague", PASSWORD).status_code == 200


def test_failures_on_the_page_and_the_api_add_up(world):
    for _ in range(3):
        sign_in(Client(), "official", "wrong")
    for _ in range(2):
        token(APIClient(), "official", "wrong")
    assert token(APIClient(), "official", PASSWORD).status_code == 429
    assert sign_in(Client(), "official", PASSWORD).status_code == 429


def test_a_success_before_the_limit_starts_the_count_again(world):
    for _ in range(4):
        sign_in(Client(), "official", "wrong")
    assert sign_in(Client(), "official", PASSWORD).status_code == 302
    for _ in range(4):
        assert sign_in(Client(), "official", "wrong").status_code == 200
    assert sign_in(Client(), "official", PASSWORD).status_code == 302
