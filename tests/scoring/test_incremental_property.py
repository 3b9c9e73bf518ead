"""Property: whatever happens to tasks, the scores kept up to date event by event equal a full recompute.

Hypothesis drives random sequences of task services (create, assign, start, evidence with or without a
metric, submit, approve, return, cancel, reopen, an approved extension, a changed due date) plus
appraisals on this year's and last year's sets. After every step, the events the step left in the outbox
go through scoring's real receiver, whose Celery job runs inline (the job's function itself, not eager
mode); then the UnitScore and LeafScore rows must equal those a full `scores_recompute` writes.
"""

import contextlib
import datetime as dt
from decimal import Decimal as D
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import TestCase
from django_fsm import TransitionNotAllowed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plans.services import PlanTransitionError
from scoring import jobs as scoring_queue
from scoring import tasks as scoring_jobs
from scoring.models import LeafScore, UnitScore
from scoring.receivers import on_task_changed
from scoring.services import SNAPSHOT_FIELDS, appraisal_set, scores_recompute
from tasks import services as task_services
from tasks.events import TaskChange
from tasks.models import Outbox, Task
from tasks.services import TaskTransitionError
from tests.factories import bound_plan, criteria_set_from, pdf_file, user
from tests.scoring.sets import NOW, SET_2025, SET_2026

pytestmark = pytest.mark.django_db

REFUSED = (TaskTransitionError, PlanTransitionError, ValidationError, PermissionDenied, TransitionNotAllowed)
DUES = [
    dt.date(2026, 5, 29),  # past: overdue unless approved; approved now means late
    dt.date(2026, 6, 13),  # a Saturday: effectively due today (Monday), so still pending
    dt.date(2026, 6, 15),  # today
    dt.date(2026, 9, 30),  # future
]
CODES = ["", "1.1", "1.4", "2.1", "2.2", "2.3"]
METRICS = [None, D("60"), D("97.5"), D("100")]
STEPS = ["assign", "start", "submit", "approve", "return", "cancel", "reopen"]
NEXT_STEP = {
    "draft": "assign",
    "assigned": "start",
    "in_progress": "submit",
    "returned": "submit",
    "submitted": "approve",
    "approved": "reopen",
}

create_op = st.tuples(
    st.just("create"),
    st.integers(0, 2),  # unit
    st.integers(0, 1),  # plan: the city's, or X01's own
    st.sampled_from(CODES),
    st.sampled_from(DUES),
)
task = st.integers(0, 9)  # taken modulo the number of tasks made so far
# "advance" moves a task one step along its usual life (assign, start, evidence, submit, approve), so that
# sequences reach every state often; the other steps come at random, allowed or not. one_of draws its
# branches evenly, so a branch listed twice comes twice as often.
ops = st.lists(
    st.one_of(
        create_op,
        create_op,
        st.tuples(st.just("advance"), task, st.sampled_from(METRICS)),
        st.tuples(st.just("advance"), task, st.sampled_from(METRICS)),
        st.tuples(st.just("advance"), task, st.sampled_from(METRICS)),
        st.tuples(st.sampled_from(STEPS), task),
        st.tuples(st.sampled_from(STEPS), task),
        st.tuples(st.just("evidence"), task, st.sampled_from(METRICS)),
        st.tuples(st.just("extend"), task),
        st.tuples(st.just("redate"), task, st.sampled_from(DUES)),
        st.tuples(
            st.just("appraise"),
            st.integers(0, 2),
            st.sampled_from(["1.1", "1.5"]),
            st.sampled_from([None, D("0"), D("2.5"), D("5")]),
        ),
        st.tuples(
            st.just("appraise_last_year"), st.integers(0, 2), st.sampled_from([None, D("40"), D("90")])
        ),
    ),
    min_size=1,
    max_size=24,
)


@pytest.fixture
def setup(world):
    with time_machine.travel(NOW, tick=False):
        w = world
        w.appraiser = user("thamdinh", memberships=[(w.province, "appraiser")])
        w.x01_leader = user("lanhdao.x01", memberships=[(w.commune, "leader")])
        w.previous = criteria_set_from(SET_2025)
        w.cs = criteria_set_from(SET_2026)
        w.plans = [bound_plan(w, w.cs, number="10/KH-UBND")]
        w.plans.append(bound_plan(w, w.cs, owner=w.commune, leader=w.x01_leader, number="05/KH-UBND"))
        w.leaders = [w.city_leader, w.x01_leader]
        # X01 and X02 share a peer group (the city); X99 ranks alone under another district.
        w.units = [w.commune, w.other_commune, w.elsewhere_commune]
        w.members = {
            w.commune.pk: w.official,
            w.other_commune.pk: w.other_official,
            w.elsewhere_commune.pk: w.stranger,
        }
        scores_recompute(criteria_set=w.previous)
        scores_recompute(criteria_set=w.cs)
        yield w


