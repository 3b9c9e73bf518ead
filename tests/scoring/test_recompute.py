"""Scores computed from tasks, surveys and appraisals, checked against totals worked out by hand.

Three communes of the city (A = X01, B = X02, C = X03) are scored on the small 2026 set of `sets.py`; the
2025 set only holds a manual leaf, so last year's totals are what the council appraised. Every expected
number is a literal with its arithmetic beside it. The clock is fixed: `NOW` is Monday 15/06/2026.
"""

import datetime as dt
from decimal import Decimal as D
from io import StringIO
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from org import services as org_services
from scoring import selectors
from scoring.models import LeafScore, UnitScore
from scoring.services import appraisal_set, score_snapshot, scores_recompute, survey_import
from scoring.tasks import reconcile_all
from tests.factories import STEPS_TO, bound_plan, criteria_set_from, drive, unit, user
from tests.scoring.sets import FUTURE, LATE_AT, NOW, PAST, SET_2025, SET_2026, TZ, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(world):
    w = world
    a, b = w.commune, w.other_commune
    appraiser = user("thamdinh", memberships=[(w.province, "appraiser")])

    # Last year: only the council's appraisal, 60 for A and 52.5 for B.
    previous = criteria_set_from(SET_2025)
    appraisal_set(actor=appraiser, criteria_set=previous, unit=a, code="1.1", points=D("60"))
    appraisal_set(actor=appraiser, criteria_set=previous, unit=b, code="1.1", points=D("52.5"))
    scores_recompute(criteria_set=previous, now=NOW)
    # C is a new commune: it has no score on last year's set, so no delta.
    c = unit("X03", parent=w.city, name="Xã Văn Phú")
    c_official = user("canbo.x03", memberships=[(c, "official")])
    a_leader = user("lanhdao.x01", memberships=[(a, "leader")])

    cs = criteria_set_from(SET_2026)
    city_plan = bound_plan(w, cs, number="10/KH-UBND")  # owned by the city: "assigned by a higher level"
    own_plan = bound_plan(w, cs, owner=a, leader=a_leader, number="05/KH-UBND")  # A's own plan
    approved, in_progress = STEPS_TO["approved"], STEPS_TO["in_progress"]
    city = {"leader": w.city_leader}
    tasks = SimpleNamespace()
    # A (X01): city plan
    tasks.a1 = make_task(city_plan, a, "1.1", PAST, approved, member=w.official, **city)  # on time
    tasks.a2 = make_task(city_plan, a, "1.4", PAST, approved, member=w.official, **city)  # on time
    tasks.a3 = make_task(city_plan, a, "1.4", PAST, in_progress, member=w.official, **city)  # overdue
    tasks.a4 = make_task(city_plan, a, "2.1", PAST, approved, member=w.official, metric=D("97.5"), **city)
    tasks.a5 = make_task(city_plan, a, "1.1", PAST, [], member=w.official, **city)  # draft: counts nowhere
    tasks.a6 = make_task(city_plan, a, "1.1", PAST, ["cancel"], member=w.official, **city)  # cancelled
    # A (X01): its own plan. b2 is approved last (22/05) though created first: its metric (60) is the one.
    own = {"leader": a_leader, "member": w.official}
    tasks.b1 = make_task(own_plan, a, "1.4", FUTURE, ["assign"], **own)  # pending
    tasks.b2 = make_task(own_plan, a, "2.2", PAST, STEPS_TO["submitted"], metric=D("60"), **own)
    tasks.b3 = make_task(own_plan, a, "2.2", PAST, approved, metric=D("90"), **own)  # approved 20/05
    drive(tasks.b2, ["approve"], at=dt.datetime(2026, 5, 22, 9, 0, tzinfo=TZ), **own)
    # B (X02): city plan
    b_member = {"member": w.other_official, **city}
    tasks.c1 = make_task(city_plan, b, "1.1", PAST, approved, at=LATE_AT, **b_member)  # late
    tasks.c2 = make_task(city_plan, b, "2.3", FUTURE, in_progress, **b_member)  # pending
    tasks.c3 = make_task(city_plan, b, "2.1", PAST, approved, metric=D("100"), **b_member)  # on time
    # C (X03): city plan
    c_member = {"member": c_official, **city}
    tasks.d1 = make_task(city_plan, c, "1.1", PAST, approved, **c_member)  # on time
    tasks.d2 = make_task(city_plan, c, "2.1", PAST, approved, metric=D("95"), **c_member)  # on time

    survey = (
        "unit_code,criterion_code,points\n"
        "X01,3.1,17.5\nX01,3.2,8\nX02,3.1,20\nX02,3.2,10\nX03,3.1,19\nX03,3.2,9\n"
    )
    survey_import(actor=appraiser, criteria_set=cs, data=survey.encode(), now=NOW)
    appraisal_set(actor=appraiser, criteria_set=cs, unit=a, code="1.5", points=D("4"), note="Báo cáo đủ")
    appraisal_set(actor=appraiser, criteria_set=cs, unit=c, code="1.5", points=D("4"))
    scores_recompute(criteria_set=cs, now=NOW)
    return SimpleNamespace(
        w=w, cs=cs, previous=previous, a=a, b=b, c=c, appraiser=appraiser, tasks=tasks, city_plan=city_plan
    )


