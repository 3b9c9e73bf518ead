"""The Zalo (ZNS) and brandname SMS channels, against loopback servers that speak their request and answer
shapes: opt-in and the Vietnamese number, planned once, the token refreshed on -124, throttling retried
later, permanent errors failed and shown, a gateway that is down retried, exactly once after a crash."""

from __future__ import annotations

import datetime as dt
import json
import socket
import urllib.parse

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from notifications import channels, services
from notifications.models import Delivery, NotificationPreference, ZaloToken
from notifications.phones import display_vn_mobile, normalize_vn_mobile
from notifications.services.delivery import THROTTLED_WAIT, _claim

from .conftest import SMS_SEND, ZALO_MESSAGE, ZALO_TOKEN, at

pytestmark = pytest.mark.django_db

D = dt.date
START = at(2020, 2, 11, 8, 0)  # the task below is 4 working days overdue: one "overdue" reminder
OK_ZALO = (
    200,
    {"error": 0, "message": "Success", "data": {"msg_id": "zmsg-1", "sent_time": "1581382800000"}},
)
OK_SMS = (200, {"code": "100", "message": "Accepted", "id": "sms-1"})


def overdue_task(world):
    return world.task("in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official)


def opt_in(user, *, phone="0912 345 678", zalo=True, sms=True):
    return services.preference_phone_channels_set(user=user, phone=phone, zalo=zalo, sms=sms)


def by_channel():
    return {d.channel: d for d in Delivery.objects.all()}


# --- the number ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "(+84) 912-345-678",
    ],
)
def test_vietnamese_mobile_numbers_in_every_usual_form_normalize_to_84(raw):
    assert normalize_vn_mobile(raw) == "84912345678"


@pytest.mark.parametrize("prefix", ["03", "05", "07", "08", "09"])
def test_every_mobile_prefix_is_accepted(prefix):
    assert normalize_vn_mobile(prefix + "12345678") == "84" + prefix[1:] + "12345678"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("0241234567", "prefix"),  # a Hà Nội landline
        ("0112345678", "prefix"),
        ("091234567", "length"),  # nine digits
        ("09123456789", "length"),
        ("849123456789", "length"),
        ("+1 650 555 0100", "country"),
        ("0912a45678", "digits"),
        ("", "required"),
    ],
)
def test_other_numbers_are_refused_with_a_reason(raw, code):
    with pytest.raises(ValidationError) as exc:
        normalize_vn_mobile(raw)
    assert exc.value.code == code and exc.value.messages[0]


def test_the_number_is_shown_in_the_national_form():
    assert display_vn_mobile("84912345678") == "0912 345 678"


