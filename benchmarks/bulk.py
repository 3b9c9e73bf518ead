"""Bulk creation at national scale (issue 15), measured in `make bench`: a cascade of a national plan's
20-task template to every unit of the country (`tasks_cascade`, one batch: 68,000 tasks), a 1,000-row XLSX
import (`tasks_import_xlsx`) and one cycle of recurring occurrences for every unit (`series_generate_due`
over a "reports" series per unit kind in every province's plan), each next to its floor.

The floors (`benchmarks/bulk_floors.py`) are the statements the database needs for the same rows,
hand-written: one INSERT … SELECT of the task rows (unnest of units × templates or of the file's rows;
org_unit joined to the series), their history rows and the outbox row, chained as data-modifying CTEs.
The real paths are the services as users and the beat job call them (checks, reach, the bulk insert with
its unique key, read-back, history, the outbox and its dispatch to the broker after commit), each timed to
its commit, so the ratio is what the service layer costs on top of the database.
`tests/benchmarks/test_bench.py` checks that each floor writes the same task rows as its real path.

Every run is undone afterwards (its tasks, their history, outbox rows and notifications deleted, the
broker's queued jobs purged), and the template tasks and series made for the part are removed at the end,
so the other measurements never meet these rows.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from .bulk_floors import floor_cascade, floor_import, floor_series
from .timing import committed, execute, timed

FLOOR_RUNS = 3
TEMPLATE_TASKS = 20
IMPORT_ROWS = 1000
SERIES_KINDS = ("province", "department", "commune")


def _scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# --- digests, marks and undo ----------------------------------------------------------------------------


def marks() -> tuple[int, int]:
    """The highest task and outbox ids so far: every row above them is this part's."""
    return (
        _scalar("SELECT coalesce(max(id), 0) FROM tasks_task"),
        _scalar("SELECT coalesce(max(id), 0) FROM tasks_outbox"),
    )


def task_digest(since: int) -> tuple[int, str]:
    """(count, md5) of the tasks above id `since`: plan, assignee unit, title, due date, state, criterion."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(md5(string_agg(concat_ws('|', plan_id, assignee_unit_id, title, "
            "due_date, state, criterion_code), ',' ORDER BY plan_id, assignee_unit_id, title, due_date)), "
            "'') FROM tasks_task WHERE id > %s",
            [since],
        )
        return cursor.fetchone()


def history_count(since: int) -> int:
    return _scalar("SELECT count(*) FROM tasks_taskevent WHERE task_id > %s", [since])


def notice_digest(since: int) -> tuple[int, str]:
    """(count, md5) of the notices of the tasks above id `since`: recipient, kind, plan, the task's unit and
    title, the notice's title and body (the task's id in its link written as "ID"), due date, and whether
    its event id is the batch key of its task (minus the task's id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(md5(string_agg(concat_ws('|', n.recipient_id, n.kind, n.plan_id, "
            "t.assignee_unit_id, t.title, n.title, replace(n.body, '/tasks/' || t.id || '/', '/tasks/ID/'), "
            "n.due_date, n.event_id = -t.id), ',' ORDER BY t.plan_id, t.assignee_unit_id, t.title, "
            "n.recipient_id)), '') FROM notifications_notification n JOIN tasks_task t ON t.id = n.task_id "
            "WHERE n.task_id > %s",
            [since],
        )
        return cursor.fetchone()


@contextmanager
def changes_sent():
    """The task changes sent to the receivers (`tasks.events.task_changed`) while in the block, kept in
    the list it gives: what the notice jobs the dispatch queued are about."""
    from tasks.events import task_changed

    changes: list = []

    def keep(sender, change, **kwargs):
        changes.append(change)

    task_changed.connect(keep, weak=False, dispatch_uid="benchmarks.bulk.changes_sent")
    try:
        yield changes
    finally:
        task_changed.disconnect(dispatch_uid="benchmarks.bulk.changes_sent")