def score(s, u) -> UnitScore:
    return UnitScore.objects.get(criteria_set=s.cs, unit=u)


def leaf(s, u, code) -> LeafScore:
    return LeafScore.objects.get(criteria_set=s.cs, unit=u, criterion__code=code)


def test_commune_a_worked_by_hand(scenario):
    s = scenario
    # 1.1 task_on_time: a1 on time; the draft a5 and the cancelled a6 count nowhere        -> 10
    assert (leaf(s, s.a, "1.1").on_time, leaf(s, s.a, "1.1").overdue, leaf(s, s.a, "1.1").points) == (
        1,
        0,
        10,
    )
    # 1.2 scope plan: a1 a2 a4 b2 b3 on time, a3 overdue, b1 pending: 5/7 = 0.714 -> band 0.5 -> 3
    #     projected: 6/7 = 0.857 -> band 0.75                                              -> 6
    l12 = leaf(s, s.a, "1.2")
    assert (l12.on_time, l12.overdue, l12.pending, l12.points, l12.projected_points) == (5, 1, 1, 3, 6)
    # 1.3 assigned by higher, count approved: the city plan's a1 a2 a4 of 4 = 0.75 -> band 0.5 -> 2
    assert (leaf(s, s.a, "1.3").on_time, leaf(s, s.a, "1.3").points) == (3, 2)
    # 1.4 deduction 2.5 per item: a3 overdue + b1 pending: 10 - 2.5 x 2 = 5; projected 10 - 2.5 = 7.5
    assert (leaf(s, s.a, "1.4").points, leaf(s, s.a, "1.4").projected_points) == (D("5"), D("7.5"))
    # 1.5 manual, appraised 4 (automatic 0, kept beside it)
    assert (leaf(s, s.a, "1.5").auto_points, leaf(s, s.a, "1.5").appraised_points) == (0, 4)
    # 2.1 metric bands: a4's 97.5 -> band 95                                                 -> 6
    assert leaf(s, s.a, "2.1").points == D("6")
    # 2.2 metric proportional: b2 was approved last (60, not b3's 90): 10 x 60 / 80          -> 7.5
    assert (leaf(s, s.a, "2.2").metric, leaf(s, s.a, "2.2").points) == (D("60"), D("7.5"))
    # 2.3 no task, when_no_tasks exclude: 0 points and its max leaves the applicable max
    assert leaf(s, s.a, "2.3").excluded and leaf(s, s.a, "2.3").points == 0
    # 2.4 no task, when_no_tasks full                                                        -> 5
    assert leaf(s, s.a, "2.4").points == D("5")

    a = score(s, s.a)
    # evidence: part 1 = 10 + 3 + 2 + 5 + 4 = 24; part 2 = 6 + 7.5 + 0 + 5 = 18.5; 24 + 18.5 = 42.5
    assert a.evidence_points == D("42.5")
    # survey: 17.5 + 8 = 25.5
    assert a.survey_points == D("25.5")
    # total: 42.5 + 25.5 = 68
    assert a.total == D("68")
    # applicable max: 40 + min(10 + 10 + 0 + 5, 30) + 30 = 95
    assert a.applicable_max == D("95")
    # percent: 68 / 95 x 100 = 71.578947… -> 71.5789
    assert a.percent == D("71.5789")
    # projected: part 1 = 10 + 6 + 2 + 7.5 + 4 = 29.5; + 18.5 + 25.5 = 73.5; 73.5 / 95 = 77.368421… %
    assert (a.projected_total, a.projected_percent) == (D("73.5"), D("77.3684"))
    # delta: 68 - 60 (last year's appraised total)
    assert a.delta == D("8")


