"""The score loop end to end, as users see it: a leader approves a task through the HTTP API and, with no
one pressing a button, the unit's score and its peer group's ranks change in the ranking API.

Nothing is faked: the commit dispatches the task event, scoring's receiver queues a job on Redis, and a
real Celery worker (a thread of this process, consuming the project's queue) recomputes the scores in the
test database. The test polls the API with a bounded deadline.
"""

import datetime as dt

import pytest
from django.utils import timezone

from tasks import services as task_services
from tests.factories import STEPS_TO, bound_plan, drive
from tests.polling import wait_for
from tests.scoring.sets import SET_2026

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_approving_a_task_changes_the_score_and_rank_seen_through_the_api(world, api, worker):
    w = world
    due = timezone.localdate() + dt.timedelta(days=60)

    # An administrator imports the criteria set through the API.
    r = api.as_(w.admin).post("/api/criteria-sets/", SET_2026.encode(), content_type="application/yaml")
    assert r.status_code == 201, r.json()
    cs_id = r.json()["id"]
    from criteria.models import CriteriaSet

    cs = CriteriaSet.objects.get(pk=cs_id)
    plan = bound_plan(w, cs, number="20/KH-UBND")
    # X01 did its task 1.1 on time; X02 submitted its own, waiting for approval.
    for assignee, member, state in (
        (w.commune, w.official, "approved"),
        (w.other_commune, w.other_official, "submitted"),
    ):
        task = task_services.task_create(
            actor=w.city_leader,
            plan=plan,
            title=f"Ban hành kế hoạch CCHC ({assignee.code})",
            assignee_unit=assignee,
            due_date=due,
            criterion_code="1.1",
        )
        task = drive(task, STEPS_TO[state], leader=w.city_leader, member=member)
    waiting = task

    viewer = api.as_(w.stranger)  # the ranking is for every signed-in user

    def ranking():
        body = viewer.get(f"/api/criteria-sets/{cs_id}/scores/", {"parent": w.city.pk}).json()
        return {row["unit_code"]: (row["total"], row["rank"]) for row in body["results"]}

    # The worker scores what was set up. X01: 1.1 on time 10 + 1.2 (1/1) 10 + 1.3 (1/1) 5 + 2.4 full 5 = 30.
    # X02: its task is pending, so only 2.4's 5.
    initial = {"X01": ("30.0000", 1), "X02": ("5.0000", 2)}
    wait_for(lambda: ranking() == initial, what=f"the initial scores {initial}")

    # The city's leader approves X02's task through the API.
    r = api.as_(w.city_leader).post(f"/api/tasks/{waiting.pk}/approve/")
    assert r.status_code == 200 and r.json()["status"] == "on_time"

    # Within seconds, X02 has the same 30 points as X01, and they share the first rank. (The scores and the
    # peer group's ranks are written by two steps of the same job: wait for both, not for the first.)
    expected = {"X01": ("30.0000", 1), "X02": ("30.0000", 1)}
    wait_for(lambda: ranking() == expected, what=f"X02's new score and the shared rank {expected}")
    # and its breakdown (for the city's leader) shows why
    body = api.as_(w.city_leader).get(f"/api/criteria-sets/{cs_id}/scores/{w.other_commune.pk}/").json()
    leaf = next(n for n in body["criteria"] if n["code"] == "1.1")
    assert leaf["points"] == "10.0000" and [t["status"] for t in leaf["tasks"]] == ["on_time"]
