"""/metrics: refused without an allowed address or the token; our metrics, computed from the real database
and Redis, with the values the real services leave behind (reminders planned and sent through the ledger,
a webhook that refuses, messages in the Celery queue, an old outbox row, the recompute histogram)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from config.celery import app
from config.ops import heartbeats, timings
from notifications import services
from tasks.models import Outbox

from .conftest import at, scrape

pytestmark = pytest.mark.django_db

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def test_refused_without_an_allowed_address_or_the_token(settings, metrics_token):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.20.0.0/16"]
    client = Client()
    assert client.get("/metrics", **OUTSIDE).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **OUTSIDE).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {metrics_token}", **OUTSIDE).status_code == 403
    refused = client.get("/metrics", **OUTSIDE)
    assert b"reform_" not in refused.content and b"django_http" not in refused.content
    # The token, an allowed network, the loopback.
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}", **OUTSIDE).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics").status_code == 200
    # Without a token set, no bearer opens it.
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", **OUTSIDE).status_code == 403


def test_behind_the_proxy_the_forwarded_address_counts(settings):
    settings.TRUSTED_PROXY = True
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    client = Client()
    # The proxy itself is on 127.0.0.1; what matters is the client it forwards.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.20.3.4").status_code == 200


def test_django_prometheus_request_and_database_metrics_are_served():
    Client().get("/health/live/")
    samples = scrape()
    names = {name for name, _ in samples}
    assert "django_http_requests_total_by_method_total" in names
    assert any(name == "django_db_execute_total" for name in names)


def test_reminders_planned_sent_and_failed_by_channel_from_the_ledger(world, webhook):
    webhook(404)  # the chat bridge refuses for good: the webhook deliveries fail at once
    world.task("in_progress", due=dt.date(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official)
    before = scrape()
    moment = at(2020, 2, 11, 8, 0)  # 4 working days overdue
    planned = services.reminders_plan(now=moment).created
    assert planned  # the overdue reminder to the lead official (and whoever else it goes to)
    sent = services.deliveries_send(now=moment)
    after = scrape()

    def delta(name, channel):
        key = (name, (("channel", channel),))
        return after[key] - before.get(key, 0)

    n = len(planned)
    assert delta("reform_reminders_planned_total", "in_app") == n
    assert delta("reform_reminders_planned_total", "email") == n
    assert delta("reform_reminders_planned_total", "webhook") == n
    assert delta("reform_reminders_sent_total", "in_app") == n
    assert delta("reform_reminders_sent_total", "email") == n == len(sent.sent)
    assert delta("reform_reminders_sent_total", "webhook") == 0
    assert delta("reform_reminders_failed_total", "webhook") == n == len(sent.failed)
    assert delta("reform_reminders_failed_total", "email") == 0
    assert after[("reform_deliveries", (("channel", "webhook"), ("state", "failed")))] >= n


def test_the_celery_queue_length_is_the_redis_list_length():
    queue = app.conf.task_default_queue
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    assert scrape()[("reform_celery_queue_length", (("queue", queue),))] == 0
    for _ in range(3):
        app.send_task("ops.beat_heartbeat")  # nobody consumes this test's queue
    try:
        assert scrape()[("reform_celery_queue_length", (("queue", queue),))] == 3
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)


def test_the_outbox_age_is_its_oldest_row():
    empty = scrape()
    assert empty[("reform_outbox_pending", ())] == Outbox.objects.count()
    now = timezone.now()
    Outbox.objects.create(
        payload={"action": "assign", "task_id": 1}, created_at=now - dt.timedelta(minutes=7)
    )
    Outbox.objects.create(payload={"action": "start", "task_id": 1}, created_at=now - dt.timedelta(minutes=1))
    samples = scrape()
    assert samples[("reform_outbox_pending", ())] == empty[("reform_outbox_pending", ())] + 2
    age = samples[("reform_outbox_oldest_age_seconds", ())]
    assert 7 * 60 <= age < 7 * 60 + 30


def test_the_job_ages_and_the_recompute_histogram():
    now = timezone.now()
    heartbeats.heartbeat_record(name=heartbeats.BEAT, now=now - dt.timedelta(seconds=90))
    for seconds in (0.3, 0.4, 2.0):
        timings.timing_observe(series="scoring.recompute_units", seconds=seconds)
    samples = scrape()
    beat_age = samples[("reform_job_last_completed_age_seconds", (("job", "beat"),))]
    assert 90 <= beat_age < 120
    assert ("reform_job_last_completed_age_seconds", (("job", "reminder_cycle"),)) not in samples

    def bucket(le):
        return samples[
            ("reform_score_recompute_seconds_bucket", (("job", "scoring.recompute_units"), ("le", le)))
        ]

    assert bucket("0.25") == 0
    assert bucket("0.5") == 2
    assert bucket("1.0") == 2
    assert bucket("2.5") == 3
    assert bucket("+Inf") == 3
    job = (("job", "scoring.recompute_units"),)
    assert samples[("reform_score_recompute_seconds_count", job)] == 3
    assert samples[("reform_score_recompute_seconds_sum", job)] == pytest.approx(2.7)


def test_a_malformed_content_length_is_counted_as_no_body_not_a_server_error():
    response = Client().generic("POST", "/health/live/", b"", CONTENT_LENGTH="lots")
    assert response.status_code == 405  # the health views answer GET only; the request metrics did not fail
    samples = scrape()
    assert samples[("django_http_requests_body_total_bytes_count", ())] >= 1
