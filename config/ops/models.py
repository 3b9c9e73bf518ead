"""The rows the health checks and the metrics read: one heartbeat per periodic job, and the buckets of the
job timings. Rows in the database, not per-process counters: every gunicorn and Celery process on every
host writes the same rows, and a scrape or a probe on any web process reads them (nothing to aggregate)."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """When a periodic job last completed (`reminder_cycle`, `beat`), written by `heartbeat_record`."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        app_label = "config"
        verbose_name = "heartbeat"

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"


class TimingBucket(models.Model):
    """One cumulative bucket of a Prometheus histogram of job durations: how many runs of `series` took at
    most `upper` seconds (`upper` NULL: +Inf, every run; that row also carries the sum of the durations)."""

    series = models.CharField(max_length=80)
    le = models.CharField(max_length=20)  # the bucket's label as Prometheus writes it: "0.5", "+Inf"
    upper = models.FloatField(null=True)
    count = models.BigIntegerField(default=0)
    total_seconds = models.FloatField(default=0.0)

    class Meta:
        app_label = "config"
        verbose_name = "timing bucket"
        constraints = [
            models.UniqueConstraint(fields=["series", "le"], name="config_timing_bucket_once"),
        ]

    def __str__(self) -> str:
        return f"{self.series} ≤ {self.le}: {self.count}"
