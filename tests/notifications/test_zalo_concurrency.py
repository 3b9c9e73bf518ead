"""Two workers sending Zalo messages at the same moment, both refused for the expired token: the token is
refreshed once (Zalo's refresh token is single-use: a second refresh with it would be refused), and both
messages go with the new token."""

from __future__ import annotations

import datetime as dt
import threading
import urllib.parse

import pytest
from django.db import connection

from notifications import services
from notifications.models import Delivery, ZaloToken

from .conftest import ZALO_MESSAGE, ZALO_TOKEN, at

pytestmark = pytest.mark.django_db(transaction=True)

START = at(2020, 2, 11, 8, 0)
OK_ZALO = (200, {"error": 0, "message": "Success", "data": {"msg_id": "zmsg"}})


def test_two_workers_refused_for_the_expired_token_refresh_it_once_and_both_send(world, gateway):
    both_refused = threading.Barrier(2, timeout=10)
    refreshes = []
    refresh_token = {"current": "ref-1"}

    def message(headers, body):
        if headers.get("access_token") == "tok-2":
            return OK_ZALO
        both_refused.wait()  # the two workers hold the old token at the same time
        return 200, {"error": -124, "message": "Access token is invalid"}

    def token(headers, body):
        form = urllib.parse.parse_qs(body.decode())
        refreshes.append(form["refresh_token"][0])
        if form["refresh_token"] != [refresh_token["current"]]:
            return 200, {"error": -14014, "error_description": "Invalid refresh token"}
        refresh_token["current"] = "ref-2"
        return 200, {"access_token": "tok-2", "refresh_token": "ref-2", "expires_in": "90000"}

    stub = gateway({ZALO_MESSAGE: message, ZALO_TOKEN: token})
    for _ in range(2):
        world.task("in_progress", due=dt.date(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official)
    services.preference_set(user=world.official, email_mode="off")
    services.preference_phone_channels_set(user=world.official, phone="0912345678", zalo=True, sms=False)
    services.reminders_plan(now=START)
    assert Delivery.objects.filter(channel="zalo").count() == 2
    assert Delivery.objects.count() == 2
    services.zalo_token_current(now=START)  # the row seeded from the settings

    results, errors = [], []

    def worker():
        try:
            results.append(services.deliveries_send(now=START, limit=1))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(len(r.sent) for r in results) == [1, 1]
    assert refreshes == ["ref-1"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    tokens = [h["access_token"] for h, _ in stub.posted(ZALO_MESSAGE)]
    assert sorted(tokens) == ["tok-1", "tok-1", "tok-2", "tok-2"]
    assert ZaloToken.objects.get().refresh_token == "ref-2"
