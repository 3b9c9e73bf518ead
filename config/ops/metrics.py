"""/metrics for Prometheus: django-prometheus's request and database metrics, and ours, computed from the
database and the broker at scrape time.

Ours hold no per-process state, so they are right whichever gunicorn worker answers the scrape and however
many Celery workers on however many hosts did the work: each scrape runs a handful of aggregate queries
(the ledger's deliveries by channel and state, the notifications count, the outbox's oldest row, the
heartbeats, the recompute histogram's buckets) and one LLEN per priority of the Celery queue.
django-prometheus's own metrics are per process: under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty
folder per host, config/gunicorn.py clears it) so that every worker's numbers are summed.

Who may scrape: a client whose address is in METRICS_ALLOWED_IPS (addresses or networks; by default the
loopback), or one sending `Authorization: Bearer <METRICS_TOKEN>` when that is set. Anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from config.auth import client_ip_address
from notifications.models import Channel, Delivery, DeliveryState, Notification
from tasks.models import Outbox

from .heartbeats import heartbeat_ages
from .timings import timing_histograms

log = logging.getLogger(__name__)

IN_APP = "in_app"


class ReformCollector:
    """Our metrics, read at scrape time (see the module's docstring)."""

    def collect(self):
        now = timezone.now()
        yield from self._reminders()
        yield from self._queue()
        yield from self._outbox(now)
        yield from self._heartbeats(now)
        yield from self._recompute()

    def _reminders(self):
        """The ledger by channel: in-app (the notification row itself, shown as soon as it is planned) and
        each delivery channel (a Delivery row per notification it carries)."""
        by = {(c, s): 0 for c in Channel.values for s in DeliveryState.values}
        for channel, state, n in (
            Delivery.objects.order_by().values_list("channel", "state").annotate(n=Count("id"))
        ):
            by[(channel, state)] = n
        in_app = Notification.objects.count()
        planned = CounterMetricFamily(
            "reform_reminders_planned",
            "Reminders and notices planned into the ledger, by channel (in_app: every notification).",
            labels=["channel"],
        )
        sent = CounterMetricFamily(
            "reform_reminders_sent",
            "Reminders and notices the channel accepted, by channel.",
            labels=["channel"],
        )
        failed = CounterMetricFamily(
            "reform_reminders_failed",
            "Reminders and notices given up after their retries, by channel.",
            labels=["channel"],
        )
        deliveries = GaugeMetricFamily(
            "reform_deliveries",
            "Deliveries in the ledger now, by channel and state.",
            labels=["channel", "state"],
        )
        planned.add_metric([IN_APP], in_app)
        sent.add_metric([IN_APP], in_app)
        failed.add_metric([IN_APP], 0)
        for channel in Channel.values:
            planned.add_metric([channel], sum(by[(channel, s)] for s in DeliveryState.values))
            sent.add_metric([channel], by[(channel, DeliveryState.SENT)])
            failed.add_metric([channel], by[(channel, DeliveryState.FAILED)])
            for state in DeliveryState.values:
                deliveries.add_metric([channel, state], by[(channel, state)])
        yield from (planned, sent, failed, deliveries)

    def _queue(self):
        """Messages waiting in the Celery queue (Redis: LLEN of the queue's list at each priority; the
        file-system broker of `make run`: its message files)."""
        from config.celery import app

        queue = app.conf.task_default_queue
        gauge = GaugeMetricFamily(
            "reform_celery_queue_length", "Messages waiting in the Celery queue.", labels=["queue"]
        )
        try:
            with app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
                # kombu's own count, the one a passive queue_declare reports (sums the priority lists).
                gauge.add_metric([queue], conn.default_channel._size(queue))
        except Exception:  # noqa: BLE001 — the broker's health is /health/'s business; the rest still serves
            log.warning("metrics: could not read the length of the Celery queue", exc_info=True)
            return
        yield gauge

    def _outbox(self, now):
        row = Outbox.objects.aggregate(n=Count("id"), oldest=Min("created_at"))
        pending = GaugeMetricFamily("reform_outbox_pending", "Task events not yet handed to every receiver.")
        pending.add_metric([], row["n"])
        age = GaugeMetricFamily(
            "reform_outbox_oldest_age_seconds", "Age of the oldest task event still in the outbox (0: empty)."
        )
        age.add_metric([], max(0.0, (now - row["oldest"]).total_seconds()) if row["oldest"] else 0.0)
        yield from (pending, age)

    def _heartbeats(self, now):
        gauge = GaugeMetricFamily(
            "reform_job_last_completed_age_seconds",
            "Seconds since a periodic job last completed (reminder_cycle, beat).",
            labels=["job"],
        )
        for name, age in sorted(heartbeat_ages(now=now).items()):
            gauge.add_metric([name], max(0.0, age))
        yield gauge

    def _recompute(self):
        histogram = HistogramMetricFamily(
            "reform_score_recompute_seconds",
            "Duration of scoring's recompute jobs (each one scores_recompute call), by job.",
            labels=["job"],
        )
        for series, (buckets, total) in sorted(timing_histograms().items()):
            histogram.add_metric([series], buckets=buckets, sum_value=total)
        yield histogram


def _ours() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReformCollector())
    return registry


def metrics_allowed(request) -> bool:
    """True for a client in METRICS_ALLOWED_IPS, or bearing METRICS_TOKEN (config.ops.metrics)."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip(), token):
        return True
    address = client_ip_address(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    for network in settings.METRICS_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            log.error("METRICS_ALLOWED_IPS: %r is not an address or a network", network)
    return False


@require_GET
def metrics_view(request):
    if not metrics_allowed(request):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain; charset=utf-8")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    body = generate_latest(base) + generate_latest(_ours())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