def notices_plan(changes) -> int:
    """What the worker's notice job (`notices_for_event_job`) does for each of these changes, run here in
    turn (its body, as a worker runs it; the queued jobs themselves are purged): returns how many notices
    were created."""
    from notifications.tasks import notices_for_event_job

    return sum(notices_for_event_job.run(c.event_id, c.as_dict()) for c in changes)


def undo(since: tuple[int, int]) -> None:
    """Delete the tasks above the marks, their history, notifications and deliveries, and the outbox rows;
    purge the jobs their dispatch queued (no worker runs during this part)."""
    from .run import purge_broker

    task_mark, outbox_mark = since
    with transaction.atomic():
        execute(
            "DELETE FROM notifications_delivery WHERE notification_id IN "
            "(SELECT id FROM notifications_notification WHERE task_id > %s)",
            [task_mark],
        )
        execute("DELETE FROM notifications_notification WHERE task_id > %s", [task_mark])
        execute("DELETE FROM tasks_taskevent WHERE task_id > %s", [task_mark])
        execute("DELETE FROM tasks_outbox WHERE id > %s", [outbox_mark])
        execute("DELETE FROM tasks_task WHERE id > %s", [task_mark])
    purge_broker()
    with connection.cursor() as cursor:
        # The deleted rows' space made reusable, as autovacuum does: the notices too (133,960 rows a cascade
        # run), whose dead index entries slowed each next run's insert (its unique key's checks) by seconds.
        cursor.execute(
            "VACUUM tasks_task, tasks_taskevent, tasks_outbox, notifications_notification, "
            "notifications_delivery"
        )


