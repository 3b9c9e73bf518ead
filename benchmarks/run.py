"""`make bench`: the national-scale benchmark (issue 6), on PostgreSQL and Redis.

Sets up its own database (reused when it already holds the data set asked for), starts real Celery worker
processes, measures, prints a table and writes it as JSON (`benchmarks/results/`). What it measures and
how is in `benchmarks/README.md`. Run it as `python -m benchmarks.run` with DATABASE_URL, REDIS_URL and
CELERY_QUEUE set (the Makefile does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
META_TABLE = "bench_dataset"
TARGETS = {
    "reminders_vs_floor": 3.0,
    "recompute_vs_floor": 3.0,
    "approval_p95_s": 1.0,
    "page_p95_ms": 300.0,
    "api_p95_ms": 100.0,
    "worker_peak_mb": 500.0,
    "round_vs_floor": 3.0,
    "bulk_vs_floor": 3.0,
}


# --- database and data set ----------------------------------------------------------------------------------


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def ensure_database(url: str, *, units: int, tasks: int, seed: int) -> bool:
    """Create the database when missing; drop and recreate it when it holds another data set. True when it
    already holds the data set asked for (then nothing is generated)."""
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()
            if row[0] is not None:
                meta = conn.execute(f"SELECT units, tasks, seed FROM {META_TABLE}").fetchone()
                if meta == (units, tasks, seed):
                    return True
    with psycopg.connect(admin, autocommit=True) as conn:
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


def generate(*, units: int, tasks: int, seed: int) -> float:
    """Migrate, generate the data set (scores of both years computed) and record it. Returns seconds."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    out = io.StringIO()
    call_command("generate_load", units=units, tasks=tasks, seed=seed, no_scores=True, stdout=out, stderr=out)
    seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {META_TABLE} (units int, tasks int, seed int, generated_on date, seconds float)"
        )
        cursor.execute(
            f"INSERT INTO {META_TABLE} VALUES (%s, %s, %s, current_date, %s)", [units, tasks, seed, seconds]
        )
    return seconds


def dataset_info() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT units, tasks, seed, generated_on, seconds FROM {META_TABLE}")
        units, tasks, seed, generated_on, seconds = cursor.fetchone()
    return {
        "units": units,
        "tasks": tasks,
        "seed": seed,
        "generated_on": str(generated_on),
        "seconds": seconds,
    }


# --- broker and workers -------------------------------------------------------------------------------------


def _redis():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def broker_busy(r=None, *, task_prefix: str | None = None) -> bool:
    """Is any job waiting in the queue or taken by a worker and not yet acknowledged (acks_late: a job is
    acknowledged when it has finished)? With `task_prefix`, only jobs whose name starts with it count."""
    from django.conf import settings

    r = r or _redis()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    messages = []
    for key in r.scan_iter(match=f"{queue}*"):
        if r.type(key) == b"list":
            if task_prefix is None and r.llen(key):
                return True
            messages += r.lrange(key, 0, -1)
    unacked = r.hvals("unacked")
    if task_prefix is None:
        return bool(unacked)
    needle = f'"task": "{task_prefix}'.encode()
    return any(needle in m for m in [*messages, *unacked])


def wait_idle(*, timeout: float = 900, settle: float = 0.0, step: float = 0.01) -> float:
    """Wait until the queue is empty and no job is taken; returns the moment (monotonic) it was seen idle."""
    r = _redis()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not broker_busy(r):
            seen = time.monotonic()
            if settle:
                time.sleep(settle)
                if broker_busy(r):
                    continue
            return seen
        time.sleep(step)
    raise TimeoutError("the workers did not finish in time")


def purge_broker() -> None:
    from django.conf import settings

    r = _redis()
    for key in r.scan_iter(match=f"{settings.CELERY_TASK_DEFAULT_QUEUE}*"):
        r.delete(key)
    r.delete("unacked", "unacked_index", "unacked_mutex")


