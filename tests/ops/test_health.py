"""/health/ against the real database, Redis cache and broker: OK when everything answers and the periodic
jobs ran lately; unhealthy with the reason when the reminder cycle or the beat stopped, or the broker is
unreachable; and the heartbeats written by the jobs themselves on a real worker."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from django.test import Client
from django.utils import timezone

from config.celery import app
from config.ops import heartbeats
from config.ops.models import Heartbeat, TimingBucket
from tests import factories
from tests.faults.conftest import broker_at
from tests.polling import wait_for

from .conftest import closed_port, scrape

pytestmark = pytest.mark.django_db

SET = """
code: OPS-2026
name: Bộ tiêu chí thử vận hành
year: 2026
unit_kind: commune
period: {start: 2025-12-15, end: 2026-12-14}
criteria:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 100
    children:
      - {code: "1.1", title: Kế hoạch đúng hạn, max: 100, rule: {type: task_on_time}}
"""
CYCLE = "JobAge(job='reminder cycle')"
BEAT = "JobAge(job='beat tick')"
BROKER = "Broker()"


def health(path: str = "/health/", **headers):
    response = Client().get(path, **headers)
    return response.status_code, response


def both_beats(now: dt.datetime | None = None) -> None:
    heartbeats.heartbeat_record(name=heartbeats.REMINDER_CYCLE, now=now)
    heartbeats.heartbeat_record(name=heartbeats.BEAT, now=now)


def test_everything_answers_and_the_jobs_ran_lately(settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")  # the real components
    assert app.conf.broker_url.startswith("redis://")
    both_beats()
    status, response = health("/health/?format=json")
    assert status == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {
        "PlainDatabase(alias='default')",
        "Cache(alias='default')",
        BROKER,
        "Storage(alias='default')",
        CYCLE,
        BEAT,
    }
    assert set(body.values()) == {"OK"}
    # The Accept header gives the same; probes are never cached.
    status, response = health("/health/", HTTP_ACCEPT="application/json")
    assert status == 200 and set(response.json().values()) == {"OK"}
    assert "no-cache" in response["Cache-Control"]


def test_a_stopped_reminder_cycle_is_unhealthy_with_its_age(settings, caplog):
    settings.HEALTH_REMINDER_CYCLE_MAX_AGE = 45 * 60
    now = timezone.now()
    heartbeats.heartbeat_record(name=heartbeats.BEAT, now=now)
    heartbeats.heartbeat_record(name=heartbeats.REMINDER_CYCLE, now=now - dt.timedelta(hours=3, minutes=5))
    status, response = health("/health/?format=json")
    assert status == 503
    body = response.json()
    assert body[CYCLE] == (
        "Unavailable: reminder cycle last completed 3 h 5 min ago, more than 45 min "
        "(every 15 minutes: is celery beat running, and a worker?)"
    )
    assert body[BEAT] == "OK"
    assert [k for k, v in body.items() if v != "OK"] == [CYCLE]
    # A failing probe is not logged as a server error (nor sent to Sentry) at every probe; its cause is.
    assert not [r for r in caplog.records if r.name == "django.request"]
    assert any("reminder cycle last completed" in r.getMessage() for r in caplog.records)
    # Within the limit it is fine again: the threshold is the setting.
    settings.HEALTH_REMINDER_CYCLE_MAX_AGE = 4 * 3600
    assert health("/health/?format=json")[0] == 200


def test_a_beat_that_never_ticked_is_unhealthy_and_the_probes_that_do_not_need_it_stay_ok():
    heartbeats.heartbeat_record(name=heartbeats.REMINDER_CYCLE)
    status, response = health("/health/?format=json")
    assert status == 503
    assert response.json()[BEAT].startswith("Unavailable: beat tick has not completed yet")
    status, response = health("/health/beat/?format=json")
    assert status == 503 and set(response.json()) == {CYCLE, BEAT}
    # Readiness and liveness do not depend on the beat: a stopped beat must not take the web out.
    status, response = health("/health/ready/?format=json")
    assert status == 200 and BEAT not in response.json()
    status, response = health("/health/live/?format=json")
    assert status == 200 and response.json() == {}


def test_an_unreachable_broker_is_unhealthy_not_a_server_error(settings):
    both_beats()
    port = closed_port()
    url = f"redis://127.0.0.1:{port}/0"
    with broker_at(url):  # the app's broker URL, remembered and restored
        settings.CELERY_BROKER_URL = url
        status, response = health("/health/?format=json")
        text_status, text = health("/health/?format=text")
    assert status == 503
    body = response.json()
    assert body[BROKER] == "Unavailable: broker unreachable"
    assert [k for k, v in body.items() if v != "OK"] == [BROKER]
    # Nothing of the infrastructure leaks: no address, no port, no traceback.
    raw = response.content.decode() + text.content.decode()
    assert str(port) not in raw and "127.0.0.1" not in raw and "Traceback" not in raw
    assert text_status == 503 and f"{BROKER}: Unavailable: broker unreachable" in text.content.decode()


def test_the_demos_file_system_broker_is_healthy(tmp_path):
    """`make run` has no Redis: Celery's file-system broker (settings without REDIS_URL) passes the check,
    and its queue length is counted from its message files."""
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    both_beats()
    old_options = app.conf.broker_transport_options
    app.conf.broker_transport_options = options
    try:
        with broker_at("filesystem://localhost/"):
            status, response = health("/health/?format=json")
            app.send_task("ops.beat_heartbeat")
            queued = scrape()[("reform_celery_queue_length", (("queue", app.conf.task_default_queue),))]
    finally:
        app.conf.broker_transport_options = old_options
    assert status == 200 and response.json()[BROKER] == "OK"
    assert queued == 1
    assert len(list(folders["queue"].iterdir())) == 1


def _close_db(**kwargs):
    connections.close_all()  # the worker thread's connections must not outlive the test


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_jobs_record_their_heartbeats_and_timings_on_a_real_worker(world):
    """The reminder cycle (notifications.plan_reminders) and the beat's heartbeat job, run by a real worker
    from the Redis queue, write the heartbeats /health/ reads; a recompute job adds to the histogram."""
    from scoring import jobs as scoring_jobs

    cs = factories.criteria_set_from(SET)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    assert not Heartbeat.objects.exists()
    assert health("/health/beat/?format=json")[0] == 503
    before = timezone.now()
    task_postrun.connect(_close_db, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            app.send_task("notifications.plan_reminders")
            app.send_task("ops.beat_heartbeat")
            app.send_task(scoring_jobs.RECOMPUTE_UNITS, args=[cs.pk, [world.commune.pk]])

            def recorded():
                """both heartbeats and the recompute's timing are in the database"""
                names = set(Heartbeat.objects.values_list("name", flat=True))
                timed = TimingBucket.objects.filter(series=scoring_jobs.RECOMPUTE_UNITS, le="+Inf", count=1)
                return names == {heartbeats.REMINDER_CYCLE, heartbeats.BEAT} and timed.exists()

            wait_for(recorded, timeout=40)
    finally:
        task_postrun.disconnect(_close_db)
        connections.close_all()
    assert all(hb.at >= before for hb in Heartbeat.objects.all())
    status, response = health("/health/beat/?format=json")
    assert status == 200, json.dumps(response.json())