def _measure(real, floor, since, *, repeat: int, notices: bool = False) -> dict:
    """One untimed run of the real path (imports, connections and caches warmed, as the floor's first run
    warms them), then the floor's `FLOOR_RUNS` runs and the real path's `repeat` runs taken in turn (floor,
    real, floor, real, …), so that a change of the machine's load between them falls on both. Each floor run
    is committed, its digest taken and undone; each real run is timed to its commit, its digest taken and
    undone."""
    out: dict = {"floor_runs": [], "runs": []}
    real()
    undo(since)
    digests, notice_digests = set(), set()
    for turn in range(max(FLOOR_RUNS, repeat)):
        if turn < FLOOR_RUNS:
            out["floor_runs"].append(committed(floor))
            out["floor_digest"] = task_digest(since[0])
            out["floor_history"] = history_count(since[0])
            out["floor_notices"] = notice_digest(since[0]) if notices else None
            undo(since)
        if turn < repeat:
            out["runs"].append(timed(real))
            digests.add(task_digest(since[0]))
            out["history"] = history_count(since[0])
            notice_digests.add(notice_digest(since[0]) if notices else None)
            # Dispatched after commit (the jobs queued on the broker) and so deleted: what is left was not.
            out["outbox_left"] = _scalar("SELECT count(*) FROM tasks_outbox WHERE id > %s", [since[1]])
            undo(since)
    out["digest"] = digests.pop() if len(digests) == 1 else None
    out["rows"] = out["floor_digest"][0]
    out["notices"] = notice_digests.pop() if len(notice_digests) == 1 else "differ"
    out["same_rows"] = (
        out["digest"] == out["floor_digest"]
        and out["history"] == out["floor_history"]
        and out["notices"] == out["floor_notices"]
    )
    out["notice_rows"] = out["floor_notices"][0] if notices else 0
    out["seconds"] = sorted(out["runs"])[len(out["runs"]) // 2]
    out["floor"] = min(out["floor_runs"])
    return out


# --- the data the part works on -------------------------------------------------------------------------


def _province_plan():
    """The first generated province's annual plan and a leader of the province."""
    from org.models import Membership
    from plans.models import Plan

    plan = (
        Plan.objects.filter(owner_unit__kind="province", owner_unit__code__startswith="L")
        .select_related("owner_unit", "criteria_set")
        .order_by("owner_unit__code")
        .first()
    )
    leader = (
        Membership.objects.filter(unit=plan.owner_unit, role="leader", user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
        .user
    )
    return plan, leader


def _scored_codes(plan) -> list[str]:
    return sorted(plan.criteria_set.criteria.filter(rule__isnull=False).values_list("code", flat=True))


def _units_in_reach(plan, kind: str) -> list[int]:
    from org.models import Unit
    from plans.permissions import reach_q

    return list(Unit.objects.filter(reach_q(plan), kind=kind).order_by("path").values_list("pk", flat=True))


def templates_create(plan, leader, *, today: dt.date, n: int = TEMPLATE_TASKS) -> list:
    """The plan's template: `n` draft tasks of the province itself, each to be issued to every commune."""
    from tasks.services import tasks_create_bulk

    codes = _scored_codes(plan)
    rows = [
        {
            "title": f"Mẫu nhiệm vụ CCHC cấp xã số {i + 1:02d} (thử tải)",
            "description": "Mọi xã thực hiện và báo cáo kết quả.",
            "assignee_unit": plan.owner_unit_id,
            "start_date": today,
            "due_date": today + dt.timedelta(days=30 + 7 * i),
            "priority": "high" if i % 3 == 0 else "normal",
            "criterion_code": codes[i % len(codes)] if i % 4 else "",
        }
        for i in range(n)
    ]
    return tasks_create_bulk(actor=leader, plan=plan, rows=rows).created


# --- 1. the cascade -------------------------------------------------------------------------------------

NATIONAL_CODE = "BENCH-VN"


def national_setup(*, today: dt.date):
    """A national unit above the 34 provinces (the data set has none: its provinces are roots), its leader
    and its issued plan, bound to the provinces' criteria set: the plan reaches every unit of the country.
    The provinces are moved under it with one UPDATE of the materialised paths; `national_undo` moves them
    back. Returns (plan, leader, ids of the 3,400 units below the national one)."""
    from org.models import Membership, Role, Unit, User
    from plans.models import Plan

    model, _leader = _province_plan()
    with transaction.atomic():
        root = Unit.objects.create(code=NATIONAL_CODE, name="Bộ Nội vụ (thử tải)", kind="province")
        execute("UPDATE org_unit SET path = %s WHERE id = %s", [f"/{root.pk}/", root.pk])
        execute(
            "UPDATE org_unit SET path = %s || path, parent_id = coalesce(parent_id, %s) WHERE id <> %s",
            [f"/{root.pk}", root.pk, root.pk],
        )
        root.refresh_from_db()
        leader = User.objects.create(username="bench-vn-leader", full_name="Lãnh đạo Bộ (thử tải)")
        Membership.objects.create(user=leader, unit=root, role=Role.LEADER)
        plan = Plan(
            owner_unit=root,
            number="1/KH-BNV",
            title="Kế hoạch CCHC toàn quốc (thử tải)",
            year=model.year,
            issued_on=today,
            criteria_set=model.criteria_set,
            state="issued",
            created_by=leader,
        )
        plan.save()
    units = list(Unit.objects.exclude(pk=root.pk).order_by("path").values_list("pk", flat=True))
    return plan, leader, units


def national_undo() -> None:
    """Delete the national plan's tasks, the plan, its leader and the national unit; the provinces are
    roots again, with their paths as before."""
    from org.models import Unit

    root = Unit.objects.filter(code=NATIONAL_CODE).values_list("pk", flat=True).first()
    if root is None:
        return
    with transaction.atomic():
        plans = "SELECT id FROM plans_plan WHERE owner_unit_id = %s"
        tasks = f"SELECT id FROM tasks_task WHERE plan_id IN ({plans})"
        execute(
            "DELETE FROM notifications_delivery WHERE notification_id IN (SELECT id FROM "
            f"notifications_notification WHERE task_id IN ({tasks}))",
            [root],
        )
        execute(f"DELETE FROM notifications_notification WHERE task_id IN ({tasks})", [root])
        execute(f"DELETE FROM tasks_taskevent WHERE task_id IN ({tasks})", [root])
        execute(f"DELETE FROM tasks_task WHERE plan_id IN ({plans})", [root])
        execute("DELETE FROM plans_plan WHERE owner_unit_id = %s", [root])
        execute(
            "DELETE FROM org_user WHERE id IN (SELECT user_id FROM org_membership WHERE unit_id = %s)", [root]
        )
        execute("DELETE FROM org_membership WHERE unit_id = %s", [root])
        prefix = f"/{root}"
        execute(
            "UPDATE org_unit SET path = substr(path, %s), parent_id = nullif(parent_id, %s) WHERE id <> %s "
            "AND path LIKE %s",
            [len(prefix) + 1, root, root, prefix + "/%"],
        )
        execute("DELETE FROM org_unit WHERE id = %s", [root])


def bench_cascade(*, repeat: int, now) -> dict:
    """The national plan's 20-task template to every unit of the country in one batch (`tasks_cascade`,
    what the API's and the page's cascade of one task also go through)."""
    from tasks.services import tasks_cascade

    national_undo()  # a run interrupted before its end left it
    try:
        plan, leader, units = national_setup(today=timezone.localdate(now))
        templates = templates_create(plan, leader, today=timezone.localdate(now))
        since = marks()

        def real():
            with changes_sent() as changes:
                tasks_cascade(actor=leader, plan=plan, tasks=templates, units=units, now=now)
            notices_plan(changes)

        out = _measure(
            real,
            lambda: floor_cascade(plan, templates, units, actor=leader, now=now),
            since,
            repeat=repeat,
            notices=True,
        )
    finally:
        national_undo()
    out["units"] = len(units)
    out["templates"] = len(templates)
    return out


# --- 2. the XLSX import ---------------------------------------------------------------------------------


def import_rows(plan, *, today: dt.date, n: int = IMPORT_ROWS) -> list[dict]:
    """`n` valid rows for the plan: its communes in turn, a title unique per row, dates, criterion codes."""
    from org.models import Unit
    from plans.permissions import reach_q

    codes = _scored_codes(plan)
    units = list(
        Unit.objects.filter(reach_q(plan), kind="commune").order_by("path").values_list("pk", "code")
    )
    return [
        {
            "unit_id": units[i % len(units)][0],
            "unit_code": units[i % len(units)][1],
            "title": f"Nhiệm vụ nhập từ tệp số {i + 1:04d} (thử tải)",
            "start_date": today,
            "due_date": today + dt.timedelta(days=20 + i % 90),
            "criterion_code": codes[i % len(codes)] if i % 3 else "",
            "priority": "urgent" if i % 10 == 0 else "normal",
            "description": "Nhập từ tệp Excel.",
        }
        for i in range(n)
    ]


def import_file(rows: list[dict]) -> bytes:
    """The rows as an XLSX file of the import template's columns (English headers, which it accepts)."""
    from openpyxl import Workbook

    from tasks.xlsx import IMPORT_COLUMNS

    wb = Workbook()
    ws = wb.active
    ws.append([c.english for c in IMPORT_COLUMNS])
    for r in rows:
        ws.append(
            [
                r["unit_code"],
                r["title"],
                r["start_date"],
                r["due_date"],
                r["criterion_code"],
                r["priority"],
                "",
                r["description"],
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def bench_import(plan, leader, *, repeat: int, now, n: int = IMPORT_ROWS) -> dict:
    from tasks.services import tasks_import_xlsx

    rows = import_rows(plan, today=timezone.localdate(now), n=n)
    data = import_file(rows)
    since = marks()
    out = _measure(
        lambda: tasks_import_xlsx(actor=leader, plan=plan, data=data, now=now),
        lambda: floor_import(plan, rows, actor=leader, now=now),
        since,
        repeat=repeat,
    )
    out["file_bytes"] = len(data)
    return out


# --- 3. the recurring occurrences -----------------------------------------------------------------------


def series_setup(*, today: dt.date) -> list:
    """A "reports" series (the four CCHC report periods) per unit kind in every province's plan: together
    one occurrence per unit of the country and period. Written in bulk (set-up, not measured)."""
    from org.models import Membership
    from plans.models import Plan
    from tasks.models import TaskSeries

    plans = list(
        Plan.objects.filter(owner_unit__kind="province", owner_unit__code__startswith="L", state="issued")
        .select_related("criteria_set")
        .order_by("owner_unit__code")
    )
    leaders = dict(
        Membership.objects.filter(unit_id__in=[p.owner_unit_id for p in plans], role="leader").values_list(
            "unit_id", "user_id"
        )
    )
    codes = _scored_codes(plans[0])
    code = next((c for c in codes if c.startswith("1.2")), codes[0])
    series = [
        TaskSeries(
            plan=plan,
            title=f"Báo cáo CCHC định kỳ ({kind}, thử tải)",
            description="Báo cáo theo Công văn 581/BNV-CCHC.",
            criterion_code=code,
            unit_kind=kind,
            schedule="reports",
            lead_days=10,
            starts_on=dt.date(today.year, 1, 1),
            created_by_id=leaders.get(plan.owner_unit_id),
        )
        for plan in plans
        for kind in SERIES_KINDS
    ]
    return TaskSeries.objects.bulk_create(series)


def series_moment(series, today: dt.date) -> tuple[dt.datetime, object]:
    """08:00 on the creation day of the series' next occurrence (one report period due for every unit),
    and that occurrence."""
    from notifications.policy import VN_TZ
    from org.calendar import get_calendar
    from tasks import schedule as sched

    calendar = get_calendar()
    first = series[0]
    occurrence = sched.occurrences(
        schedule=first.schedule,
        due_day=first.due_day,
        lead_days=first.lead_days,
        starts_on=today,
        ends_on=None,
        until=today + dt.timedelta(days=400),
        calendar=calendar,
    )[0]
    return dt.datetime.combine(occurrence.create_on, dt.time(8, 0), tzinfo=VN_TZ), occurrence


def bench_series(*, repeat: int, today: dt.date) -> dict:
    from tasks.models import TaskSeries
    from tasks.services import series_generate_due

    series = series_setup(today=today)
    ids = [s.pk for s in series]
    moment, occurrence = series_moment(series, today)
    since = marks()
    try:
        out = _measure(
            lambda: series_generate_due(now=moment),
            lambda: floor_series(ids, occurrence, now=moment),
            since,
            repeat=repeat,
        )
    finally:
        undo(since)
        TaskSeries.objects.filter(pk__in=ids).delete()
    out["series"] = len(ids)
    out["plans"] = len({s.plan_id for s in series})
    out["moment"] = moment.isoformat()
    out["period"] = occurrence.key
    return out


# --- the part -------------------------------------------------------------------------------------------


def bench_bulk(*, repeat: int, import_rows_n: int = IMPORT_ROWS, log=None) -> dict:
    """The three bulk paths next to their floors; leaves no row behind."""
    log = log or (lambda _message: None)
    now = timezone.now()
    plan, leader = _province_plan()
    start = marks()
    out: dict = {"load_average_start": os.getloadavg()}
    try:
        log(f"bulk: cascade of a national plan's {TEMPLATE_TASKS} template tasks to every unit")
        out["cascade"] = bench_cascade(repeat=repeat, now=now)
        log(f"bulk: XLSX import of {import_rows_n} rows")
        out["import"] = bench_import(plan, leader, repeat=repeat, now=now, n=import_rows_n)
        log("bulk: recurring occurrences, one cycle")
        out["series"] = bench_series(repeat=repeat, today=timezone.localdate(now))
    finally:
        undo(start)
    out["plan"] = f"{plan.number} {plan.owner_unit.code}"
    out["load_average_end"] = os.getloadavg()
    return out
