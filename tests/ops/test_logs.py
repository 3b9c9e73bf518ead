"""The request id: taken from X-Request-ID when it looks like an id, else made; echoed in the answer; on the
request's JSON log lines (LOG_FORMAT=json); and carried into the Celery jobs the request queues."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re

import pytest
import structlog
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun, task_prerun
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from config.celery import app
from config.ops.logs import logging_config
from config.ops.request_id import request_id_from
from tests.polling import wait_for

pytestmark = pytest.mark.django_db

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_a_sane_request_id_is_echoed_and_anything_else_replaced():
    client = Client()
    sent = "b7f0c1e2-5a4d-4c3b-9e8f-0123456789ab"
    assert client.get("/health/live/", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent
    made = client.get("/health/live/")["X-Request-ID"]
    assert HEX32.fullmatch(made)
    assert client.get("/health/live/")["X-Request-ID"] != made  # one per request
    for hostile in ("a b", 'x"; drop', "x" * 129, "id\nInjected: 1", ""):
        assert HEX32.fullmatch(request_id_from(hostile)), hostile
    # Every kind of answer carries it: a page that redirects to sign-in, a 404, an API refusal.
    for path in ("/my-tasks/", "/no-such-page/", "/api/tasks/"):
        assert client.get(path, HTTP_X_REQUEST_ID="req-42")["X-Request-ID"] == "req-42", path


@pytest.fixture
def json_logs(settings):
    """The logging LOG_FORMAT=json configures (the settings' own dict), its stderr handler writing to a
    buffer this test reads."""
    settings.LOG_REQUESTS = True
    logging.config.dictConfig(logging_config(fmt="json", level="INFO"))
    (handler,) = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    logging.config.dictConfig(django_settings.LOGGING)


def lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_the_request_id_is_on_the_requests_json_log_lines(json_logs):
    response = Client().get("/health/beat/?format=json", HTTP_X_REQUEST_ID="probe-7f3a")
    assert response.status_code == 503  # no heartbeat yet: the check logs why, on the request's id
    records = lines(json_logs.getvalue())
    mine = [r for r in records if r.get("request_id") == "probe-7f3a"]
    assert {r["logger"] for r in mine} >= {"config.ops.health", "reform.request"}
    request_line = next(r for r in mine if r["logger"] == "reform.request")
    assert request_line["event"] == "request"
    assert (request_line["method"], request_line["path"], request_line["status"]) == (
        "GET",
        "/health/beat/",
        503,
    )
    assert request_line["level"] == "info" and request_line["timestamp"].endswith("Z")
    assert "format=json" not in json.dumps(request_line)  # never the query string
    warnings = [r for r in mine if r["logger"] == "config.ops.health"]
    assert {r["level"] for r in warnings} == {"warning"}
    assert {r["event"] for r in warnings} == {
        "health: reminder cycle has no heartbeat yet",
        "health: beat tick has no heartbeat yet",
    }


def test_console_is_the_default_and_a_bad_format_is_refused():
    assert django_settings.LOG_FORMAT == "console"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(fmt="xml", level="INFO")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_queued_during_a_request_carries_its_id_to_the_worker():
    seen: dict = {}

    def capture(sender=None, **kwargs):
        if sender.name == "ops.beat_heartbeat":
            seen.update(structlog.contextvars.get_contextvars())

    def close_db(**kwargs):
        connections.close_all()

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    task_prerun.connect(capture, weak=False)  # after config.ops.signals' own receiver, which binds the ids
    task_postrun.connect(close_db, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            # What a view does while serving the request: the middleware bound the id.
            structlog.contextvars.bind_contextvars(request_id="req-from-web-1")
            try:
                app.send_task("ops.beat_heartbeat")
            finally:
                structlog.contextvars.clear_contextvars()
            wait_for(lambda: seen, timeout=30, what="the job ran")
    finally:
        task_prerun.disconnect(capture)
        task_postrun.disconnect(close_db)
        connections.close_all()
    assert seen["request_id"] == "req-from-web-1"
    assert seen["task_name"] == "ops.beat_heartbeat" and seen["task_id"]
