"""`manage.py generate_load --units N --tasks M`: a national-scale synthetic data set for benchmarks, written
by `config.loadgen` (see there for its shape)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from config.loadgen import MIN_UNITS, load_generate, scores_compute, steady_state
from org.models import Unit


class Command(BaseCommand):
    help = (
        "Generate a national-scale synthetic data set (units, users, plans, tasks, evidence) for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=3400, help="scored units and above (default 3400)")
        parser.add_argument("--tasks", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--year", type=int, default=None, help="default: the current year")
        parser.add_argument("--no-scores", action="store_true", help="skip the initial full score recompute")

    def handle(self, *args, units: int, tasks: int, seed: int, year: int | None, no_scores: bool, **options):
        if units < MIN_UNITS:
            raise CommandError(
                f"--units must be at least {MIN_UNITS} (34 provinces with departments and a commune)"
            )
        if tasks < 1:
            raise CommandError("--tasks must be positive")
        if Unit.objects.filter(code__startswith="L").exists():
            raise CommandError(
                "A generated data set is already loaded (units with code L…); use a fresh database."
            )
        today = timezone.localdate()
        started = time.monotonic()
        with transaction.atomic():
            generated = load_generate(
                units=units, tasks=tasks, seed=seed, today=today, year=year or today.year
            )
        steady_state()
        self.stdout.write(
            f"Generated {Unit.objects.filter(code__startswith='L').count()} units, {generated.tasks} tasks, "
            f"{generated.evidence} evidence rows in {time.monotonic() - started:.1f} s."
        )
        if not no_scores:
            t0 = time.monotonic()
            scores_compute(generated)
            self.stdout.write(f"Scores computed in {time.monotonic() - t0:.1f} s.")