def run_jobs_inline():
    """Replace the broker: a queued job runs at once, in this thread and transaction."""
    return mock.patch.multiple(
        scoring_jobs.recompute_for_task_change,
        delay=lambda *args: scoring_jobs.recompute_for_task_change(*args),
    ), mock.patch.multiple(scoring_queue, recompute_units=lambda *args: scoring_jobs.recompute_units(*args))


def dispatch_outbox() -> int:
    """What the after-commit dispatch does, for scoring's receiver only, in order."""
    done = 0
    for row in Outbox.objects.order_by("id"):
        on_task_changed(sender=TaskChange, change=TaskChange.from_dict(row.payload, row.pk))
        row.delete()
        done += 1
    return done


def snapshot(cs):
    units = UnitScore.objects.filter(criteria_set=cs).values_list(
        "unit_id", "parent_unit_id", *SNAPSHOT_FIELDS
    )
    leaves = LeafScore.objects.filter(criteria_set=cs).values_list(
        "unit_id",
        "criterion_id",
        "on_time",
        "late",
        "overdue",
        "pending",
        "metric",
        "auto_points",
        "projected_points",
        "appraised_points",
        "points",
        "excluded",
    )
    return sorted(units), sorted(leaves)


def full_recompute_snapshot(cs):
    """The rows a full recompute writes, without keeping them."""
    sid = transaction.savepoint()
    scores_recompute(criteria_set=cs)
    rows = snapshot(cs)
    transaction.savepoint_rollback(sid)
    return rows


def apply(w, op, tasks: list[Task]) -> None:
    kind = op[0]
    if kind == "create":
        _kind, u, p, code, due = op
        tasks.append(
            task_services.task_create(
                actor=w.leaders[p],
                plan=w.plans[p],
                title=f"Nhiệm vụ {len(tasks)}",
                assignee_unit=w.units[u],
                due_date=due,
                criterion_code=code,
            )
        )
        return
    if kind == "appraise":
        _kind, u, code, points = op
        appraisal_set(actor=w.appraiser, criteria_set=w.cs, unit=w.units[u], code=code, points=points)
        return
    if kind == "appraise_last_year":
        _kind, u, points = op
        appraisal_set(actor=w.appraiser, criteria_set=w.previous, unit=w.units[u], code="1.1", points=points)
        return
    if not tasks:
        return
    task = Task.objects.get(pk=tasks[op[1] % len(tasks)].pk)
    leader = w.leaders[w.plans.index(next(p for p in w.plans if p.pk == task.plan_id))]
    member = w.members[task.assignee_unit_id]
    if kind == "advance":
        if task.state in ("in_progress", "returned") and not task.evidence.exists():
            kind = "evidence"
        else:
            kind = NEXT_STEP.get(task.state)
            if kind is None:
                return
    if kind == "evidence":
        task_services.evidence_add(actor=member, task=task, file=pdf_file(), metric_value=op[2])
    elif kind == "extend":
        ext = task_services.extension_request(
            actor=member,
            task=task,
            requested_due_date=(task.due_date or NOW.date()) + dt.timedelta(days=30),
            reason="Chờ số liệu",
        )
        task_services.extension_decide(actor=leader, extension=ext, approve=True)
    elif kind == "redate":
        task_services.task_update(actor=leader, task=task, due_date=op[2])
    elif kind in ("start", "submit"):
        task_services.TRANSITIONS[kind](actor=member, task=task)
    else:
        task_services.TRANSITIONS[kind](actor=leader, task=task, reason="lý do")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=ops)
def test_incremental_scores_always_equal_a_full_recompute(setup, sequence):
    w = setup
    patch_task_job, patch_units_job = run_jobs_inline()
    with time_machine.travel(NOW, tick=False), patch_task_job, patch_units_job, transaction.atomic():
        tasks: list[Task] = []
        for step, op in enumerate(sequence):
            # Appraisals queue their job after commit: run those callbacks as the commit would.
            # A step not allowed now changes nothing, as the user would see.
            with (
                TestCase.captureOnCommitCallbacks(execute=op[0].startswith("appraise")),
                contextlib.suppress(*REFUSED),
            ):
                apply(w, op, tasks)
            dispatch_outbox()
            incremental = snapshot(w.cs)
            assert incremental == full_recompute_snapshot(w.cs), f"after step {step}: {op}"
        transaction.set_rollback(True)  # the next example starts from the same world