def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _status_kb(pid: int, field: str) -> int:
    # The peak resident memory (VmHWM) and its reset (clear_refs) are Linux's alone: psutil reports the
    # current resident size, not the peak since a reset, so these two read /proc themselves.
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Workers:
    """N real `celery -A config worker` processes (prefork, one child each) on the benchmark's queue. `app`
    names another Celery app module (the tests use `tests.faults.worker_app`, whose FAULT_NOW starts the
    workers' clock at the test session's now)."""

    def __init__(self, n: int, *, env: dict | None = None, log_dir: Path | None = None, app: str = "config"):
        self.n = n
        self.app = app
        self.env = {**os.environ, **(env or {})}
        self.log_dir = log_dir or RESULTS
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def __enter__(self) -> Workers:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        celery = str(Path(sys.executable).with_name("celery"))
        for i in range(self.n):
            log = self.log_dir / f"worker-{i + 1}.log"
            log.write_text("")
            self.logs.append(log)
            self.procs.append(
                subprocess.Popen(
                    [
                        celery,
                        "-A",
                        self.app,
                        "worker",
                        "--pool=prefork",
                        "--concurrency=1",
                        f"--hostname=bench{i + 1}-{os.getpid()}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                        "--loglevel=INFO",
                        f"--logfile={log}",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 60
        while not all(" ready." in log.read_text() for log in self.logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                self.__exit__(None, None, None)
                raise RuntimeError("a worker did not start: see " + ", ".join(map(str, self.logs)))
            time.sleep(0.1)
        return self

    def pids(self) -> list[int]:
        return [pid for p in self.procs for pid in (p.pid, *_children(p.pid))]

    def reset_peak(self) -> None:
        """Forget the processes' peak memory so far (VmHWM), to measure the next operation alone."""
        for pid in self.pids():
            with suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_mb(self) -> float:
        """The largest peak resident memory (VmHWM) of any worker process since `reset_peak`."""
        return max((_status_kb(pid, "VmHWM") for pid in self.pids()), default=0) / 1024

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in [*_children(p.pid), p.pid]:
                    with suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                p.wait()


# --- 1. reminders -------------------------------------------------------------------------------------------


def busy_moment(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """08:00 of the first working day on or after `day` (a busy moment: the first cycle of a working day),
    and 08:00 of the working day before it (the cycle that planned everything due until then)."""
    from notifications.policy import VN_TZ
    from org.calendar import get_calendar

    calendar = get_calendar()
    today = calendar.next_working_day(day)
    before = calendar.add_working_days(today, -1)
    at = dt.time(8, 0)
    return dt.datetime.combine(today, at, tzinfo=VN_TZ), dt.datetime.combine(before, at, tzinfo=VN_TZ)


def ledger_reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE notifications_delivery, notifications_digest, notifications_notification")


def ledger_rows(now: dt.datetime) -> set[tuple]:
    """The reminder rows a cycle at `now` wrote: everything a person sees of them."""
    from notifications.models import Notification

    return set(
        Notification.objects.filter(event_id__isnull=True, created_at=now).values_list(
            "task_id", "recipient_id", "kind", "due_date", "offset", "plan_id", "title", "body"
        )
    )


def ledger_digest(now: dt.datetime) -> tuple[int, str]:
    """(count, md5) of the reminder rows written at `now`: to check in the run that two paths agree."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(md5(string_agg(concat_ws('|', task_id, recipient_id, kind, due_date, "
            "\"offset\", plan_id, md5(title), md5(body)), ','"
            " ORDER BY task_id, recipient_id, kind, \"offset\")), '') "
            "FROM notifications_notification WHERE event_id IS NULL AND created_at = %s",
            [now],
        )
        return cursor.fetchone()


def ledger_undo(now: dt.datetime) -> None:
    from notifications.models import Delivery, Notification

    Delivery.objects.filter(notification__created_at=now, notification__event_id__isnull=True).delete()
    Notification.objects.filter(event_id__isnull=True, created_at=now).delete()


def reminders_prime(previous: dt.datetime) -> int:
    """The ledger as the previous working day's first cycle left it (written by the floor, which writes the
    same rows as the planner; `tests/benchmarks` checks it)."""
    from django.db import connection, transaction

    from . import floors

    ledger_reset()
    floors.reminders_floor_prepare(previous)
    with transaction.atomic():
        n = floors.reminders_floor_insert(now=previous)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
    return n


#: Each floor is timed this many times and the fastest run is the one the ratios use: a single timing on a
#: shared machine varies by up to 1.5x, and the fastest floor makes every ratio the hardest to meet.
FLOOR_RUNS = 3


def reminders_floor(now: dt.datetime, *, runs: int = FLOOR_RUNS) -> dict:
    """Time the floor's INSERT … SELECT at `now` (the fastest of `runs`), rolled back each time (the real
    paths start from the same ledger)."""
    from django.db import transaction

    from . import floors

    floors.reminders_floor_prepare(now)
    timings = []
    for _run in range(runs):
        with transaction.atomic():
            t0 = time.perf_counter()
            rows = floors.reminders_floor_insert(now=now)
            timings.append(time.perf_counter() - t0)
            digest = ledger_digest(now)
            transaction.set_rollback(True)
    return {"seconds": min(timings), "runs": timings, "rows": rows, "digest": digest}


def repeated(measure, runs: int) -> dict:
    """Take a measurement `runs` times. Its figure is the median run; its peak memory the highest; its rows
    (digest or snapshot) must be the same every time, or they are reported as None, which fails the checks.
    The floors take their fastest run instead, so noise on this shared machine never flatters a ratio."""
    results = [measure() for _run in range(runs)]
    figure = dict(sorted(results, key=lambda r: r["seconds"])[len(results) // 2])
    figure["runs"] = [r["seconds"] for r in results]
    if "peak_mb" in figure:
        figure["peak_mb"] = max(r["peak_mb"] for r in results)
    for key in ("digest", "snapshot"):
        if key in figure and any(r[key] != figure[key] for r in results):
            figure[key] = None
    return figure


def reminders_inprocess(now: dt.datetime) -> dict:
    from notifications.services import reminders_plan

    t0 = time.perf_counter()
    result = reminders_plan(now=now)
    seconds = time.perf_counter() - t0
    digest = ledger_digest(now)
    ledger_undo(now)
    return {
        "seconds": seconds,
        "rows": len(result.created),
        "candidates": result.candidates,
        "digest": digest,
    }


def reminders_workers(now: dt.datetime, workers: Workers) -> dict:
    """One cycle through the real job (`notifications.plan_reminders`, which fans out chunks), timed from
    sending the job to the last chunk acknowledged."""
    from notifications.tasks import plan_reminders_job

    wait_idle()
    workers.reset_peak()
    t0 = time.monotonic()
    plan_reminders_job.delay(now.isoformat())
    t1 = wait_idle(settle=0.3)
    digest = ledger_digest(now)
    ledger_undo(now)
    return {"seconds": t1 - t0, "rows": digest[0], "digest": digest, "peak_mb": workers.peak_mb()}


# --- 2. scores ----------------------------------------------------------------------------------------------


def scores_reset(cs) -> None:
    """Empty the set's score tables, as before its first computation, and forget what this process has
    memoised. The deleted rows are vacuumed away at once: otherwise every cold run inserts among the dead
    rows of the one before, and autovacuum cleans them up at a moment of its choosing, in the middle of a
    timed run or not. (Worker processes are started afresh for each cold run: see `run`.)"""
    from django.db import connection

    from scoring.models import LeafScore, UnitScore
    from scoring.services import score_memo_clear

    score_memo_clear()

    LeafScore.objects.filter(criteria_set=cs).delete()
    UnitScore.objects.filter(criteria_set=cs).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {LeafScore._meta.db_table}, {UnitScore._meta.db_table}")


def scores_snapshot(cs) -> tuple[int, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(string_agg(concat_ws('|', unit_id, total, percent, projected_total, rank, "
            "delta), ',' ORDER BY unit_id)) FROM scoring_unitscore WHERE criteria_set_id = %s",
            [cs.pk],
        )
        return cursor.fetchone()


def scores_floor(cs, *, runs: int = FLOOR_RUNS) -> dict:
    """Time the floor's aggregate (the fastest of `runs`)."""
    from django.utils import timezone

    from . import floors

    timings = []
    for _run in range(runs):
        t0 = time.perf_counter()
        rows = floors.scores_floor_counts(criteria_set=cs, today=timezone.localdate())
        timings.append(time.perf_counter() - t0)
    return {"seconds": min(timings), "runs": timings, "rows": len(rows)}


def scores_inprocess(cs, *, cold: bool) -> dict:
    from scoring.services import scores_recompute

    if cold:
        scores_reset(cs)
    t0 = time.perf_counter()
    units = scores_recompute(criteria_set=cs)
    return {"seconds": time.perf_counter() - t0, "units": units, "snapshot": scores_snapshot(cs)}


def scores_workers(cs, workers: Workers, *, cold: bool) -> dict:
    """A full recompute through the real job (`scoring.recompute_set`, which fans out chunks of whole peer
    groups), timed from sending the job to the last chunk acknowledged."""
    from scoring.tasks import recompute_set

    if cold:
        scores_reset(cs)
    wait_idle()
    workers.reset_peak()
    t0 = time.monotonic()
    recompute_set.delay(cs.pk)
    t1 = wait_idle(settle=0.3)
    return {"seconds": t1 - t0, "snapshot": scores_snapshot(cs), "peak_mb": workers.peak_mb()}


# --- 3. approval to score -----------------------------------------------------------------------------------


def approvals_pick(cs, n: int) -> list[int]:
    """`n` submitted tasks linked to the set's leaves, in `n` different units (spread over the country)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (k.assignee_unit_id) k.id "
            "FROM tasks_task k JOIN plans_plan p ON p.id = k.plan_id "
            "WHERE p.criteria_set_id = %s AND k.state = 'submitted' AND k.criterion_code IS NOT NULL "
            "ORDER BY k.assignee_unit_id, k.id",
            [cs.pk],
        )
        ids = [r[0] for r in cursor.fetchall()]
    step = max(len(ids) // max(n, 1), 1)
    return ids[::step][:n]


def _scored_since(cs, unit_id: int, since: dt.datetime) -> bool:
    """Has a recompute that started after `since` written the unit's score (and so read the approval)?"""
    from scoring.models import UnitScore

    return UnitScore.objects.filter(criteria_set=cs, unit_id=unit_id, computed_at__gt=since).exists()


def approvals(cs, task_ids: list[int], *, timeout: float = 30) -> dict:
    """Approve each task as a leader of its plan's owner unit (the task service, as the API does) and time
    until a recompute started after the approval has written its unit's score and no scoring job is left
    (the peer group is re-ranked at the end of the same job). Then put the tasks back as they were
    (submitted) and recompute their units."""
    from django.db import connection
    from django.utils import timezone

    from org.models import Membership
    from scoring.services import scores_recompute
    from tasks import services
    from tasks.models import Task

    r = _redis()
    seconds = []
    restore = []
    for task in Task.objects.filter(pk__in=task_ids).select_related("plan").order_by("pk"):
        leader = (
            Membership.objects.filter(unit_id=task.plan.owner_unit_id, role="leader", user__is_active=True)
            .select_related("user")
            .first()
        )
        restore.append((task.pk, task.progress, task.assignee_unit_id))
        wait_idle()
        since = timezone.now()
        t0 = time.monotonic()
        services.task_approve(actor=leader.user, task=task)
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if _scored_since(cs, task.assignee_unit_id, since) and not broker_busy(r, task_prefix="scoring."):
                break
            time.sleep(0.005)
        else:
            raise TimeoutError(f"task {task.pk}: its score was not updated within {timeout} s")
        seconds.append(time.monotonic() - t0)
    wait_idle()
    with connection.cursor() as cursor:
        for pk, progress, _unit in restore:
            cursor.execute(
                "UPDATE tasks_task SET state = 'submitted', approved_at = NULL, progress = %s WHERE id = %s",
                [progress, pk],
            )
    scores_recompute(criteria_set=cs, unit_ids=[u for _pk, _p, u in restore])
    return {"n": len(seconds), **_percentiles(seconds, scale=1)}


# --- 4. pages -----------------------------------------------------------------------------------------------


def _percentiles(values: list[float], *, scale: float) -> dict:
    values = sorted(v * scale for v in values)
    if not values:
        return {"p50": None, "p95": None}
    p95 = values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]
    return {"p50": round(statistics.median(values), 4), "p95": round(p95, 4)}


def bench_users() -> dict:
    """A province leader, a commune leader and a commune official of the generated data set."""
    from org.models import Membership

    def first(kind: str, role: str):
        m = (
            Membership.objects.filter(unit__kind=kind, role=role, unit__code__startswith="L")
            .select_related("user", "unit")
            .order_by("unit__code", "user__username")
            .first()
        )
        return m.user

    return {
        "province leader": first("province", "leader"),
        "commune leader": first("commune", "leader"),
        "official": first("commune", "official"),
    }


def time_page(client, url: str, *, n: int, warmup: int = 3) -> dict:
    """p50/p95 (ms) of `n` GETs with Django's test client in this process (no network, no web server), and
    the SQL queries of each (they must all be the same number)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, counts = [], set()
    for _ in range(n):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
        counts.add(len(queries))
    return {**_percentiles(times, scale=1000), "queries": sorted(counts)}


def pages(*, n: int) -> list[dict]:
    """Each page for each user. Static files are served by their plain storage (no `collectstatic`
    manifest needed; building a static URL costs the same)."""
    from django.conf import settings
    from django.test.utils import override_settings

    plain = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain):
        return _pages(n=n)


def published_reads(cs, *, n: int) -> list[dict]:
    """The published ranking (API and page) of `cs`, whose round the caller has published."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    from . import round as round_bench

    official = bench_users()["official"]

    def client_for():
        client = Client()
        client.force_login(official)
        return client

    plain = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain):
        return round_bench.bench_published_reads(cs, client_for, time_page, n=n)


def _pages(*, n: int) -> list[dict]:
    from django.test import Client

    rows = []
    users = bench_users()
    plan = [
        ("leader dashboard", "/dashboard/", ("province leader", "commune leader")),
        ("ranking page", "/ranking/", ("province leader", "official")),
        ("my-tasks API", "/api/tasks/?mine=true", ("province leader", "official")),
    ]
    for name, url, who in plan:
        for label in who:
            client = Client()
            client.force_login(users[label])
            result = time_page(client, url, n=n)
            rows.append({"page": name, "user": label, "url": url, **result})
    return rows


# --- the run ------------------------------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared = cursor.fetchone()[0]
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    mem_kb = psutil.virtual_memory().total // 1024
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "shared_buffers": shared,
        "redis": _redis().info().get("redis_version"),
    }