def test_commune_b_worked_by_hand(scenario):
    s = scenario
    # 1.1: c1 submitted 05/06 after its due date 29/05: all approved, some late -> late_points 4
    assert (leaf(s, s.b, "1.1").late, leaf(s, s.b, "1.1").points) == (1, D("4"))
    # 1.2 scope plan: c3 on time, c1 late, c2 pending: 1/3 -> below 0.5 -> 0; projected 2/3 -> 3
    assert (leaf(s, s.b, "1.2").points, leaf(s, s.b, "1.2").projected_points) == (0, 3)
    # 1.3 count approved: (1 + 1) / 3 = 0.667 -> 2; projected 3/3 -> 5
    assert (leaf(s, s.b, "1.3").points, leaf(s, s.b, "1.3").projected_points) == (2, 5)
    # 1.4 no task, when_no_tasks zero -> 0; 1.5 not appraised -> 0
    assert (leaf(s, s.b, "1.4").points, leaf(s, s.b, "1.5").points) == (0, 0)
    # 2.3: c2 pending -> 0 now, 10 if done on time; not excluded (it has a task)
    assert (leaf(s, s.b, "2.3").points, leaf(s, s.b, "2.3").projected_points) == (0, 10)
    assert not leaf(s, s.b, "2.3").excluded

    b = score(s, s.b)
    # evidence: part 1 = 4 + 0 + 2 + 0 + 0 = 6; part 2 = 10 + 0 + 0 + 5 = 15; 6 + 15 = 21
    # survey: 20 + 10 = 30; total 51; applicable 40 + min(35, 30) + 30 = 100; 51 %
    assert (b.evidence_points, b.survey_points, b.total) == (D("21"), D("30"), D("51"))
    assert (b.applicable_max, b.percent) == (D("100"), D("51"))
    # projected: part 1 = 4 + 3 + 5 + 0 + 0 = 12; part 2 = 10 + 0 + 10 + 5 = 25; 12 + 25 + 30 = 67
    assert (b.projected_total, b.projected_percent) == (D("67"), D("67"))
    # delta: 51 - 52.5
    assert b.delta == D("-1.5")


def test_commune_c_worked_by_hand_and_ties_share_a_rank(scenario):
    s = scenario
    c = score(s, s.c)
    # part 1 = 10 (1.1) + 10 (1.2: 2/2) + 5 (1.3: 2/2) + 0 (1.4) + 4 (1.5 appraised) = 29
    # part 2 = 6 (2.1: 95) + 0 + 0 (2.3 excluded) + 5 (2.4 full) = 11; evidence 40; survey 19 + 9 = 28
    assert (c.evidence_points, c.survey_points, c.total, c.applicable_max) == (
        D("40"),
        D("28"),
        D("68"),
        D("95"),
    )
    # 68 / 95 as for A; nothing pending, so the projection is the score itself
    assert (c.percent, c.projected_total) == (D("71.5789"), D("68"))
    # C did not exist when last year's set was scored: no delta
    assert c.delta is None

    table = [(r.unit.code, r.rank) for r in selectors.ranking(criteria_set=s.cs, parent_unit=s.w.city)]
    assert table == [("X01", 1), ("X03", 1), ("X02", 3)]  # 71.58, 71.58, 51.00: ranks 1, 1, 3


