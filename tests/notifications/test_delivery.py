"""Delivering over the channels: exactly once after a worker dies, SMTP failures retried with backoff then
recorded, the signed webhook, and what the email says."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import json

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, Notification
from notifications.services.delivery import _claim
from tests import factories

from .conftest import at

pytestmark = pytest.mark.django_db

D = dt.date


def overdue_task(world, **kw):
    """Due Wednesday 5/2/2020; on Tuesday 11/2/2020 at 08:00 it is 4 working days overdue."""
    return world.task("in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official, **kw)


def test_a_worker_killed_between_claim_and_send_delivers_exactly_once_after_restart(world):
    overdue_task(world)
    with time_machine.travel(at(2020, 2, 11, 8, 0), tick=False):
        services.reminders_plan()
        # The worker claims the row (committed: state sending) and dies before sending.
        claimed = _claim(Delivery, now=timezone.now(), limit=10)
        assert len(claimed) == 1
        assert Delivery.objects.get().state == "sending"
        # Another worker skips it: it is not pending.
        assert services.deliveries_send().claimed == 0
    with time_machine.travel(at(2020, 2, 11, 8, 10), tick=False):
        assert services.deliveries_requeue_stuck() == 0  # not stuck yet: maybe still sending
        assert services.deliveries_send().claimed == 0
    assert mail.outbox == []
    with time_machine.travel(at(2020, 2, 11, 8, 16), tick=False):
        assert services.deliveries_requeue_stuck() == 1
        result = services.deliveries_send()
        assert len(result.sent) == 1
        assert services.deliveries_send().claimed == 0
        assert services.deliveries_requeue_stuck() == 0
    assert len(mail.outbox) == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("sent", 2)
    assert delivery.sent_at == at(2020, 2, 11, 8, 16)


def test_a_failing_smtp_server_is_retried_with_backoff_then_recorded_as_failed(world, smtp):
    server = smtp()  # answers every connection with 421
    overdue_task(world)
    start = at(2020, 2, 11, 8, 0)
    services.reminders_plan(now=start)
    moments = []
    now = start
    for _ in range(services.MAX_ATTEMPTS):
        result = services.deliveries_send(now=now)
        assert result.sent == [] and result.claimed == 1
        moments.append(now)
        delivery = Delivery.objects.get()
        assert "421" in delivery.last_error and delivery.sent_at is None
        if delivery.state == "failed":
            break
        assert delivery.state == "pending"
        # Nothing is sent before the backoff has passed.
        assert services.deliveries_send(now=delivery.next_attempt_at - dt.timedelta(seconds=1)).claimed == 0
        now = delivery.next_attempt_at
    gaps = [b - a for a, b in zip(moments, moments[1:], strict=False)]
    assert gaps == list(services.BACKOFF)
    assert server.connections == services.MAX_ATTEMPTS
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert services.deliveries_send(now=now + dt.timedelta(days=1)).claimed == 0
    # The in-app notification is there all the same.
    assert Notification.objects.filter(recipient=world.official, kind="overdue").exists()


def test_an_smtp_server_back_after_a_failure_gets_the_mail_once(world, smtp):
    server = smtp(refuse=1)
    overdue_task(world)
    start = at(2020, 2, 11, 8, 0)
    services.reminders_plan(now=start)
    assert services.deliveries_send(now=start).retrying
    result = services.deliveries_send(now=start + dt.timedelta(minutes=1))
    assert len(result.sent) == 1
    assert len(server.messages) == 1
    message = email.message_from_bytes(server.messages[0])
    assert message["To"] == "official@example.vn"
    assert Delivery.objects.get().state == "sent"


def test_the_webhook_is_signed_json_and_retried_with_backoff(world, webhook):
    hook = webhook(503)  # down once, then accepts
    task = overdue_task(world)
    start = at(2020, 2, 11, 8, 0)
    services.reminders_plan(now=start)
    hooks = Delivery.objects.filter(channel="webhook")
    assert hooks.count() == 1  # the lead official; the email goes alongside
    services.deliveries_send(now=start)
    failed = hooks.get()
    assert failed.state == "pending" and "503" in failed.last_error
    assert failed.next_attempt_at == start + dt.timedelta(minutes=1)
    services.deliveries_send(now=start + dt.timedelta(minutes=1))
    assert hooks.get().state == "sent"
    assert len(hook.requests) == 2
    headers, body = hook.requests[-1]
    expected = "sha256=" + hmac.new(b"bi-mat-chung", body, hashlib.sha256).hexdigest()
    assert headers["X-Reform-Signature"] == expected
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert payload["kind"] == "overdue" and payload["task"] == task.pk
    assert payload["url"] == f"https://cchc.example.vn/tasks/{task.pk}/"
    assert payload["recipient"]["username"] == "official"
    assert "quá hạn 4 ngày làm việc" in payload["title"]


def test_a_webhook_that_refuses_for_good_is_failed_at_once(world, webhook):
    webhook(404)
    overdue_task(world)
    services.reminders_plan(now=at(2020, 2, 11, 8, 0))
    services.deliveries_send(now=at(2020, 2, 11, 8, 0))
    delivery = Delivery.objects.get(channel="webhook")
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert "404" in delivery.last_error


def test_the_email_says_which_task_which_plan_the_due_date_how_late_and_links_to_it(world):
    task = overdue_task(world, title="Công bố TTHC mới")
    services.reminders_plan(now=at(2020, 2, 11, 8, 0))
    services.deliveries_send(now=at(2020, 2, 11, 8, 0))
    (message,) = mail.outbox
    assert message.to == ["official@example.vn"]
    assert message.subject == "[Nhắc việc] Công bố TTHC mới — quá hạn 4 ngày làm việc"
    for text in (
        "Nhiệm vụ: Công bố TTHC mới",
        "Kế hoạch: 36/KH-UBND — Kế hoạch kỷ luật, kỷ cương hành chính",
        "Đơn vị thực hiện: Phường Đồng Tâm",
        "Hạn hoàn thành: 05/02/2020",
        "Đã quá hạn 4 ngày làm việc.",
        f"https://cchc.example.vn/tasks/{task.pk}/",
    ):
        assert text in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and f'<a href="https://cchc.example.vn/tasks/{task.pk}/">' in html
    assert message.extra_headers["Message-ID"].startswith("<notification-")


def test_english_by_the_users_preference(world):
    world.official.language = "en"
    world.official.save()
    overdue_task(world, title="Publish procedures")
    services.reminders_plan(now=at(2020, 2, 11, 8, 0))
    services.deliveries_send(now=at(2020, 2, 11, 8, 0))
    (message,) = mail.outbox
    assert message.subject == "[Reminder] Publish procedures — 4 working days overdue"
    assert "Plan: 36/KH-UBND" in message.body and "Due date: 05/02/2020" in message.body
    assert "4 working days overdue." in message.body
    # The commune leader (no preference) reads Vietnamese in the same cycle.
    assert Notification.objects.get(recipient=world.official).title.startswith("[Reminder]")


def test_email_off_keeps_the_in_app_notification_only(world):
    from notifications.services import preference_set

    preference_set(user=world.official, email_mode="off")
    overdue_task(world)
    services.reminders_plan(now=at(2020, 2, 11, 8, 0))
    services.deliveries_send(now=at(2020, 2, 11, 8, 0))
    assert Notification.objects.filter(recipient=world.official).count() == 1
    assert not Delivery.objects.exists() and mail.outbox == []


def test_a_user_without_an_email_address_still_sees_it_in_the_app(world):
    nomail = factories.user("nomail", memberships=[(world.commune, "official")])
    nomail.email = ""
    nomail.save()
    world.task("in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9), lead=nomail)
    services.reminders_plan(now=at(2020, 2, 11, 8, 0))
    assert Notification.objects.filter(recipient=nomail).count() == 1
    assert not Delivery.objects.filter(notification__recipient=nomail).exists()