def run(args) -> dict:
    from django.utils import timezone

    from criteria.models import CriteriaSet
    from scoring.services import scores_recompute

    info = dataset_info()
    year = dt.date.fromisoformat(info["generated_on"]).year
    cs = CriteriaSet.objects.get(code=f"LOAD-XA-{year}")
    previous = CriteriaSet.objects.get(code=f"LOAD-XA-{year - 1}")
    result: dict = {
        "when": timezone.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "dataset": info,
        "targets": TARGETS,
    }
    purge_broker()
    log = _progress
    only = getattr(args, "only", None)
    if only == "bulk":
        result["pages"] = []
    elif only == "round":
        # The round alone (a quicker run): the live scores it freezes, computed once.
        scores_recompute(criteria_set=previous)
        scores_recompute(criteria_set=cs)
        result["pages"] = []
    else:
        _run_cycles(args, result, cs, previous)

    if only != "bulk":
        # 3. the assessment round: it publishes (freezes) the set, and is undone at the end.
        from . import round as round_bench

        log("round: open, auto-submit, publish")
        result["round"] = round_bench.bench_round(cs, repeat=args.repeat)
        log("round: published ranking reads")
        result["pages"] += published_reads(cs, n=args.requests)
        round_bench.round_undo(cs)
    if only != "round":
        # 4. bulk creation (issue 15), last: every row it writes is deleted again.
        from . import bulk as bulk_bench

        result["bulk"] = bulk_bench.bench_bulk(repeat=args.repeat, log=log)
    rem, sc = result.get("reminders", {}), result.get("scores", {})
    checks = {}
    if result["pages"]:
        checks["constant query counts"] = all(len(p["queries"]) == 1 for p in result["pages"])
    if rem:
        checks["reminder rows equal the floor's"] = all(
            rem[k]["digest"] == rem["floor"]["digest"]
            for k in rem
            if k == "in_process" or k.startswith("workers_")
        )
    if sc:
        snapshots = [v["snapshot"] for v in sc.values() if "snapshot" in v]
        checks["recompute results all equal"] = len({s and tuple(s) for s in snapshots}) == 1 and all(
            snapshots
        )
    if "round" in result:
        rd = result["round"]
        checks["round: the same rows every run"] = all(rd[k]["digest"] for k in ("open", "close", "freeze"))
    if "bulk" in result:
        bk = result["bulk"]
        checks["bulk: each floor writes its real path's task, history and notice rows, every run"] = all(
            bk[k]["same_rows"] for k in ("cascade", "import", "series")
        )
    result["checks"] = checks
    return result


