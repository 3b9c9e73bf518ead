"""Cascading a plan's task to many units (issue 15): one copy per unit in one step, units outside the
reach refused, a retry (or a run after a killed worker) creating only what is missing, and a received task
split into sub-tasks by the unit's leaders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from org.models import UnitKind
from tasks.choices import TaskAction, TaskState
from tasks.models import Outbox, Task, TaskEvent
from tasks.services import TaskTransitionError, task_cascade, task_split, tasks_create_bulk
from tests.factories import unit, user

pytestmark = pytest.mark.django_db


def _due(days: int = 30) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def source(world):
    return world.task("draft", unit=world.city, title="Ban hành kế hoạch CCHC năm", due=_due())


def test_a_task_cascades_to_every_commune_in_reach_once(world, source):
    result = task_cascade(actor=world.city_leader, task=source, unit_kind=UnitKind.COMMUNE)
    assert result.summary() == {"created": 2, "existing": 0, "units": 2}
    copies = Task.objects.filter(source=source)
    assert {c.assignee_unit_id for c in copies} == {world.commune.pk, world.other_commune.pk}
    assert all(c.state == TaskState.ASSIGNED and c.title == source.title for c in copies)
    assert all(c.due_date == source.due_date for c in copies)
    # One history row per copy; the copy outside the reach (X99, another district) is not made.
    assert TaskEvent.objects.filter(task__source=source, action=TaskAction.ASSIGN).count() == 2
    assert not Task.objects.filter(assignee_unit=world.elsewhere_commune).exists()
    # A second run (a retry, a second click) creates nothing and says so.
    again = task_cascade(actor=world.city_leader, task=source, unit_kind=UnitKind.COMMUNE)
    assert again.summary() == {"created": 0, "existing": 2, "units": 2}
    assert Task.objects.filter(source=source).count() == 2


def test_a_cascade_cut_short_finishes_once(world, source):
    """A worker killed after the first units' copies committed: the run again creates only the rest."""
    tasks_create_bulk(
        actor=world.city_leader,
        plan=world.plan,
        rows=[
            {
                "title": source.title,
                "assignee_unit": world.commune,
                "due_date": source.due_date,
                "source": source,
            }
        ],
        assign=True,
    )
    third = unit("X03", parent=world.city)
    result = task_cascade(actor=world.city_leader, task=source, unit_kind=UnitKind.COMMUNE)
    assert result.summary() == {"created": 2, "existing": 1, "units": 3}
    assert sorted(Task.objects.filter(source=source).values_list("assignee_unit_id", flat=True)) == sorted(
        [world.commune.pk, world.other_commune.pk, third.pk]
    )


def _cascade_queries(world, source) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = task_cascade(actor=world.city_leader, task=source, unit_kind=UnitKind.COMMUNE)
    assert result.summary()["created"] == result.summary()["units"]
    return len(ctx.captured_queries)


def test_a_cascade_takes_as_many_queries_for_12_units_as_for_2(world, source):
    two = _cascade_queries(world, source)
    for i in range(10):
        unit(f"X{10 + i}", parent=world.city)
    other = world.task("draft", unit=world.city, title="Niêm yết thủ tục hành chính", due=_due())
    assert _cascade_queries(world, other) == two
    assert Task.objects.filter(source=other).count() == 12


def test_units_outside_the_reach_are_refused_by_name(world, source):
    with pytest.raises(ValidationError) as refused:
        task_cascade(
            actor=world.city_leader, task=source, units=[world.commune.pk, world.elsewhere_commune.pk]
        )
    [message] = refused.value.message_dict["units"]
    assert str(world.elsewhere_commune.pk) in message and str(world.commune.pk) not in message.split(":")[-1]
    assert not Task.objects.filter(source=source).exists()


def test_only_the_owner_leaders_cascade(world, source):
    with pytest.raises(PermissionDenied):
        task_cascade(actor=world.stranger_leader, task=source, unit_kind=UnitKind.COMMUNE)
    assert not Task.objects.filter(source=source).exists()


def test_a_cascade_is_one_outbox_event(world, source, django_capture_on_commit_callbacks):
    Outbox.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        result = task_cascade(actor=world.city_leader, task=source, unit_kind=UnitKind.COMMUNE)
    [row] = Outbox.objects.all()
    assert sorted(row.payload["task_ids"]) == sorted(t.pk for t in result.created)
    assert row.payload["action"] == TaskAction.ASSIGN and row.payload["affects_score"] is True


