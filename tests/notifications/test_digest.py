"""The daily digest at 07:30 on working days: what it carries, once a day, and never empty."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from notifications import services
from notifications.models import Delivery, Digest
from notifications.services import preference_set

from .conftest import at

pytestmark = pytest.mark.django_db

D = dt.date


def cycle(moment):
    with time_machine.travel(moment, tick=False):
        services.reminders_plan()
        services.digests_send()
        services.deliveries_send()


def test_the_digest_carries_everything_since_the_last_one_once(world):
    preference_set(user=world.official, email_mode="digest")
    a = world.task(
        "in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official, title="Việc A"
    )
    b = world.task(
        "in_progress", due=D(2020, 2, 6), now=at(2020, 1, 2, 9), lead=world.official, title="Việc B"
    )
    cycle(at(2020, 2, 5, 8, 0))  # A due today, B due tomorrow: two reminders, held
    assert mail.outbox == []
    assert Delivery.objects.filter(state="digest").count() == 2
    cycle(at(2020, 2, 6, 7, 29))  # not yet
    assert mail.outbox == []
    cycle(at(2020, 2, 6, 7, 30))
    (digest,) = mail.outbox
    assert digest.to == ["official@example.vn"]
    assert digest.subject == "Tóm tắt thông báo ngày 06/02/2020 (2 mục)"
    assert "1. [Nhắc việc] Việc A — đến hạn hôm nay" in digest.body
    assert "2. [Nhắc việc] Việc B — 1 ngày làm việc trước hạn" in digest.body
    assert f"https://cchc.example.vn/tasks/{a.pk}/" in digest.body
    assert f"https://cchc.example.vn/tasks/{b.pk}/" in digest.body
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    # Later the same day: today's 08:00 reminders wait for tomorrow's digest; no second digest today.
    cycle(at(2020, 2, 6, 8, 0))
    cycle(at(2020, 2, 6, 12, 0))
    assert len(mail.outbox) == 1
    assert Digest.objects.get().day == D(2020, 2, 6)
    cycle(at(2020, 2, 7, 7, 30))
    assert len(mail.outbox) == 2
    assert "(2 mục)" in mail.outbox[1].subject
    assert "quá hạn 1 ngày làm việc" in mail.outbox[1].body and "đến hạn hôm nay" in mail.outbox[1].body


def test_an_empty_digest_is_never_sent(world):
    preference_set(user=world.official, email_mode="digest")
    for moment in (at(2020, 2, 6, 7, 30), at(2020, 2, 7, 7, 30), at(2020, 2, 10, 7, 45)):
        cycle(moment)
    assert mail.outbox == [] and not Digest.objects.exists()
    # A digest row left with nothing in it (its items gone) is skipped, not sent.
    Digest.objects.create(
        recipient=world.official, day=D(2020, 2, 10), next_attempt_at=at(2020, 2, 10, 7, 30)
    )
    result = services.deliveries_send(now=at(2020, 2, 10, 7, 31))
    assert result.skipped and result.sent == []
    assert Digest.objects.get().state == "skipped" and mail.outbox == []


def test_no_digest_on_a_day_off_it_waits_for_the_next_working_morning(world):
    preference_set(user=world.official, email_mode="digest")
    world.task("in_progress", due=D(2020, 2, 7), now=at(2020, 1, 2, 9), lead=world.official)
    cycle(at(2020, 2, 7, 8, 0))  # Friday: due today
    cycle(at(2020, 2, 8, 7, 30))  # Saturday
    cycle(at(2020, 2, 9, 7, 30))  # Sunday
    assert mail.outbox == []
    cycle(at(2020, 2, 10, 7, 30))
    assert len(mail.outbox) == 1 and "10/02/2020" in mail.outbox[0].subject


def test_digest_users_and_immediate_users_side_by_side(world):
    preference_set(user=world.official, email_mode="digest")
    world.task("in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9))  # no lead: both officials
    cycle(at(2020, 2, 5, 8, 0))
    assert [m.to for m in mail.outbox] == [["colleague@example.vn"]]
    cycle(at(2020, 2, 6, 7, 30))
    assert [m.to for m in mail.outbox] == [["colleague@example.vn"], ["official@example.vn"]]


def test_switching_from_digest_to_immediate_releases_what_was_held(world):
    preference_set(user=world.official, email_mode="digest")
    world.task("in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official)
    cycle(at(2020, 2, 5, 8, 0))
    assert mail.outbox == []
    with time_machine.travel(at(2020, 2, 5, 9, 0), tick=False):
        preference_set(user=world.official, email_mode="immediate")
        services.deliveries_send()
    assert len(mail.outbox) == 1 and "đến hạn hôm nay" in mail.outbox[0].subject


def test_a_failing_digest_is_retried_and_its_items_are_not_marked_sent(world, smtp):
    preference_set(user=world.official, email_mode="digest")
    world.task("in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official)
    cycle(at(2020, 2, 5, 8, 0))
    server = smtp(refuse=1)
    cycle(at(2020, 2, 6, 7, 30))
    digest = Digest.objects.get()
    assert digest.state == "pending" and "421" in digest.last_error
    assert Delivery.objects.get().state == "digest"
    cycle(at(2020, 2, 6, 7, 31))
    assert Digest.objects.get().state == "sent" and Delivery.objects.get().state == "sent"
    assert len(server.messages) == 1


def test_a_digest_abandoned_with_no_attempts_left_fails_with_what_it_carried(world):
    preference_set(user=world.official, email_mode="digest")
    world.task("in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official)
    cycle(at(2020, 2, 5, 8, 0))
    with time_machine.travel(at(2020, 2, 6, 7, 30), tick=False):
        assert services.digests_send() == 1
    # A worker took it for its last attempt and died before sending.
    Digest.objects.update(state="sending", claimed_at=at(2020, 2, 6, 7, 30), attempts=services.MAX_ATTEMPTS)
    with time_machine.travel(at(2020, 2, 6, 9, 0), tick=False):
        services.deliveries_requeue_stuck()
    assert Digest.objects.get().state == "failed"
    assert Delivery.objects.get().state == "failed"
    assert "abandoned" in Delivery.objects.get().last_error