def _run_cycles(args, result: dict, cs, previous) -> None:
    """Parts 1 and 2 and the pages: reminders, recomputes, approvals, page reads."""
    from scoring.services import scores_recompute

    log = _progress
    info = result["dataset"]

    # 1. reminders
    moment, before = busy_moment(dt.date.fromisoformat(info["generated_on"]))
    log(f"reminders: priming the ledger as of {before:%Y-%m-%d %H:%M}")
    primed = reminders_prime(before)
    log(f"reminders: floor at {moment:%Y-%m-%d %H:%M}")
    floor = reminders_floor(moment)
    log(f"reminders: floor {floor['seconds']:.2f} s, {floor['rows']} rows; in process")
    inproc = repeated(lambda: reminders_inprocess(moment), args.repeat)
    rem = {"moment": moment.isoformat(), "primed_rows": primed, "floor": floor, "in_process": inproc}

    # 2. scores (the previous year's set first: deltas read it)
    scores_recompute(criteria_set=previous)
    log("scores: floor")
    sfloor = scores_floor(cs)
    log("scores: in process, cold")
    scold = repeated(lambda: scores_inprocess(cs, cold=True), args.repeat)
    log("scores: in process, warm")
    swarm = repeated(lambda: scores_inprocess(cs, cold=False), args.repeat)
    sc = {"floor": sfloor, "in_process_cold": scold, "in_process_warm": swarm}

    for n in args.workers:
        log(f"{n} worker(s): starting")
        with Workers(n) as workers:
            log(f"{n} worker(s): reminders")
            rem[f"workers_{n}"] = repeated(lambda: reminders_workers(moment, workers), args.repeat)

        def cold_run(n=n) -> dict:
            # New processes for each cold run: nothing memoised by an earlier run, as at a set's first
            # computation after a deployment.
            with Workers(n) as fresh:
                return scores_workers(cs, fresh, cold=True)

        log(f"{n} worker(s): recompute, cold")
        sc[f"workers_{n}_cold"] = repeated(cold_run, args.repeat)
        with Workers(n) as workers:
            # Long-lived workers, as the nightly run meets them: the first run also fills their memo (all
            # runs are in the JSON).
            log(f"{n} worker(s): recompute, warm")
            sc[f"workers_{n}_warm"] = repeated(lambda: scores_workers(cs, workers, cold=False), args.repeat)
            if n == max(args.workers):
                log(f"{n} worker(s): {args.approvals} approvals")
                result["approval"] = approvals(cs, approvals_pick(cs, args.approvals))
    result["reminders"] = rem
    result["scores"] = sc
    log("pages")
    result["pages"] = pages(n=args.requests)


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def table(result: dict) -> str:
    """The figures as a Markdown table, with the target and whether it is met."""
    t = result["targets"]
    rem, sc = result.get("reminders"), result.get("scores")
    lines = [
        "| measure | figure | floor | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]

    def row(name, value, floor=None, target="", met=None):
        ratio = f"{value / floor:.2f}×" if floor else ""
        places = 2 if value >= 1 else 3  # the round's bulk statements take milliseconds
        shown_floor = f"{floor:.{places}f} s" if floor else ""
        lines.append(
            f"| {name} | {value:.{places}f} s | {shown_floor} | {ratio} | {target} | "
            f"{'' if met is None else ('yes' if met else 'NO')} |"
        )

    if rem and sc:
        ff = rem["floor"]["seconds"]
        lines.append(
            f"| reminder cycle at {rem['moment'][:16]}: rows planned | {rem['floor']['rows']} | | | | |"
        )
        row("reminder cycle, in process (no worker)", rem["in_process"]["seconds"], ff)
        for k in sorted(k for k in rem if k.startswith("workers_")):
            v = rem[k]["seconds"]
            row(
                f"reminder cycle, {k[8:]} worker(s)",
                v,
                ff,
                f"≤ {t['reminders_vs_floor']}× floor",
                v <= t["reminders_vs_floor"] * ff,
            )
        sf = sc["floor"]["seconds"]
        for k in ("in_process_cold", "in_process_warm"):
            row(f"full recompute, in process, {k.split('_')[-1]}", sc[k]["seconds"], sf)
        for k in sorted(k for k in sc if k.startswith("workers_")):
            n, state = k.split("_")[1:]
            v = sc[k]["seconds"]
            row(
                f"full recompute, {n} worker(s), {state}",
                v,
                sf,
                f"≤ {t['recompute_vs_floor']}× floor",
                v <= t["recompute_vs_floor"] * sf,
            )
        for label, d, kinds in (("reminder cycle", rem, [""]), ("full recompute", sc, ["_cold", "_warm"])):
            counts = sorted(
                int(k.split("_")[1]) for k in d if k.startswith("workers_") and k.endswith(kinds[0])
            )
            if len(counts) > 1:
                low, high = counts[0], counts[-1]
                ups = [d[f"workers_{low}{k}"]["seconds"] / d[f"workers_{high}{k}"]["seconds"] for k in kinds]
                shown = " / ".join(f"{u:.2f}×" for u in ups)
                which = " (cold / warm)" if len(kinds) > 1 else ""
                lines.append(f"| {label}: speed-up from {low} to {high} workers{which} | {shown} | | | | |")
    if "approval" in result:
        a = result["approval"]
        lines.append(
            f"| approval → score and rank (p50 / p95, n={a['n']}) | {a['p50']:.3f} / {a['p95']:.3f} s | | | "
            f"p95 < {t['approval_p95_s']} s | {'yes' if a['p95'] < t['approval_p95_s'] else 'NO'} |"
        )
    for p in result["pages"]:
        target = t["api_p95_ms"] if "API" in p["page"] else t["page_p95_ms"]
        lines.append(
            f"| {p['page']}, {p['user']} (p50 / p95, queries) | {p['p50']:.1f} / {p['p95']:.1f} ms, "
            f"{'/'.join(map(str, p['queries']))} q | | | p95 < {target:.0f} ms, constant | "
            f"{'yes' if p['p95'] < target and len(p['queries']) == 1 else 'NO'} |"
        )
    peaks = [
        (k, v["peak_mb"])
        for d in (rem or {}, sc or {})
        for k, v in d.items()
        if isinstance(v, dict) and "peak_mb" in v
    ]
    if peaks:
        worst = max(v for _k, v in peaks)
        lines.append(
            f"| worker peak memory (VmHWM) during 1 and 2 | {worst:.0f} MB | | | "
            f"< {t['worker_peak_mb']:.0f} MB | "
            f"{'yes' if worst < t['worker_peak_mb'] else 'NO'} |"
        )
    if "round" in result:
        rd = result["round"]
        for key, label in (
            ("open", f"round opened: {rd['open']['digest'][0]} draft self-assessments"),
            ("close", f"deadline passed: {rd['close']['units']} units submitted late"),
            ("freeze", f"published: {rd['freeze']['rows']} frozen rows (units and leaves)"),
        ):
            v, f = rd[key]["seconds"], rd[key]["floor"]
            row(label, v, f, f"≤ {t['round_vs_floor']}× floor", v <= t["round_vs_floor"] * f)
        row("publication step (fresh recompute + freeze + audit)", rd["publish"]["seconds"])
    if "bulk" in result:
        bk = result["bulk"]
        c, i, sr = bk["cascade"], bk["import"], bk["series"]
        for d, label in (
            (
                c,
                f"cascade: {c['templates']} template tasks × {c['units']} units = {c['rows']} tasks, "
                f"{c['notice_rows']} assigned notices",
            ),
            (i, f"XLSX import: {i['rows']} rows"),
            (sr, f"recurring occurrences ({sr['period']}): {sr['rows']} tasks, {sr['plans']} plans"),
        ):
            v, f = d["seconds"], d["floor"]
            row(label, v, f, f"≤ {t['bulk_vs_floor']}× floor", v <= t["bulk_vs_floor"] * f)
    for name, ok in result.get("checks", {}).items():
        lines.append(f"| check: {name} | {'yes' if ok else 'NO'} | | | | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=3400)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    parser.add_argument("--approvals", type=int, default=100)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each timed cycle and recompute (median)"
    )
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page and user")
    parser.add_argument(
        "--only", choices=["round", "bulk"], help="measure only this part (the data set is shared)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        parser.error("DATABASE_URL must name a PostgreSQL database (make bench sets it)")
    if not os.environ.get("REDIS_URL"):
        parser.error("REDIS_URL must be set (make bench sets it)")
    reuse = ensure_database(url, units=args.units, tasks=args.tasks, seed=args.seed)

    import django

    django.setup()
    from django.core.management import call_command

    if reuse:
        _progress("reusing the generated data set")
        call_command("migrate", verbosity=0)
    else:
        _progress(f"generating {args.units} units, {args.tasks} tasks")
        seconds = generate(units=args.units, tasks=args.tasks, seed=args.seed)
        _progress(f"generated in {seconds:.0f} s")
    result = run(args)
    text = table(result)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    if not args.only:  # a partial run never replaces the full run's figures
        (RESULTS / "latest.json").write_text(json.dumps(result, indent=2, default=str))
        (RESULTS / "latest.md").write_text(text + "\n")
    _progress(f"written {args.out} and {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