def test_the_api_cascades_and_answers_400_for_a_unit_out_of_reach(world, source, api):
    client = api.as_(world.city_leader)
    r = client.post(
        f"/api/tasks/{source.pk}/cascade/", {"units": [world.elsewhere_commune.pk]}, format="json"
    )
    assert r.status_code == 400 and str(world.elsewhere_commune.pk) in r.json()["units"][0], r.content
    r = client.post(f"/api/tasks/{source.pk}/cascade/", {"unit_kind": "commune"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["created"] == 2 and r.json()["existing"] == 0 and len(r.json()["task_ids"]) == 2
    r = client.post(f"/api/tasks/{source.pk}/cascade/", {"unit_kind": "commune"}, format="json")
    assert r.status_code == 200 and r.json()["created"] == 0 and r.json()["existing"] == 2
    r = client.post(f"/api/tasks/{source.pk}/cascade/", {}, format="json")
    assert r.status_code == 400 and "unit_kind" in r.json()


def test_a_commune_leader_splits_a_received_task_for_their_officials(world, source, api):
    commune_leader = user("xaleader", memberships=[(world.commune, "leader")])
    task_cascade(actor=world.city_leader, task=source, unit_kind=UnitKind.COMMUNE)
    received = Task.objects.get(source=source, assignee_unit=world.commune)
    subtasks = task_split(
        actor=commune_leader,
        task=received,
        rows=[
            {"title": "Dự thảo kế hoạch", "lead": world.official, "due_date": _due(10)},
            {"title": "Trình ký", "lead": world.colleague},
        ],
    )
    assert [(t.parent_id, t.lead_id, t.state) for t in subtasks] == [
        (received.pk, world.official.pk, TaskState.ASSIGNED),
        (received.pk, world.colleague.pk, TaskState.ASSIGNED),
    ]
    assert subtasks[1].due_date == received.due_date and not subtasks[0].criterion_code
    # A lead from another unit, a due date after the task's: the row named, nothing written.
    with pytest.raises(ValidationError) as refused:
        task_split(
            actor=commune_leader,
            task=received,
            rows=[{"title": "Sai", "lead": world.other_official}, {"title": "Muộn", "due_date": _due(90)}],
        )
    text = " ".join(refused.value.message_dict["rows"])
    assert "Dòng 2, due_date" in text
    assert Task.objects.filter(parent=received).count() == 2
    # Another unit's leader may not split it; the API answers 403 to a leader who sees it but may not.
    with pytest.raises(PermissionDenied):
        task_split(actor=world.stranger_leader, task=received, rows=[{"title": "X"}])
    r = api.as_(commune_leader).post(
        f"/api/tasks/{received.pk}/split/",
        {"subtasks": [{"title": "Niêm yết", "lead": world.official.pk}]},
        format="json",
    )
    assert r.status_code == 201 and r.json()[0]["title"] == "Niêm yết", r.content
    # A user id that does not exist reads exactly as one of another unit.
    answers = [
        api.as_(commune_leader)
        .post(f"/api/tasks/{received.pk}/split/", {"subtasks": [{"title": "X", "lead": lead}]}, format="json")
        .json()
        for lead in (world.other_official.pk, 999999)
    ]
    assert answers[0] == answers[1] and "rows" in answers[0], answers


def test_a_sub_task_by_the_plan_owner_through_task_create_still_works(world, source):
    from tasks.services import task_create

    child = task_create(
        actor=world.city_leader, plan=world.plan, title="Con", assignee_unit=world.commune, parent=source
    )
    assert child.parent_id == source.pk


def test_the_cascade_page_issues_the_copies_and_says_how_many(world, source, web):
    client = web.as_(world.city_leader)
    page = client.get(f"/tasks/{source.pk}/")
    assert f"/tasks/{source.pk}/cascade/" in page.content.decode()
    r = client.get(f"/tasks/{source.pk}/cascade/")
    assert r.status_code == 200 and world.commune.name in r.content.decode()
    r = client.post(f"/tasks/{source.pk}/cascade/", {"unit_kind": "commune"}, follow=True)
    assert r.status_code == 200 and "Đã giao cho 2 đơn vị; 0 đơn vị" in r.content.decode()
    r = client.post(f"/tasks/{source.pk}/cascade/", {}, follow=True)
    assert r.status_code == 400 and "Chọn một cấp đơn vị" in r.content.decode()
    assert web.as_(world.official).get(f"/tasks/{source.pk}/cascade/").status_code == 404


def test_after_a_cascade_the_next_reminder_cycle_and_the_scores_include_every_copy(world):
    """A plan's template of two tasks cascaded in one batch (`tasks_cascade`) to the city's three
    communes: the recompute counts every copy as pending on its criterion, and the reminder cycle on the
    due day reminds every copy's people."""
    import time_machine

    from notifications.models import Notification
    from notifications.services import reminders_plan
    from scoring.models import LeafScore
    from scoring.services import scores_recompute
    from tasks.services import tasks_cascade
    from tests.factories import bound_plan, criteria_set_from
    from tests.scoring.sets import NOW, SET_2026, TZ

    third = unit("X03", parent=world.city)
    user("canbo.x03", memberships=[(third, "official")])
    cs = criteria_set_from(SET_2026)
    plan = bound_plan(world, cs, number="10/KH-UBND")
    due = dt.date(2026, 6, 19)  # the Friday after NOW (a Monday)
    templates = [
        task_create_in(plan, world.city_leader, world.city, title="Báo cáo CCHC quý II", code="1.4", due=due),
        task_create_in(plan, world.city_leader, world.city, title="Kế hoạch CCHC năm", code="1.1", due=due),
    ]
    with time_machine.travel(NOW, tick=False):
        result = tasks_cascade(
            actor=world.city_leader, plan=plan, tasks=templates, unit_kind=UnitKind.COMMUNE, now=NOW
        )
        assert result.summary() == {"created": 6, "existing": 0, "units": 3}
        copies = set(result.task_ids)
        assert set(Task.objects.filter(source__in=templates).values_list("pk", flat=True)) == copies
        assert TaskEvent.objects.filter(task_id__in=copies, action=TaskAction.ASSIGN).count() == 6
        scores_recompute(criteria_set=cs, now=NOW)
    communes = (world.commune, world.other_commune, third)
    for code in ("1.1", "1.4"):
        leaves = LeafScore.objects.filter(criteria_set=cs, criterion__code=code, unit__in=communes)
        assert sorted((leaf.unit_id, leaf.pending) for leaf in leaves) == sorted((u.pk, 1) for u in communes)
    # The copies are due on Friday: the cycle at 08:00 that day plans their due-day reminders.
    reminders_plan(now=dt.datetime(2026, 6, 19, 8, 0, tzinfo=TZ))
    reminded = set(
        Notification.objects.filter(task_id__in=copies, kind__startswith="due_").values_list(
            "task_id", flat=True
        )
    )
    assert reminded == copies


def task_create_in(plan, leader, owner, *, title: str, code: str, due: dt.date) -> Task:
    from tasks.services import task_create

    return task_create(
        actor=leader, plan=plan, title=title, assignee_unit=owner, due_date=due, criterion_code=code
    )


def test_a_plan_s_template_cascades_in_one_batch_once(world, source, django_capture_on_commit_callbacks):
    """`tasks_cascade` of two template tasks: one outbox event for every copy; a retry creates nothing; a
    task of another plan or a cancelled one refuses the whole batch."""
    from tasks.services import tasks_cascade

    other = world.task("draft", unit=world.city, title="Niêm yết thủ tục hành chính", due=_due(40))
    Outbox.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        result = tasks_cascade(
            actor=world.city_leader, plan=world.plan, tasks=[source, other.pk], unit_kind=UnitKind.COMMUNE
        )
    assert result.summary() == {"created": 4, "existing": 0, "units": 2}
    [row] = Outbox.objects.all()
    assert sorted(row.payload["task_ids"]) == sorted(result.task_ids)
    copies = Task.objects.filter(pk__in=result.task_ids)
    assert sorted((c.source_id, c.assignee_unit_id, c.due_date) for c in copies) == sorted(
        (t.pk, u.pk, t.due_date) for t in (source, other) for u in (world.commune, world.other_commune)
    )
    again = tasks_cascade(
        actor=world.city_leader,
        plan=world.plan,
        tasks=[source, other],
        units=[world.commune, world.other_commune],
    )
    assert again.summary() == {"created": 0, "existing": 4, "units": 2}

    from plans import services as plan_services

    elsewhere = plan_services.plan_create(
        actor=world.city_leader, owner_unit=world.city, number="99/KH", title="Kế hoạch khác", year=2026
    )
    foreign = task_create_in(elsewhere, world.city_leader, world.city, title="Việc khác", code="", due=_due())
    with pytest.raises(ValidationError) as refused:
        tasks_cascade(actor=world.city_leader, plan=world.plan, tasks=[source, foreign], unit_kind="commune")
    assert "tasks" in refused.value.message_dict
    cancelled = world.task("cancelled", unit=world.city, title="Đã hủy", due=_due())
    with pytest.raises(TaskTransitionError):
        tasks_cascade(
            actor=world.city_leader, plan=world.plan, tasks=[source, cancelled], unit_kind="commune"
        )
    assert Task.objects.filter(source__in=[source, other]).count() == 4
    assert not Task.objects.filter(source=cancelled).exists()
