"""Extension requests (Gia hạn, SPEC §2): a member of the assignee unit asks for a later due date with a
reason; a leader of the owner unit approves (the due date moves, and the history keeps it) or rejects."""

from __future__ import annotations

import datetime as dt

import pytest

from org.models import Role
from tasks import services
from tasks.models import Extension, Task, TaskEvent
from tests import factories

# The tasks' due date: these tests are about the dates of extension requests, not about today.
DUE = dt.date(2026, 12, 15)

pytestmark = pytest.mark.django_db


def ask(client, task, date="2026-12-26", reason="Chờ số liệu quý IV"):
    return client.post(
        f"/api/tasks/{task.pk}/extensions/", {"requested_due_date": date, "reason": reason}, format="json"
    )


@pytest.mark.parametrize("state", ["assigned", "in_progress", "returned"])
def test_a_member_of_the_assignee_unit_asks_for_an_extension(world, api, state):
    task = world.task(state, due=DUE)
    r = ask(api.as_(world.official), task)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "pending"
    assert body["previous_due_date"] == "2026-12-15" and body["requested_due_date"] == "2026-12-26"
    assert body["requested_by"] == world.official.pk
    # Asking changes nothing yet.
    assert Task.objects.get(pk=task.pk).due_date == dt.date(2026, 12, 15)
    event = task.events.get(action="extension_requested")
    assert event.actor == world.official and event.reason == "Chờ số liệu quý IV"


@pytest.mark.parametrize("who", ["city_leader", "city_official", "commune_leader_of_other"])
def test_only_members_of_the_assignee_unit_may_ask(world, api, who):
    task = world.task("in_progress", due=DUE)
    user = {
        "city_leader": world.city_leader,
        "city_official": factories.user("co", memberships=[(world.city, Role.OFFICIAL)]),
        "commune_leader_of_other": factories.user("ol", memberships=[(world.other_commune, Role.LEADER)]),
    }[who]
    r = ask(api.as_(user), task)
    # The other commune cannot even see the task.
    assert r.status_code == (404 if who == "commune_leader_of_other" else 403)
    assert not Extension.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"requested_due_date": "2026-12-26"}, "reason"),
        ({"requested_due_date": "2026-12-26", "reason": ""}, "reason"),
        ({"requested_due_date": "2026-12-26", "reason": "   "}, "reason"),
        ({"reason": "lý do"}, "requested_due_date"),
        ({"requested_due_date": "26/12/2026", "reason": "lý do"}, "requested_due_date"),
        ({"requested_due_date": "2026-12-15", "reason": "lý do"}, "requested_due_date"),  # not later
        ({"requested_due_date": "2026-12-01", "reason": "lý do"}, "requested_due_date"),  # earlier
    ],
)
def test_a_request_needs_a_reason_and_a_later_date(world, api, body, field):
    task = world.task("in_progress", due=DUE)
    r = api.as_(world.official).post(f"/api/tasks/{task.pk}/extensions/", body, format="json")
    assert r.status_code == 400
    assert field in r.json() and r.json()[field]
    assert not Extension.objects.exists()
    assert not task.events.filter(action="extension_requested").exists()


def test_one_pending_request_at_a_time(world, api):
    task = world.task("in_progress", due=DUE)
    official = api.as_(world.official)
    first = ask(official, task).json()
    r = ask(api.as_(world.colleague), task, date="2026-12-30")
    assert r.status_code == 409
    assert Extension.objects.filter(task=task).count() == 1
    # Once decided, a new request may follow.
    services.extension_decide(
        actor=world.city_leader,
        extension=Extension.objects.get(pk=first["id"]),
        approve=False,
        note="Chưa đủ",
    )
    assert ask(api.as_(world.official), task, date="2026-12-30").status_code == 201


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "cancelled"])
def test_no_request_on_a_task_that_is_not_open(world, api, state):
    task = world.task(state, due=DUE)
    # A draft is not the assignee unit's yet: it does not exist for them (SPEC §1).
    assert ask(api.as_(world.official), task).status_code == (404 if state == "draft" else 409)
    assert not Extension.objects.exists()