def test_appraisal_replaces_the_automatic_points_and_re_ranks(scenario):
    s = scenario
    appraisal_set(actor=s.appraiser, criteria_set=s.cs, unit=s.a, code="1.1", points=D("8"), note="Thiếu")
    scores_recompute(criteria_set=s.cs, unit_ids=[s.a.pk], now=NOW)

    l11 = leaf(s, s.a, "1.1")
    assert (l11.auto_points, l11.appraised_points, l11.points) == (D("10"), D("8"), D("8"))
    a = score(s, s.a)
    # 68 - (10 - 8) = 66; 66 / 95 = 69.473684… %; projected 73.5 - 2 = 71.5
    assert (a.total, a.percent, a.projected_total) == (D("66"), D("69.4737"), D("71.5"))
    table = [(r.unit.code, r.rank) for r in selectors.ranking(criteria_set=s.cs, parent_unit=s.w.city)]
    assert table == [("X03", 1), ("X01", 2), ("X02", 3)]

    # Clearing the appraisal brings the automatic points back.
    appraisal_set(actor=s.appraiser, criteria_set=s.cs, unit=s.a, code="1.1", points=None)
    scores_recompute(criteria_set=s.cs, unit_ids=[s.a.pk], now=NOW)
    assert (score(s, s.a).total, score(s, s.a).rank, score(s, s.c).rank) == (D("68"), 1, 1)