def test_the_database_refuses_an_unnormalized_number_and_an_opt_in_without_one(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        NotificationPreference.objects.create(user=world.official, phone="0912345678")
    with pytest.raises(IntegrityError), transaction.atomic():
        NotificationPreference.objects.create(user=world.official, phone="", sms_enabled=True)


def test_the_sms_text_is_unaccented_one_segment_and_keeps_the_link_whole():
    url = "https://cchc.example.vn/tasks/12/"
    text = channels.sms_text("Quá hạn: Nhiệm vụ “Rà soát thủ tục” của Đơn vị Xã Đồng Tâm", url)
    assert text == "Qua han: Nhiem vu Ra soat thu tuc cua Don vi Xa Dong Tam " + url
    long = channels.sms_text("Nhắc hạn " * 40, url)
    assert len(long) <= channels.SMS_MAX_CHARS and long.endswith("... " + url)
    assert all(ord(c) < 128 for c in long)


# --- planning ------------------------------------------------------------------------------------------


def test_no_zalo_or_sms_delivery_without_opt_in_or_without_a_number(world, gateway):
    gateway({ZALO_MESSAGE: [OK_ZALO], SMS_SEND: [OK_SMS]})
    overdue_task(world)
    opt_in(world.official, phone="0912345678", zalo=False, sms=False)  # a number, no opt-in
    services.reminders_plan(now=START)
    assert set(by_channel()) == {"email"}


def test_opted_in_users_get_one_zalo_and_one_sms_delivery_however_often_planning_runs(world, gateway):
    gateway({ZALO_MESSAGE: [OK_ZALO], SMS_SEND: [OK_SMS]})
    overdue_task(world)
    opt_in(world.official)
    services.reminders_plan(now=START)
    services.reminders_plan(now=START + dt.timedelta(minutes=15))
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["email", "sms", "zalo"]


def test_channels_not_configured_plan_nothing_even_for_opted_in_users(world, settings):
    overdue_task(world)
    opt_in(world.official)  # the gateways are not configured (the autouse fixture)
    services.reminders_plan(now=START)
    assert set(by_channel()) == {"email"}


def test_turning_a_channel_off_skips_what_waited_for_it(world, gateway):
    gateway({ZALO_MESSAGE: [OK_ZALO], SMS_SEND: [OK_SMS]})
    overdue_task(world)
    opt_in(world.official)
    services.reminders_plan(now=START)
    opt_in(world.official, zalo=True, sms=False)
    assert by_channel()["sms"].state == "skipped"
    assert by_channel()["zalo"].state == "pending"


# --- Zalo ----------------------------------------------------------------------------------------------


def test_a_zalo_template_message_is_sent_in_the_documented_shape_and_marked_sent(world, gateway):
    stub = gateway({ZALO_MESSAGE: [OK_ZALO]})
    task = overdue_task(world)
    opt_in(world.official, sms=False)
    services.reminders_plan(now=START)
    result = services.deliveries_send(now=START)
    zalo = by_channel()["zalo"]
    assert (zalo.state, zalo.attempts, zalo.sent_at) == ("sent", 1, START)
    assert any(label.startswith("Zalo") for label in result.sent)
    [(headers, body)] = stub.posted(ZALO_MESSAGE)
    assert headers["access_token"] == "tok-1"
    message = json.loads(body)
    assert message["phone"] == "84912345678"
    assert message["template_id"] == "301"  # the overdue notice's template
    assert message["tracking_id"] == str(zalo.pk)
    assert message["template_data"]["due_date"] == "05/02/2020"
    assert message["template_data"]["link"].endswith(f"/tasks/{task.pk}/")
    assert message["template_data"]["title"] == zalo.notification.title[:100]


def _token_server(calls: list):
    """The oauth endpoint: trades the current refresh token (single use) for a new pair."""
    current = {"refresh": "ref-1", "n": 1}

    def answer(headers, body):
        form = urllib.parse.parse_qs(body.decode())
        calls.append((headers, form))
        if form.get("refresh_token") != [current["refresh"]] or headers.get("secret_key") != "khoa-bi-mat":
            return 200, {"error": -14014, "error_description": "Invalid refresh token"}
        current["n"] += 1
        current["refresh"] = f"ref-{current['n']}"
        return 200, {
            "access_token": f"tok-{current['n']}",
            "refresh_token": current["refresh"],
            "expires_in": "90000",
        }

    return answer


def _zalo_server(valid: set):
    def answer(headers, body):
        if headers.get("access_token") not in valid:
            return 200, {"error": -124, "message": "Access token is invalid or expired"}
        return OK_ZALO

    return answer


def test_an_expired_token_is_refreshed_once_then_the_message_is_sent(world, gateway):
    calls = []
    stub = gateway({ZALO_MESSAGE: _zalo_server({"tok-2"}), ZALO_TOKEN: _token_server(calls)})
    overdue_task(world)
    opt_in(world.official, sms=False)
    services.reminders_plan(now=START)
    services.deliveries_send(now=START)
    assert by_channel()["zalo"].state == "sent"
    [(headers, form)] = calls
    assert form == {"refresh_token": ["ref-1"], "app_id": ["app-123"], "grant_type": ["refresh_token"]}
    assert [h["access_token"] for h, _ in stub.posted(ZALO_MESSAGE)] == ["tok-1", "tok-2"]
    token = ZaloToken.objects.get()
    assert (token.access_token, token.refresh_token) == ("tok-2", "ref-2")
    assert token.expires_at == START + dt.timedelta(seconds=90000)


def test_a_refused_refresh_leaves_the_message_to_retry(world, gateway):
    gateway(
        {
            ZALO_MESSAGE: [(200, {"error": -124, "message": "Access token is invalid"})],
            ZALO_TOKEN: [(200, {"error": -14014, "error_description": "Invalid refresh token"})],
        }
    )
    overdue_task(world)
    opt_in(world.official, sms=False)
    services.reminders_plan(now=START)
    services.deliveries_send(now=START)
    zalo = by_channel()["zalo"]
    assert zalo.state == "pending" and "Invalid refresh token" in zalo.last_error
    assert zalo.next_attempt_at == START + services.backoff(1)


@pytest.mark.parametrize(
    "answer",
    [
        (200, {"error": -144, "message": "OA has exceeded the daily quota"}),
        (200, {"error": -133, "message": "ZNS cannot be sent at night"}),
        (429, {"message": "Too many requests"}),
    ],
)
def test_zalo_throttling_is_retried_later_without_using_up_the_attempts(world, gateway, answer):
    stub = gateway({ZALO_MESSAGE: [answer, answer, OK_ZALO]})
    overdue_task(world)
    opt_in(world.official, sms=False)
    services.reminders_plan(now=START)
    services.deliveries_send(now=START)
    zalo = by_channel()["zalo"]
    assert (zalo.state, zalo.attempts, zalo.next_attempt_at) == ("pending", 0, START + THROTTLED_WAIT)
    assert "throttled" in zalo.last_error
    assert services.deliveries_send(now=START + THROTTLED_WAIT - dt.timedelta(seconds=1)).claimed == 0
    services.deliveries_send(now=START + THROTTLED_WAIT)
    services.deliveries_send(now=START + 2 * THROTTLED_WAIT)
    zalo.refresh_from_db()
    assert (zalo.state, zalo.attempts) == ("sent", 1)
    assert len(stub.posted(ZALO_MESSAGE)) == 3


@pytest.mark.parametrize(
    "code, message",
    [(-108, "Phone number is invalid"), (-118, "Zalo account does not exist"), (-109, "Template is invalid")],
)
def test_permanent_zalo_errors_fail_at_once_and_show_in_the_admin(world, gateway, code, message):
    stub = gateway({ZALO_MESSAGE: [(200, {"error": code, "message": message})]})
    overdue_task(world)
    opt_in(world.official, sms=False)
    services.reminders_plan(now=START)
    result = services.deliveries_send(now=START)
    zalo = by_channel()["zalo"]
    assert (zalo.state, zalo.next_attempt_at) == ("failed", None)
    assert zalo.last_error == f"Zalo {code}: {message}"
    assert any(str(code) in f for f in result.failed)
    assert services.deliveries_send(now=START + dt.timedelta(days=1)).claimed == 0
    assert len(stub.posted(ZALO_MESSAGE)) == 1
    admin = Client()
    admin.force_login(world.admin)
    page = admin.get("/admin/notifications/delivery/?state__exact=failed").content.decode()
    assert message in page


# --- SMS -----------------------------------------------------------------------------------------------


def test_an_sms_is_posted_in_the_documented_shape_and_marked_sent(world, gateway):
    stub = gateway({SMS_SEND: [OK_SMS], ZALO_MESSAGE: [OK_ZALO]})
    overdue_task(world)
    opt_in(world.official, zalo=False, phone="+84 912 345 678")
    services.reminders_plan(now=START)
    services.deliveries_send(now=START)
    sms = by_channel()["sms"]
    assert (sms.state, sms.sent_at) == ("sent", START)
    [(headers, body)] = stub.posted(SMS_SEND)
    assert headers["authorization"] == "Bearer sms-key"
    message = json.loads(body)
    assert message["to"] == "84912345678" and message["from"] == "UBND-TINH" and message["ref"] == str(sms.pk)
    assert len(message["text"]) <= 160 and message["text"].isascii()
    assert "qua han" in message["text"]  # unaccented


def test_an_sms_gateway_answering_429_is_retried_later_not_failed(world, gateway):
    stub = gateway(
        {SMS_SEND: [(429, {"code": "429", "message": "slow down"}), OK_SMS], ZALO_MESSAGE: [OK_ZALO]}
    )
    overdue_task(world)
    opt_in(world.official, zalo=False)
    services.reminders_plan(now=START)
    services.deliveries_send(now=START)
    sms = by_channel()["sms"]
    assert (sms.state, sms.attempts, sms.next_attempt_at) == ("pending", 0, START + THROTTLED_WAIT)
    services.deliveries_send(now=START + THROTTLED_WAIT)
    sms.refresh_from_db()
    assert sms.state == "sent" and len(stub.posted(SMS_SEND)) == 2


def test_an_sms_refused_for_good_is_failed_with_the_gateways_reason(world, gateway):
    gateway({SMS_SEND: [(200, {"code": "101", "message": "Invalid phone number"})], ZALO_MESSAGE: [OK_ZALO]})
    overdue_task(world)
    opt_in(world.official, zalo=False)
    services.reminders_plan(now=START)
    services.deliveries_send(now=START)
    sms = by_channel()["sms"]
    assert (sms.state, sms.last_error) == ("failed", "SMS 101: Invalid phone number")


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_gateways_that_are_down_are_retried_with_backoff(world, gateway, settings):
    gateway({SMS_SEND: [OK_SMS], ZALO_MESSAGE: [OK_ZALO]})
    down = f"http://127.0.0.1:{_closed_port()}"
    settings.ZALO_OA_MESSAGE_URL = down + ZALO_MESSAGE
    settings.SMS_GATEWAY_URL = down + SMS_SEND
    overdue_task(world)
    opt_in(world.official)
    services.reminders_plan(now=START)
    services.deliveries_send(now=START)
    for channel in ("zalo", "sms"):
        d = by_channel()[channel]
        assert (d.state, d.attempts, d.next_attempt_at) == ("pending", 1, START + services.backoff(1))
        assert "refused" in d.last_error.lower()


def test_a_send_retried_after_a_crash_reaches_the_gateway_once(world, gateway):
    stub = gateway({SMS_SEND: [OK_SMS], ZALO_MESSAGE: [OK_ZALO]})
    overdue_task(world)
    opt_in(world.official)
    services.reminders_plan(now=START)
    # A worker claims every row (committed) and dies before sending anything.
    assert len(_claim(Delivery, now=START, limit=10)) == 3
    assert services.deliveries_send(now=START).claimed == 0
    later = START + services.STUCK_AFTER + dt.timedelta(minutes=1)
    assert services.deliveries_requeue_stuck(now=later) == 3
    services.deliveries_send(now=later)
    services.deliveries_send(now=later + dt.timedelta(hours=1))  # the job runs again
    services.reminders_plan(now=later)  # and the planner
    assert len(stub.posted(ZALO_MESSAGE)) == 1 and len(stub.posted(SMS_SEND)) == 1
    assert {d.channel: (d.state, d.attempts) for d in Delivery.objects.all()} == {
        "email": ("sent", 2),
        "zalo": ("sent", 2),
        "sms": ("sent", 2),
    }


def test_a_batch_reads_the_numbers_and_the_token_without_a_query_per_delivery(
    world, gateway, django_assert_max_num_queries
):
    gateway({SMS_SEND: [OK_SMS], ZALO_MESSAGE: [OK_ZALO]})
    for _ in range(2):
        overdue_task(world)
    opt_in(world.official)
    services.reminders_plan(now=START)
    assert Delivery.objects.count() == 6
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as six:
        services.deliveries_send(now=START, limit=6)
    for _ in range(3):
        overdue_task(world)
    services.reminders_plan(now=START + dt.timedelta(minutes=15))
    with CaptureQueriesContext(connection) as nine:
        services.deliveries_send(now=START + dt.timedelta(minutes=15), limit=100)
    assert Delivery.objects.filter(state="sent").count() == 15
    # Per delivery only its outcome's update: the same count per row in both batches.
    per_row = (len(nine) - len(six)) / 3
    assert per_row <= 1


# --- the preferences page ------------------------------------------------------------------------------


def test_the_preferences_page_saves_the_number_normalized_and_explains_a_bad_one(world, gateway, web):
    gateway({SMS_SEND: [OK_SMS], ZALO_MESSAGE: [OK_ZALO]})
    client = web.as_(world.official)
    page = client.get("/notifications/preferences/").content.decode()
    assert 'name="phone"' in page and 'name="zalo"' in page and 'name="sms"' in page
    r = client.post(
        "/notifications/preferences/", {"email_mode": "immediate", "phone": "0241234567", "zalo": "on"}
    )
    assert r.status_code == 200
    assert "03, 05, 07, 08" in r.content.decode()
    assert not NotificationPreference.objects.filter(user=world.official).exists()
    r = client.post("/notifications/preferences/", {"email_mode": "immediate", "phone": "", "sms": "on"})
    assert r.status_code == 200 and "Cần số điện thoại" in r.content.decode()
    r = client.post(
        "/notifications/preferences/", {"email_mode": "immediate", "phone": "+84 98 765 4321", "sms": "on"}
    )
    assert r.status_code == 302
    pref = NotificationPreference.objects.get(user=world.official)
    assert (pref.phone, pref.zalo_enabled, pref.sms_enabled) == ("84987654321", False, True)
    assert "0987 654 321" in client.get("/notifications/preferences/").content.decode()


def test_without_the_gateways_the_page_offers_no_phone_fields(world, web):
    page = web.as_(world.official).get("/notifications/preferences/").content.decode()
    assert 'name="phone"' not in page


def test_the_admin_normalizes_a_number_and_names_a_bad_one(world):
    admin = Client()
    admin.force_login(world.admin)
    url = "/admin/notifications/notificationpreference/add/"
    form = {"user": world.official.pk, "email_mode": "immediate", "phone": "0241234567", "sms_enabled": "on"}
    r = admin.post(url, form)
    assert r.status_code == 200 and "03, 05, 07, 08" in r.content.decode()
    r = admin.post(url, {**form, "phone": "0912345678"})
    assert r.status_code == 302
    assert NotificationPreference.objects.get(user=world.official).phone == "84912345678"