def test_approval_moves_the_due_date_and_the_effective_due_date_and_is_kept_in_history(world, api):
    task = world.task("in_progress", due=DUE)
    # 26/12/2026 is a Saturday: the effective due date is Monday 28/12.
    xid = ask(api.as_(world.official), task, date="2026-12-26").json()["id"]
    leader = api.as_(world.city_leader)
    r = leader.post(f"/api/tasks/{task.pk}/extensions/{xid}/approve/", {"reason": "Đồng ý"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "approved" and r.json()["decided_by"] == world.city_leader.pk
    assert r.json()["decision_note"] == "Đồng ý" and r.json()["decided_at"]

    shown = leader.get(f"/api/tasks/{task.pk}/").json()
    assert shown["due_date"] == "2026-12-26" and shown["effective_due_date"] == "2026-12-28"
    event = TaskEvent.objects.get(task=task, action="extension_decided")
    assert event.actor == world.city_leader
    assert event.data["approved"] is True
    assert (event.data["from_due"], event.data["to_due"]) == ("2026-12-15", "2026-12-26")
    # The request itself stays, with the old and new dates, in the task's extension list.
    listed = leader.get(f"/api/tasks/{task.pk}/extensions/").json()["results"]
    assert [(x["previous_due_date"], x["requested_due_date"], x["state"]) for x in listed] == [
        ("2026-12-15", "2026-12-26", "approved")
    ]


def test_approval_turns_an_overdue_task_pending(world, api):
    """A task past its due date whose extension is approved is no longer overdue."""
    import time_machine

    task = world.task("in_progress", due=DUE)
    with time_machine.travel(dt.datetime(2026, 12, 17, 9, 0, tzinfo=dt.UTC), tick=False):
        leader = api.as_(world.city_leader)
        assert leader.get(f"/api/tasks/{task.pk}/").json()["status"] == "overdue"
        xid = ask(api.as_(world.official), task, date="2026-12-31").json()["id"]
        leader = api.as_(world.city_leader)
        assert leader.post(f"/api/tasks/{task.pk}/extensions/{xid}/approve/").status_code == 200
        assert leader.get(f"/api/tasks/{task.pk}/").json()["status"] == "pending"


def test_rejection_needs_a_reason_and_leaves_the_due_date(world, api):
    task = world.task("in_progress", due=DUE)
    xid = ask(api.as_(world.official), task).json()["id"]
    leader = api.as_(world.city_leader)
    for body in ({}, {"reason": ""}, {"reason": "  "}):
        r = leader.post(f"/api/tasks/{task.pk}/extensions/{xid}/reject/", body, format="json")
        assert r.status_code == 400 and list(r.json()) == ["reason"]
    assert Extension.objects.get(pk=xid).state == "pending"
    r = leader.post(
        f"/api/tasks/{task.pk}/extensions/{xid}/reject/", {"reason": "Không có căn cứ"}, format="json"
    )
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert r.json()["decision_note"] == "Không có căn cứ"
    task = Task.objects.get(pk=task.pk)
    assert task.due_date == dt.date(2026, 12, 15) and task.effective_due_date == dt.date(2026, 12, 15)
    event = task.events.get(action="extension_decided")
    assert event.data["approved"] is False and event.reason == "Không có căn cứ"


@pytest.mark.parametrize("decision", ["approve", "reject"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("official", 403),
        ("commune_leader", 403),
        ("city_official", 403),
        ("stranger_leader", 404),
        ("province_leader", 200),
        ("city_leader", 200),
    ],
)
def test_only_a_leader_of_the_owner_unit_decides(world, api, decision, who, status):
    task = world.task("in_progress", due=DUE)
    xid = ask(api.as_(world.official), task).json()["id"]
    user = {
        "commune_leader": lambda: factories.user("cl", memberships=[(world.commune, Role.LEADER)]),
        "city_official": lambda: factories.user("co", memberships=[(world.city, Role.OFFICIAL)]),
        "province_leader": lambda: factories.user("pl", memberships=[(world.province, Role.LEADER)]),
    }.get(who, lambda: getattr(world, who))()
    r = api.as_(user).post(
        f"/api/tasks/{task.pk}/extensions/{xid}/{decision}/", {"reason": "ý kiến"}, format="json"
    )
    assert r.status_code == status, r.content
    ext = Extension.objects.get(pk=xid)
    if status == 200:
        assert ext.state == {"approve": "approved", "reject": "rejected"}[decision]
        assert ext.decided_by == user
    else:
        assert ext.state == "pending" and ext.decided_by is None
        assert Task.objects.get(pk=task.pk).due_date == dt.date(2026, 12, 15)


def test_a_decided_request_cannot_be_decided_again(world, api):
    task = world.task("in_progress", due=DUE)
    xid = ask(api.as_(world.official), task).json()["id"]
    leader = api.as_(world.city_leader)
    assert leader.post(f"/api/tasks/{task.pk}/extensions/{xid}/approve/").status_code == 200
    assert leader.post(f"/api/tasks/{task.pk}/extensions/{xid}/reject/", {"reason": "x"}).status_code == 409
    assert leader.post(f"/api/tasks/{task.pk}/extensions/{xid}/approve/").status_code == 409
    assert Extension.objects.get(pk=xid).state == "approved"
    assert task.events.filter(action="extension_decided").count() == 1


def test_an_extension_of_another_task_is_404(world, api):
    task = world.task("in_progress", due=DUE)
    other = world.task("in_progress", due=DUE, title="Khác")
    xid = ask(api.as_(world.official), task).json()["id"]
    r = api.as_(world.city_leader).post(f"/api/tasks/{other.pk}/extensions/{xid}/approve/")
    assert r.status_code == 404
    assert Extension.objects.get(pk=xid).state == "pending"