def test_survey_import_replaces_results_and_queues_a_recompute(scenario):
    s = scenario
    # The patch must outlive the capture: the callbacks run when the capture block exits.
    with (
        mock.patch("scoring.jobs.recompute_units") as delay,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        survey_import(
            actor=s.appraiser,
            criteria_set=s.cs,
            data=b"unit_code,criterion_code,points\nX02,3.1,15\n",
            now=NOW,
        )
    delay.assert_called_once_with(s.cs.pk, [s.b.pk])
    scores_recompute(criteria_set=s.cs, unit_ids=[s.b.pk], now=NOW)
    # B's survey: 15 + 10 = 25; total 21 + 25 = 46
    assert (score(s, s.b).survey_points, score(s, s.b).total, score(s, s.b).percent) == (
        D("25"),
        D("46"),
        D("46"),
    )


def test_a_set_just_imported_has_its_scores_queued_after_commit(db):
    """The criteria app announces the new set (criteria_set_imported); scoring queues its computation."""
    with (
        mock.patch("scoring.jobs.recompute_set") as delay,
        TestCase.captureOnCommitCallbacks(execute=False) as callbacks,
    ):
        cs = criteria_set_from(SET_2026)
    delay.assert_not_called()  # nothing is queued before the set is committed
    with mock.patch("scoring.jobs.recompute_set") as delay:
        for callback in callbacks:
            callback()
    delay.assert_called_once_with(cs.pk)


def test_a_change_on_last_years_set_updates_this_years_delta(scenario):
    s = scenario
    appraisal_set(actor=s.appraiser, criteria_set=s.previous, unit=s.a, code="1.1", points=D("70"))
    scores_recompute(criteria_set=s.previous, unit_ids=[s.a.pk], now=NOW)
    # 68 - 70, without recomputing this year's set
    assert score(s, s.a).delta == D("-2")


def test_a_unit_moved_to_another_parent_leaves_its_old_peer_group_re_ranked(scenario):
    s = scenario
    org_services.unit_update(unit=s.c, parent=s.w.elsewhere)
    scores_recompute(criteria_set=s.cs, unit_ids=[s.c.pk], now=NOW)

    city = [(r.unit.code, r.rank) for r in selectors.ranking(criteria_set=s.cs, parent_unit=s.w.city)]
    assert city == [("X01", 1), ("X02", 2)]
    # X99 has no task at all: only 2.4's 5 "full" points of 95 applicable
    elsewhere = selectors.ranking(criteria_set=s.cs, parent_unit=s.w.elsewhere)
    assert [(r.unit.code, r.rank, r.total) for r in elsewhere] == [("X03", 1, D("68")), ("X99", 2, D("5"))]


def test_a_unit_that_changes_kind_leaves_the_ranking(scenario):
    s = scenario
    org_services.unit_update(unit=s.c, kind="district")
    scores_recompute(criteria_set=s.cs, unit_ids=[s.c.pk], now=NOW)
    assert not UnitScore.objects.filter(criteria_set=s.cs, unit=s.c).exists()
    assert not LeafScore.objects.filter(criteria_set=s.cs, unit=s.c).exists()
    city = [(r.unit.code, r.rank) for r in selectors.ranking(criteria_set=s.cs, parent_unit=s.w.city)]
    assert city == [("X01", 1), ("X02", 2)]


def test_a_full_recompute_changes_nothing_after_a_partial_one(scenario):
    s = scenario
    before = score_snapshot(s.cs)
    leaves = set(LeafScore.objects.filter(criteria_set=s.cs).values_list("unit", "criterion", "points"))
    assert scores_recompute(criteria_set=s.cs, now=NOW) == 4  # X01, X02, X03 and X99
    assert score_snapshot(s.cs) == before
    assert (
        set(LeafScore.objects.filter(criteria_set=s.cs).values_list("unit", "criterion", "points")) == leaves
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's row versions (xmin)")
def test_a_recompute_rewrites_only_the_leaf_rows_whose_values_changed(scenario):
    """A nightly run that changes nothing writes nothing; a changed task rewrites only its own leaf's row."""
    s = scenario

    def versions() -> dict:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, xmin::text FROM scoring_leafscore WHERE criteria_set_id = %s", [s.cs.pk]
            )
            return dict(cursor.fetchall())

    before = versions()
    scores_recompute(criteria_set=s.cs, now=NOW)
    assert versions() == before

    drive(s.tasks.a3, ["evidence", "submit", "approve"], at=NOW, leader=s.w.city_leader, member=s.w.official)
    scores_recompute(criteria_set=s.cs, now=NOW)
    after = versions()
    rewritten = {pk for pk, version in after.items() if before.get(pk) != version}
    # The task's own leaf (1.4) and the two leaves that count all of A's tasks (1.2 plan-wide, 1.3 those
    # assigned by a higher level); no other unit's rows, and none of A's other leaves.
    assert rewritten == {leaf(s, s.a, code).pk for code in ("1.2", "1.3", "1.4")}
    assert (leaf(s, s.a, "1.4").late, leaf(s, s.a, "1.4").overdue) == (1, 0)


def test_breakdown_explains_every_leaf_with_its_tasks(scenario, django_assert_max_num_queries):
    s = scenario
    t = s.tasks
    with translation.override("vi"), django_assert_max_num_queries(6):
        bd = selectors.breakdown(criteria_set=s.cs, unit=s.a, today=NOW.date())
    nodes = {n.code: n for n in bd.nodes}
    assert [n.code for n in bd.nodes] == [
        "1", "1.1", "1.2", "1.3", "1.4", "1.5", "2", "2.1", "2.2", "2.3", "2.4", "3", "3.1", "3.2"
    ]  # fmt: skip

    l14 = nodes["1.4"]
    assert l14.reason == "1/3 nhiệm vụ đúng hạn, 1 quá hạn, 1 chưa đến hạn"
    assert (l14.points_lost, l14.points_to_win) == (D("5"), D("2.5"))  # 10 - 5; 7.5 - 5
    assert [(x.id, x.status) for x in l14.tasks] == [
        (t.a2.pk, "on_time"),
        (t.a3.pk, "overdue"),
        (t.b1.pk, "pending"),
    ]
    # scope plan: every counted task of A (not the draft a5 nor the cancelled a6); higher: the city's only
    assert {x.id for x in nodes["1.2"].tasks} == {
        t.a1.pk,
        t.a2.pk,
        t.a3.pk,
        t.a4.pk,
        t.b1.pk,
        t.b2.pk,
        t.b3.pk,
    }
    assert {x.id for x in nodes["1.3"].tasks} == {t.a1.pk, t.a2.pk, t.a3.pk, t.a4.pk}
    assert nodes["1.5"].reason == "đã thẩm định: 4 điểm" and nodes["1.5"].appraisal_note == "Báo cáo đủ"
    assert nodes["2.2"].reason == "giá trị số liệu được duyệt: 60 / chỉ tiêu 80"
    assert nodes["3.1"].reason == "điểm điều tra đã nhập: 17.5"
    assert nodes["2.3"].excluded and nodes["2.3"].applicable_max == 0 and nodes["2.3"].points_lost == 0
    # nodes with children roll up: part 2 = 6 + 7.5 + 0 + 5 = 18.5 of min(25, 30) applicable
    assert (nodes["2"].points, nodes["2"].applicable_max) == (D("18.5"), D("25"))
    assert (nodes["1"].points, nodes["1"].auto_points, nodes["1"].projected_points) == (
        D("24"),
        D("20"),  # without the appraisal of 1.5: 10 + 3 + 2 + 5 + 0
        D("29.5"),
    )
    # points lost per leaf, largest first: 1.2 (10 - 3), 1.4 (10 - 5), 2.1 (10 - 6), 1.3 (5 - 2), …
    assert [(n.code, n.points_lost) for n in bd.losses] == [
        ("1.2", 7),
        ("1.4", 5),
        ("2.1", 4),
        ("1.3", 3),
        ("2.2", D("2.5")),
        ("3.1", D("2.5")),
        ("3.2", 2),
        ("1.5", 1),
    ]
    # the unit's totals: 95 - 68 = 27 lost; 73.5 - 68 = 5.5 still to win (1.2: 6 - 3, 1.4: 7.5 - 5)
    assert (bd.points_lost, bd.points_to_win) == (D("27"), D("5.5"))
    assert sum(n.points_lost for n in bd.leaves) == D("27")


def test_breakdowns_of_many_units_take_the_same_queries(scenario):
    s = scenario
    with CaptureQueriesContext(connection) as one:
        selectors.breakdowns(criteria_set=s.cs, units=[s.a], today=NOW.date())
    with CaptureQueriesContext(connection) as three:
        selectors.breakdowns(criteria_set=s.cs, units=[s.a, s.b, s.c], today=NOW.date())
    assert len(three) == len(one) == 6


def test_recompute_queries_do_not_grow_with_units_or_tasks(world):
    cs = criteria_set_from(SET_2026)
    plan = bound_plan(world, cs, number="11/KH-UBND")
    members = []
    for n in range(30):
        commune = unit(f"Q{n:02d}", parent=world.city)
        member = user(f"canbo.q{n:02d}", memberships=[(commune, "official")])
        members.append((commune, member))
        for code, due, steps in (
            ("1.1", PAST, STEPS_TO["approved"]),
            ("1.4", FUTURE, STEPS_TO["in_progress"]),
            ("2.1", PAST, STEPS_TO["approved"]),
        ):
            make_task(
                plan, commune, code, due, steps, leader=world.city_leader, member=member, metric=D("99")
            )
    ids = [c.pk for c, _m in members]

    with CaptureQueriesContext(connection) as three:
        assert scores_recompute(criteria_set=cs, unit_ids=ids[:3], now=NOW) == 3
    with CaptureQueriesContext(connection) as thirty:
        assert scores_recompute(criteria_set=cs, unit_ids=ids, now=NOW) == 30
    assert len(thirty) == len(three) < 30
    # 1.1 on time (10) + 1.2: 2/3 -> 3 + 1.3 approved 2/3 -> 2 + 1.4: one pending, 10 - 2.5 = 7.5
    # + 2.1: 99 -> band 95 -> 6 + 2.4 full 5 = 33.5 of 95 (2.3 excluded)
    assert set(UnitScore.objects.filter(criteria_set=cs, unit_id__in=ids).values_list("total", "rank")) == {
        (D("33.5"), 1)
    }


def test_the_recompute_command_rebuilds_every_score_with_a_progress_bar(scenario):
    s = scenario
    UnitScore.objects.filter(criteria_set=s.cs, unit=s.a).update(total=D("0"), rank=None)  # a damaged row
    LeafScore.objects.filter(criteria_set=s.cs, unit=s.b).delete()
    out, err = StringIO(), StringIO()
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        call_command("recompute_scores", "--criteria-set", "T-2026", stdout=out, stderr=err)

    assert "T-2026: 4 units recomputed in" in out.getvalue()
    assert "Recomputed 4 units in" in out.getvalue()
    assert "T-2026: 100%" in err.getvalue() and "4/4" in err.getvalue()  # the progress bar
    assert (score(s, s.a).total, score(s, s.a).rank) == (D("68"), 1)
    assert leaf(s, s.b, "1.1").points == D("4")


def test_the_recompute_command_names_the_known_sets_for_an_unknown_code(scenario):
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("recompute_scores", "--criteria-set", "XA-1999")
    assert str(refused.value) == "No criteria set with code XA-1999. Known codes: T-2025, T-2026."


def test_the_nightly_reconciliation_fixes_and_reports_what_differed(scenario, caplog):
    s = scenario
    UnitScore.objects.filter(criteria_set=s.cs, unit=s.b).update(total=D("1"))
    with time_machine.travel(NOW, tick=False), caplog.at_level("WARNING", logger="scoring.services"):
        report = reconcile_all()  # the beat job's own function, run here

    # T-2025 is scored for every commune, so X03 (created after it was last scored) gets its row now.
    assert report == {"T-2025": 1, "T-2026": 1}
    assert score(s, s.b).total == D("51")
    assert "reconcile T-2026: 1 unit(s) changed:" in caplog.text
    assert f"unit {s.b.pk}: {{'total': (Decimal('1.0000'), Decimal('51.0000'))" in caplog.text
    # last year's new row for C gives C a delta this year: 68 - 0
    assert score(s, s.c).delta == D("68")


def test_score_rows_travel_as_array_literals_of_checked_numbers_only():
    from scoring.services._upsert import _array_param

    assert _array_param("numeric", (D("1.5"), None, 2, D("-0.0001"))) == "{1.5,NULL,2,-0.0001}"
    assert _array_param("bigint", (3, 1)) == "{3,1}"
    assert _array_param("boolean", (True, False)) == "{True,False}"
    ts = dt.datetime(2026, 6, 15, tzinfo=dt.UTC)
    assert _array_param("timestamptz", (ts,)) == [ts]  # other types: the driver adapts them
    for sql_type, value in [("numeric", "1},{2"), ("bigint", True), ("boolean", 1), ("int", 1.5)]:
        with pytest.raises(TypeError):
            _array_param(sql_type, (value,))


def test_deleting_a_unit_or_a_set_deletes_their_leaf_scores(scenario):
    """LeafScore has no foreign-key constraints in the database (a derived table, see the model): the ORM's
    cascade is what removes the rows of a deleted unit or set."""
    s = scenario
    x99 = UnitScore.objects.get(criteria_set=s.cs, unit__code="X99").unit
    x99_id, previous_id = x99.pk, s.previous.pk  # delete() clears the instances' pk
    assert LeafScore.objects.filter(unit_id=x99_id).exists()
    x99.delete()
    assert not LeafScore.objects.filter(unit_id=x99_id).exists()
    assert not UnitScore.objects.filter(unit_id=x99_id).exists()

    assert LeafScore.objects.filter(criteria_set_id=previous_id).exists()
    s.previous.delete()
    assert not LeafScore.objects.filter(criteria_set_id=previous_id).exists()
    assert LeafScore.objects.filter(criteria_set=s.cs).exists()
