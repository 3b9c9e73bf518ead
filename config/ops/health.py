"""The health checks (django-health-check) behind /health/ and its subsets, for the probes of the province's
IT centre. No sign-in: the answers say only which check is OK or failing and, for the periodic jobs, how
old their last run is; a failure's detail (host names, driver messages) goes to the log, never the answer.

- `/health/`        everything below: the monitoring view;
- `/health/ready/`  database, cache, broker, storage: what a web process needs to serve (a load balancer's
                    or Kubernetes' readiness probe; a stopped beat must not take the web out of service);
- `/health/live/`   nothing external: the process answers (liveness: restarting it cannot fix a database);
- `/health/beat/`   the reminder cycle and the beat tick (the beat container's healthcheck).

Unhealthy answers 503 (the package says 500; a probe reads any non-2xx the same, and 503 is what it means).
JSON with `?format=json` or `Accept: application/json`, plain text with `?format=text`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.urls import path
from django.utils import timezone
from health_check import Cache, Database, Storage
from health_check.base import HealthCheck
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from health_check.views import HealthCheckView

from .heartbeats import BEAT, REMINDER_CYCLE
from .models import Heartbeat

log = logging.getLogger(__name__)


@dataclasses.dataclass
class PlainDatabase(Database):
    """The package's SELECT 1, answering "unavailable" without the driver's message (it names the host)."""

    def run(self):
        try:
            super().run()
        except HealthCheckException as exc:
            log.warning("health: database check failed: %s", exc)
            raise ServiceUnavailable("database unavailable") from exc


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker answers: Redis (a connection and a PING) or, in the embedded default (`make run`),
    the file-system broker's folders."""

    timeout = dt.timedelta(seconds=5)

    def run(self):
        from config.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
        except Exception as exc:  # noqa: BLE001 — any failure to reach it is "unreachable"
            log.warning("health: broker check failed: %r", exc)
            raise ServiceUnavailable("broker unreachable") from exc


def _age_text(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@dataclasses.dataclass
class JobAge(HealthCheck):
    """A periodic job completed recently enough: its heartbeat (config.ops.heartbeats) is younger than the
    setting `max_age_setting` names (seconds)."""

    job: str = "job"
    heartbeat: str = dataclasses.field(default="", repr=False)
    max_age_setting: str = dataclasses.field(default="", repr=False)
    hint: str = dataclasses.field(default="", repr=False)

    async def run(self):
        limit = float(getattr(settings, self.max_age_setting))
        at = await Heartbeat.objects.filter(name=self.heartbeat).values_list("at", flat=True).afirst()
        if at is None:
            log.warning("health: %s has no heartbeat yet", self.job)
            raise ServiceUnavailable(f"{self.job} has not completed yet ({self.hint})")
        age = (timezone.now() - at).total_seconds()
        if age > limit:
            log.warning("health: %s last completed %d s ago (limit %d s)", self.job, age, limit)
            raise ServiceUnavailable(
                f"{self.job} last completed {_age_text(age)} ago, more than {_age_text(limit)} ({self.hint})"
            )


def reminder_cycle() -> JobAge:
    return JobAge(
        job="reminder cycle",
        heartbeat=REMINDER_CYCLE,
        max_age_setting="HEALTH_REMINDER_CYCLE_MAX_AGE",
        hint="every 15 minutes: is celery beat running, and a worker?",
    )


def beat_tick() -> JobAge:
    return JobAge(
        job="beat tick",
        heartbeat=BEAT,
        max_age_setting="HEALTH_BEAT_MAX_AGE",
        hint="every minute: is celery beat running, and a worker?",
    )


class Health(HealthCheckView):
    """The package's view, answering 503 rather than 500 when a check fails."""

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        # A failing probe is not a server error to report: django.request would log (and Sentry record) one
        # per probe. The failing checks' causes are logged above.
        response._has_been_logged = True
        return response


READY = (PlainDatabase, Cache, Broker, Storage)
JOBS = (reminder_cycle, beat_tick)

urlpatterns = [
    path("", Health.as_view(checks=(*READY, *JOBS)), name="health"),
    path("ready/", Health.as_view(checks=READY), name="health-ready"),
    path("live/", Health.as_view(checks=()), name="health-live"),
    path("beat/", Health.as_view(checks=JOBS), name="health-beat"),
]
