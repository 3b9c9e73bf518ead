"""Helpers of the operations tests (config.ops): a closed loopback port, a scrape of /metrics parsed, and the
notifications tests' fixtures (mail outbox, the webhook stub, local moments)."""

from __future__ import annotations

import socket

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.notifications.conftest import _fresh_calendar_and_mail, at, webhook  # noqa: F401


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(client: Client | None = None, **headers) -> dict[tuple[str, tuple], float]:
    """GET /metrics as Prometheus would, parsed: (sample name, sorted labels) → value."""
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = "tok-" + "x" * 28
    return settings.METRICS_TOKEN
