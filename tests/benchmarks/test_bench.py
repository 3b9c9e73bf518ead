"""The benchmark code on a tiny generated data set: every measured operation runs (through real worker
processes where the benchmark uses them), and the floors produce exactly the rows of the real paths. No
timing is asserted here: timings belong to `make bench`."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from benchmarks import floors
from benchmarks import run as bench
from criteria.models import CriteriaSet
from notifications.services import reminders_plan
from scoring.models import LeafScore
from scoring.services import scores_recompute
from scoring.services._inputs import set_leaves
from tests.conftest import session_clock_env

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dataset():
    out = io.StringIO()
    call_command("generate_load", units=136, tasks=3000, no_scores=True, stdout=out, stderr=out)
    year = timezone.localdate().year
    cs = CriteriaSet.objects.get(code=f"LOAD-XA-{year}")
    previous = CriteriaSet.objects.get(code=f"LOAD-XA-{year - 1}")
    scores_recompute(criteria_set=previous)
    return cs


def _floor_rows(now: dt.datetime) -> set[tuple]:
    floors.reminders_floor_prepare(now)
    with transaction.atomic():
        floors.reminders_floor_insert(now=now)
        rows = bench.ledger_rows(now)
        transaction.set_rollback(True)
    return rows


def test_the_reminder_floor_writes_the_same_rows_as_the_planner(dataset):
    moment, before = bench.busy_moment(timezone.localdate())

    # From an empty ledger (a catch-up cycle) …
    floor = _floor_rows(before)
    planned = reminders_plan(now=before)
    assert len(planned.created) > 100
    assert bench.ledger_rows(before) == floor

    # … and the next working day's first cycle, on top of it: new reminders only.
    floor = _floor_rows(moment)
    planned = reminders_plan(now=moment)
    assert planned.created
    assert bench.ledger_rows(moment) == floor
    assert {r[2] for r in floor} >= {"overdue", "escalation"}


def test_the_ledger_primed_by_the_floor_is_the_one_the_planner_leaves(dataset):
    moment, before = bench.busy_moment(timezone.localdate())
    primed = bench.reminders_prime(before)
    rows = bench.ledger_rows(before)
    assert primed == len(rows) > 100
    assert reminders_plan(now=before).created == []  # the planner finds nothing left to plan
    result = bench.reminders_floor(moment)
    assert result["rows"] > 0 and bench.ledger_rows(moment) == set()  # rolled back
    inproc = bench.reminders_inprocess(moment)
    assert inproc["digest"] == result["digest"]
    assert bench.ledger_rows(moment) == set()  # undone


def test_the_score_floor_counts_what_the_recompute_stored(dataset):
    cs = dataset
    scores_recompute(criteria_set=cs)
    today = timezone.localdate()
    by_leaf: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for unit_id, code, _higher, *counts in floors.scores_floor_counts(criteria_set=cs, today=today):
        total = by_leaf[(unit_id, code)]
        for i, n in enumerate(counts):
            total[i] += n
    leaves, _nodes = set_leaves(cs)
    codes = {leaf.code for leaf in leaves if leaf.rule.get("scope", "leaf") == "leaf"}
    stored = {
        (unit_id, code): [on_time, late, overdue, pending]
        for unit_id, code, on_time, late, overdue, pending in LeafScore.objects.filter(
            criteria_set=cs, criterion__code__in=codes
        ).values_list("unit_id", "criterion__code", "on_time", "late", "overdue", "pending")
        if on_time + late + overdue + pending
    }
    assert len(stored) > 100
    assert stored == {k: v for k, v in by_leaf.items() if k[1] in codes}
    assert bench.scores_floor(cs)["rows"] == len(floors.scores_floor_counts(criteria_set=cs, today=today))


@pytest.mark.worker
def test_every_measurement_runs_with_real_worker_processes(dataset):
    cs = dataset
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    bench.purge_broker()
    moment, before = bench.busy_moment(timezone.localdate())
    bench.reminders_prime(before)
    floor = bench.reminders_floor(moment)
    scores_recompute(criteria_set=cs)
    expected = bench.scores_snapshot(cs)
    # The workers read the test database and the test process's queue; the fan-out thresholds are
    # lowered so that the tiny data set still makes several chunks.
    env = {
        "DATABASE_URL": url,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "REMINDER_PARALLEL_TASKS": "50",
        "SCORING_PARALLEL_UNITS": "10",
        # The workers run on this session's clock (TEST_NOW moves it): "today" decides what is overdue,
        # so a worker on the real calendar would score other numbers.
        **session_clock_env(),
    }
    with bench.Workers(2, env=env, app="tests.faults.worker_app") as workers:
        reminders = bench.reminders_workers(moment, workers)
        assert reminders["digest"] == floor["digest"] and reminders["rows"] > 0
        assert reminders["peak_mb"] > 0
        cold = bench.repeated(lambda: bench.scores_workers(cs, workers, cold=True), 2)
        assert cold["snapshot"] == expected and len(cold["runs"]) == 2
        warm = bench.scores_workers(cs, workers, cold=False)
        assert warm["snapshot"] == expected
        approved = bench.approvals(cs, bench.approvals_pick(cs, 3))
        assert approved["n"] == 3 and approved["p95"] is not None
    assert bench.scores_snapshot(cs) == expected  # the approvals were put back
    assert any("recompute_chunk" in log.read_text() for log in workers.logs)
    assert any("plan_reminders_chunk" in log.read_text() for log in workers.logs)


def test_the_pages_are_measured_with_their_query_counts(dataset):
    scores_recompute(criteria_set=dataset)
    rows = bench.pages(n=2)
    assert {(r["page"], r["user"]) for r in rows} == {
        ("leader dashboard", "province leader"),
        ("leader dashboard", "commune leader"),
        ("ranking page", "province leader"),
        ("ranking page", "official"),
        ("my-tasks API", "province leader"),
        ("my-tasks API", "official"),
    }
    assert all(r["queries"] and r["p95"] is not None for r in rows)


def test_a_repeated_measurement_reports_the_median_run_and_spoils_unequal_rows():
    runs = iter(
        [{"seconds": 3.0, "digest": "a", "peak_mb": 10}, {"seconds": 1.0, "digest": "a", "peak_mb": 30}]
    )
    runs = iter([*runs, {"seconds": 2.0, "digest": "a", "peak_mb": 20}])
    figure = bench.repeated(lambda: next(runs), 3)
    assert figure == {"seconds": 2.0, "digest": "a", "peak_mb": 30, "runs": [3.0, 1.0, 2.0]}

    unequal = iter([{"seconds": 1.0, "snapshot": (1, "x")}, {"seconds": 2.0, "snapshot": (1, "y")}])
    assert bench.repeated(lambda: next(unequal), 2)["snapshot"] is None


def test_the_round_floors_write_the_rows_of_the_round_services(dataset):
    from benchmarks import round as round_bench
    from scoring.models import PublishedResult, Round
    from scoring.services import StepFields, results_freeze, round_cycle, round_step

    cs = dataset
    scores_recompute(criteria_set=cs)
    now = timezone.now()
    after = now + dt.timedelta(days=30)
    with transaction.atomic():
        opened = round_bench.floor_open(cs)
        floor_open = round_bench.self_assessment_digest(cs)
        floor_closed = round_bench.floor_close(cs, after)
        floor_close = round_bench.self_assessment_digest(cs)
        transaction.set_rollback(True)
    until = timezone.localdate(now) + dt.timedelta(days=10)
    round_step(
        actor=None,
        criteria_set=cs,
        action="open_self_assessment",
        fields=StepFields(self_assessment_until=until),
        now=now,
    )
    assert round_bench.self_assessment_digest(cs) == floor_open and opened > 10
    assert round_cycle(now=after)["late"] == floor_closed == opened
    assert round_bench.self_assessment_digest(cs) == floor_close
    probe = PublishedResult.objects.create(
        criteria_set=cs, version=1, decision_number="x", decided_on=timezone.localdate(), published_at=now
    )
    other = PublishedResult.objects.create(
        criteria_set=cs, version=2, decision_number="y", decided_on=timezone.localdate(), published_at=now
    )
    results_freeze(result=probe)
    round_bench.floor_freeze(cs, other.pk)
    assert round_bench.frozen_digest(probe.pk) == round_bench.frozen_digest(other.pk)
    assert round_bench.frozen_digest(probe.pk)[1][0] == LeafScore.objects.filter(criteria_set=cs).count()
    round_bench.round_undo(cs)
    assert not Round.objects.filter(criteria_set=cs).exists()


def test_the_round_benchmark_runs_and_leaves_the_set_live(dataset):
    from benchmarks import round as round_bench
    from scoring.models import PublishedResult, Round

    cs = dataset
    scores_recompute(criteria_set=cs)
    out = round_bench.bench_round(cs, repeat=2)
    assert out["published_state"] == "published" and len(out["publish"]["runs"]) == 2
    assert out["close"]["units"] == out["open"]["digest"][0] > 10
    assert PublishedResult.objects.filter(criteria_set=cs).count() == 2  # the correction kept version 1
    rows = bench.published_reads(cs, n=2)
    assert [r["page"] for r in rows] == ["published ranking API", "published ranking page"]
    assert all(len(r["queries"]) == 1 for r in rows), rows
    round_bench.round_undo(cs)
    assert not Round.objects.filter(criteria_set=cs).exists()
    assert scores_recompute(criteria_set=cs) > 0  # live again


def _bulk_tables() -> tuple[int, int, int, int]:
    from tasks.models import Outbox, Task, TaskEvent, TaskSeries

    return (
        Task.objects.count(),
        TaskEvent.objects.count(),
        Outbox.objects.count(),
        TaskSeries.objects.count(),
    )


def _units_tree() -> list[tuple]:
    from org.models import Unit

    return list(Unit.objects.order_by("pk").values_list("pk", "parent_id", "path"))


def test_the_bulk_floors_write_the_task_rows_of_the_bulk_services(dataset):
    from benchmarks import bulk as bulk_bench
    from tasks.services import series_generate_due, task_cascade, tasks_cascade, tasks_import_xlsx

    now = timezone.now()
    today = timezone.localdate(now)
    plan, leader = bulk_bench._province_plan()
    before = _bulk_tables()
    start = bulk_bench.marks()
    templates = bulk_bench.templates_create(plan, leader, today=today, n=3)
    units = bulk_bench._units_in_reach(plan, "commune")
    cases = []

    def cascade():
        for template in templates:
            task_cascade(actor=leader, task=template, unit_kind="commune", now=now)

    cases.append(
        (
            cascade,
            lambda: bulk_bench.floor_cascade(plan, templates, units, actor=leader, now=now),
            "assigned",
            True,
        )
    )
    rows = bulk_bench.import_rows(plan, today=today, n=40)
    data = bulk_bench.import_file(rows)
    cases.append(
        (
            lambda: tasks_import_xlsx(actor=leader, plan=plan, data=data, now=now),
            lambda: bulk_bench.floor_import(plan, rows, actor=leader, now=now),
            "draft",
            False,
        )
    )
    series = bulk_bench.series_setup(today=today)
    moment, occurrence = bulk_bench.series_moment(series, today)
    cases.append(
        (
            lambda: series_generate_due(now=moment),
            lambda: bulk_bench.floor_series([s.pk for s in series], occurrence, now=moment),
            "assigned",
            False,
        )
    )
    tree = _units_tree()

    def national_case():
        # The national plan's template to every unit of the country, in one batch (set up last: it moves
        # the provinces under a national unit, which the province plan's loaded units do not know).
        national, national_leader, everyone = bulk_bench.national_setup(today=today)
        assert len(everyone) == len(tree)
        templates = bulk_bench.templates_create(national, national_leader, today=today, n=4)
        return (
            lambda: tasks_cascade(
                actor=national_leader, plan=national, tasks=templates, units=everyone, now=now
            ),
            lambda: bulk_bench.floor_cascade(national, templates, everyone, actor=national_leader, now=now),
            "assigned",
            True,
        )

    digests = []
    for case in [*cases, national_case]:
        real, floor, state, notices = case if isinstance(case, tuple) else case()
        since = bulk_bench.marks()
        with transaction.atomic():
            floor()
        floor_digest = bulk_bench.task_digest(since[0])
        floor_history = bulk_bench.history_count(since[0])
        floor_notices = bulk_bench.notice_digest(since[0])
        bulk_bench.undo(since)
        assert bulk_bench.task_digest(since[0]) == (0, "")
        assert bulk_bench.notice_digest(since[0]) == (0, "")
        with bulk_bench.changes_sent() as changes:
            real()
        assert bulk_bench.task_digest(since[0]) == floor_digest and floor_digest[0] >= 3
        assert bulk_bench.history_count(since[0]) == floor_history == floor_digest[0]
        if notices:
            # A cascade's floor writes the assigned notices too: those the notice job plans for the
            # copies (each to its unit's officials), text for text.
            assert bulk_bench.notices_plan(changes) == floor_notices[0] > floor_digest[0]
            assert bulk_bench.notice_digest(since[0]) == floor_notices
        from tasks.models import Task

        assert set(Task.objects.filter(pk__gt=since[0]).values_list("state", flat=True)) == {state}
        bulk_bench.undo(since)
        digests.append(floor_digest)
    # One occurrence for every generated unit (the series cover each unit kind of every province's plan),
    # and one copy of each of the 4 national templates for every unit.
    from org.models import Unit

    assert digests[2][0] == Unit.objects.filter(code__startswith="L").count()
    assert digests[3][0] == 4 * len(tree)
    from tasks.models import TaskSeries

    bulk_bench.undo(start)
    TaskSeries.objects.filter(pk__in=[s.pk for s in series]).delete()
    bulk_bench.national_undo()
    assert _bulk_tables() == before
    assert _units_tree() == tree


def test_the_bulk_benchmark_runs_and_leaves_no_rows_behind(dataset):
    from benchmarks import bulk as bulk_bench
    from notifications.models import Notification

    before = _bulk_tables()
    tree = _units_tree()
    notifications = Notification.objects.count()
    out = bulk_bench.bench_bulk(repeat=2, import_rows_n=30)
    for key in ("cascade", "import", "series"):
        assert out[key]["same_rows"], key
        assert len(out[key]["runs"]) == 2 and len(out[key]["floor_runs"]) == bulk_bench.FLOOR_RUNS
        assert out[key]["seconds"] > 0 and out[key]["floor"] > 0
    assert out["cascade"]["rows"] == bulk_bench.TEMPLATE_TASKS * out["cascade"]["units"]
    assert out["cascade"]["units"] == len(tree)  # every unit of the country
    assert _units_tree() == tree  # the national unit gone, the provinces roots again
    assert out["import"]["rows"] == 30
    assert out["series"]["plans"] == 34
    assert all(out[k]["outbox_left"] == 0 for k in ("cascade", "import", "series"))  # all dispatched
    assert _bulk_tables() == before
    assert Notification.objects.count() == notifications
    result = {"targets": bench.TARGETS, "pages": [], "bulk": out}
    text = bench.table(result)
    assert "XLSX import: 30 rows" in text and "recurring occurrences" in text
