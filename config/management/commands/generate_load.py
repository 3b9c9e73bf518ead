"""`manage.py generate_load --units N --tasks M`: a national-scale synthetic data set for benchmarks.

34 provinces, each with departments and communes; the commune criteria sets of this year and the last;
one annual plan per province (tasks the province assigns to its communes) and one per commune (its own
plan), all bound to this year's set; tasks spread over the year and over every state, consistent with
their dates (approved ones on time or late, open ones pending or overdue); evidence rows with metric
values; two officials and a leader per unit. Rows go in with PostgreSQL's COPY (bulk_create elsewhere):
a million tasks in a few minutes. Task history rows are not generated (nothing the benchmarks read).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from criteria import services as criteria_services
from criteria.models import CriteriaSet
from org.calendar import get_calendar
from org.models import Membership, Unit, User
from plans.models import Plan
from scoring import services as scoring_services
from tasks.models import Evidence, Task

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PROVINCES = 34
DEPARTMENTS_PER_PROVINCE = 2
METRIC_RANGES = {
    "3.2": (90, 100),
    "3.5": (40, 100),
    "3.6": (30, 90),
    "5.2": (80, 100),
    "6.1": (80, 110),
    "7.1": (60, 99),
    "7.3": (10, 70),
    "7.4": (5, 45),
    "8.1": (70, 105),
    "8.2": (75, 99),
}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def copy_rows(model, columns: list[str], rows, *, total: int | None = None, desc: str = "") -> int:
    """Insert rows (tuples in `columns` order): COPY on PostgreSQL, bulk_create elsewhere."""
    table = model._meta.db_table
    n = 0
    bar = tqdm(total=total, desc=desc, unit="rows", unit_scale=True, leave=False)
    if connection.vendor == "postgresql":
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        sql = f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
                if n % 10000 == 0:
                    bar.update(10000)
    else:
        batch = []
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            n += 1
            if len(batch) == 5000:
                model.objects.bulk_create(batch)
                bar.update(len(batch))
                batch = []
        model.objects.bulk_create(batch)
    bar.update(n % 10000 if connection.vendor == "postgresql" else len(batch))
    bar.close()
    return n


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
        min_units = PROVINCES * (2 + DEPARTMENTS_PER_PROVINCE)
        if units < min_units:
            raise CommandError(
                f"--units must be at least {min_units} (34 provinces with departments and a commune)"
            )
        if tasks < 1:
            raise CommandError("--tasks must be positive")
        if Unit.objects.filter(code__startswith="L").exists():
            raise CommandError(
                "A generated data set is already loaded (units with code L…); use a fresh database."
            )
        self.rng = random.Random(seed)
        self.today = timezone.localdate()
        self.year = year or self.today.year
        started = time.monotonic()
        with transaction.atomic():
            sets = self._criteria_sets()
            communes, province_of = self._units(units)
            officials = self._users(communes)
            plans = self._plans(communes, province_of, sets[self.year])
            n_tasks = self._tasks(tasks, communes, province_of, plans, officials, sets[self.year])
            n_evidence = self._evidence(plans)
        if connection.vendor == "postgresql":
            # What autovacuum does to a live database, done now so the figures that follow are a steady
            # state's: statistics for the planner, and the visibility map and hint bits set (a table
            # freshly filled by COPY makes its first readers write every page and forbids index-only scans).
            # VACUUM cannot run inside a transaction (a test's): there, the statistics only.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)" if connection.get_autocommit() else "ANALYZE")
        self.stdout.write(
            f"Generated {Unit.objects.filter(code__startswith='L').count()} units, {n_tasks} tasks, "
            f"{n_evidence} evidence rows in {time.monotonic() - started:.1f} s."
        )
        if not no_scores:
            t0 = time.monotonic()
            for cs in sets.values():
                bar = tqdm(total=len(communes), desc=f"scores {cs.code}", unit="units", leave=False)
                scoring_services.scores_recompute(criteria_set=cs, progress=bar.update)
                bar.close()
            self.stdout.write(f"Scores computed in {time.monotonic() - t0:.1f} s.")

    def _criteria_sets(self) -> dict[int, CriteriaSet]:
        from pathlib import Path

        source = (
            Path(__file__).resolve().parents[3] / "criteria" / "data" / "criteria-commune-2020.yaml"
        ).read_text()
        sets = {}
        for year in (self.year - 1, self.year):
            code = f"LOAD-XA-{year}"
            existing = CriteriaSet.objects.filter(code=code).first()
            if existing:
                sets[year] = existing
                continue
            text = (
                source.replace("code: XA-2020", f"code: {code}")
                .replace("year: 2020", f"year: {year}")
                .replace(
                    "period: {start: 2019-12-15, end: 2020-12-14}",
                    f"period: {{start: {year - 1}-12-15, end: {year}-12-14}}",
                )
            )
            sets[year] = criteria_services.criteria_set_import(data=text)
        return sets

    def _units(self, total: int):
        provinces = Unit.objects.bulk_create(
            [
                Unit(code=f"L{p:02d}", name=f"Tỉnh thử tải {p:02d}", kind="province")
                for p in range(1, PROVINCES + 1)
            ]
        )
        n_communes = total - PROVINCES * (1 + DEPARTMENTS_PER_PROVINCE)
        children = []
        for i, prov in enumerate(provinces):
            for d in range(1, DEPARTMENTS_PER_PROVINCE + 1):
                children.append(
                    Unit(
                        code=f"{prov.code}-S{d:02d}",
                        name=f"Sở {d:02d} {prov.name}",
                        kind="department",
                        parent=prov,
                    )
                )
            share = n_communes // PROVINCES + (1 if i < n_communes % PROVINCES else 0)
            for c in range(1, share + 1):
                children.append(
                    Unit(
                        code=f"{prov.code}-X{c:04d}",
                        name=f"Xã {c:04d} {prov.name}",
                        kind="commune",
                        parent=prov,
                    )
                )
        children = Unit.objects.bulk_create(children, batch_size=2000)
        for prov in provinces:
            prov.path = f"/{prov.pk}/"
        by_id = {p.pk: p for p in provinces}
        for unit in children:
            unit.path = f"{by_id[unit.parent_id].path}{unit.pk}/"
        Unit.objects.bulk_update(provinces + children, ["path"], batch_size=2000)
        communes = [u for u in children if u.kind == "commune"]
        return communes, {u.pk: u.parent_id for u in children}

    def _users(self, communes):
        password = make_password("Load@2026")
        units = list(Unit.objects.filter(code__startswith="L"))
        users, roles = [], []
        for unit in units:
            for role, count in (("official", 2 if unit.kind == "commune" else 1), ("leader", 1)):
                for k in range(count):
                    users.append(
                        User(
                            username=f"{unit.code.lower()}-{role}{k}",
                            password=password,
                            full_name=f"{role} {k} {unit.name}",
                        )
                    )
                    roles.append((unit.pk, role))
        users = User.objects.bulk_create(users, batch_size=5000)
        Membership.objects.bulk_create(
            [
                Membership(user_id=u.pk, unit_id=unit_id, role=role)
                for u, (unit_id, role) in zip(users, roles, strict=True)
            ],
            batch_size=5000,
        )
        officials: dict[int, list[int]] = {}
        for u, (unit_id, role) in zip(users, roles, strict=True):
            if role == "official":
                officials.setdefault(unit_id, []).append(u.pk)
        return officials

    def _plans(self, communes, province_of, cs):
        issued = dt.date(self.year - 1, 12, 20)
        rows = [
            Plan(
                owner_unit_id=pid,
                number=f"{100 + i}/KH-UBND",
                title="Kế hoạch CCHC năm (thử tải)",
                year=self.year,
                issued_on=issued,
                criteria_set=cs,
                state="issued",
            )
            for i, pid in enumerate(sorted(set(province_of[c.pk] for c in communes)))
        ]
        rows += [
            Plan(
                owner_unit_id=c.pk,
                number="01/KH-UBND",
                title="Kế hoạch CCHC của xã (thử tải)",
                year=self.year,
                issued_on=issued,
                criteria_set=cs,
                state="issued",
            )
            for c in communes
        ]
        plans = Plan.objects.bulk_create(rows, batch_size=5000)
        return {p.owner_unit_id: p.pk for p in plans}

    def _tasks(self, total, communes, province_of, plans, officials, cs):
        calendar = get_calendar()
        leaves = [
            c.code
            for c in cs.criteria.filter(rule__isnull=False).order_by("order")
            if c.rule["type"] not in ("survey", "manual")
        ]
        days = [dt.date(self.year, 1, 2) + dt.timedelta(days=d) for d in range(362)]
        eff = {d: calendar.next_working_day(d) for d in days}
        rng, today = self.rng, self.today
        now = timezone.now()
        columns = [
            "plan_id",
            "parent_id",
            "title",
            "description",
            "assignee_unit_id",
            "lead_id",
            "assigned_by_id",
            "start_date",
            "due_date",
            "effective_due_date",
            "priority",
            "criterion_code",
            "progress",
            "metric_value",
            "state",
            "assigned_at",
            "submitted_at",
            "approved_at",
            "created_at",
            "updated_at",
        ]

        def at(day: dt.date, hour: int) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)

        def rows():
            for i in range(total):
                unit = communes[i % len(communes)] if i < len(communes) else rng.choice(communes)
                own = rng.random() < 0.6
                plan_id = plans[unit.pk] if own else plans[province_of[unit.pk]]
                due = rng.choice(days)
                effective = eff[due]
                start = due - dt.timedelta(days=rng.randint(10, 60))
                code = rng.choice(leaves)
                past = effective < today
                r = rng.random()
                if past:
                    # Most tasks are done within weeks of their deadline: the share still open decays with
                    # how long ago the task fell due (about 25 % a day after, 12 % a month after, 4 % at
                    # the start of the year), so the overdue backlog is what a real province carries.
                    behind = 0.04 + 0.21 * math.exp(-(today - effective).days / 30)
                    r = r / behind if r < behind else None
                    state = (
                        "approved"
                        if r is None
                        else "in_progress"
                        if r < 0.41
                        else "assigned"
                        if r < 0.59
                        else "submitted"
                        if r < 0.82
                        else "returned"
                        if r < 1.0
                        else "approved"
                    )
                    if state == "approved" and rng.random() < 0.03:
                        state = "cancelled"
                else:
                    state = (
                        "assigned"
                        if r < 0.35
                        else "in_progress"
                        if r < 0.75
                        else "submitted"
                        if r < 0.83
                        else "returned"
                        if r < 0.87
                        else "approved"
                        if r < 0.95
                        else "draft"
                        if r < 0.98
                        else "cancelled"
                    )
                assigned = None if state == "draft" else at(start, 9)
                submitted = approved = None
                metric = None
                if state in ("submitted", "returned", "approved"):
                    late = past and rng.random() < 0.2
                    sub_day = (
                        effective + dt.timedelta(days=rng.randint(1, 15))
                        if late
                        else effective - dt.timedelta(days=rng.randint(0, 10))
                    )
                    sub_day = min(max(sub_day, start), today)
                    submitted = at(sub_day, 10)
                    if state == "approved":
                        approved = at(sub_day, 16)
                    if code in METRIC_RANGES:
                        lo, hi = METRIC_RANGES[code]
                        metric = Decimal(rng.randint(lo * 10, hi * 10)) / 10
                unit_officials = officials.get(unit.pk) or [None]
                lead = rng.choice(unit_officials) if rng.random() < 0.7 else None
                progress = 100 if state == "approved" else rng.choice([0, 10, 30, 50, 70, 90])
                yield (
                    plan_id,
                    None,
                    f"Nhiệm vụ {code} #{i}",
                    "",
                    unit.pk,
                    lead,
                    None,
                    start,
                    due,
                    effective,
                    rng.choice(("normal", "normal", "normal", "high", "urgent")),
                    code,
                    progress,
                    metric,
                    state,
                    assigned,
                    submitted,
                    approved,
                    now,
                    now,
                )

        return copy_rows(Task, columns, rows(), total=total, desc="tasks")

    def _evidence(self, plans):
        name = "evidence/load/sample.pdf"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(PDF))
        columns = [
            "task_id",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "doc_number",
            "doc_date",
            "description",
            "metric_value",
            "uploaded_by_id",
            "uploaded_at",
        ]
        import hashlib

        digest = hashlib.sha256(PDF).hexdigest()
        qs = Task.objects.filter(
            plan_id__in=list(plans.values()), state__in=["submitted", "returned", "approved"]
        )
        n = 0
        last = 0
        # Read in chunks before writing: a connection cannot run a query while a COPY is in progress.
        while True:
            chunk = list(
                qs.filter(id__gt=last)
                .order_by("id")
                .values_list("id", "metric_value", "submitted_at")[:50000]
            )
            if not chunk:
                return n
            last = chunk[-1][0]
            rows = [
                (
                    task_id,
                    name,
                    "bao-cao.pdf",
                    "application/pdf",
                    len(PDF),
                    digest,
                    f"{task_id}/BC",
                    submitted.date(),
                    "Báo cáo kết quả thực hiện",
                    metric,
                    None,
                    submitted,
                )
                for task_id, metric, submitted in chunk
            ]
            n += copy_rows(Evidence, columns, rows, total=len(rows), desc="evidence")
