"""`manage.py load_demo`: a realistic Yên Bái-style data set (SPEC §6), built by `config.demo` through the
services, so the history, the outbox and the scores are what real use would produce."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from config.demo import DEFAULT_LOGINS, PASSWORD, demo_load, scores_recompute_all
from criteria.models import CriteriaSet
from org.models import Unit, User


class Command(BaseCommand):
    help = (
        "Load the Yên Bái demo data set (units, users, criteria sets, plans, tasks in every state, scores)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when units already exist.")
        parser.add_argument("--seed", type=int, default=2020)

    def handle(self, *args, if_empty=False, seed=2020, **options):
        if Unit.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already loaded.")
                self._print_logins(DEFAULT_LOGINS)
                return
            raise CommandError("The database already has units; load_demo only fills an empty database.")
        with transaction.atomic():
            demo = demo_load(seed=seed)
        scores_recompute_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {Unit.objects.count()} units, {User.objects.count()} users, "
                f"{CriteriaSet.objects.count()} criteria sets."
            )
        )
        self._print_logins(demo.org.logins)

    def _print_logins(self, logins):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {PASSWORD}):")
        for username, note in logins:
            self.stdout.write(f"  {username:<16} {note}")
        self.stdout.write("Open http://127.0.0.1:8000/ (API docs: /api/docs/, admin: /admin/)")
