"""The task state machine (SPEC §2): every transition, from every state, by every kind of user, through the
API and through the services; what each step needs; and the append-only history it leaves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import Resolver404, resolve

from org.models import Role
from plans import services as plan_services
from tasks import services
from tasks.models import Task, TaskEvent
from tests import factories
from tests.factories import pdf_file

pytestmark = pytest.mark.django_db

STATES = ["draft", "assigned", "in_progress", "submitted", "returned", "approved", "cancelled"]

# The table of SPEC §2, written out independently of the code under test.
SPEC_TABLE = {
    "assign": ({"draft"}, "assigned", "owner"),
    "start": ({"assigned"}, "in_progress", "member"),
    "submit": ({"in_progress", "returned"}, "submitted", "member"),
    "approve": ({"submitted"}, "approved", "owner"),
    "return": ({"submitted"}, "returned", "owner"),
    "cancel": ({"draft", "assigned", "in_progress", "returned", "submitted"}, "cancelled", "owner"),
    "reopen": ({"approved"}, "in_progress", "owner"),
}
NEEDS_REASON = {"return", "cancel", "reopen"}

# What each kind of user is for a task of the city's plan assigned to commune X01: "owner" (a leader of the
# plan's owner unit or above it), "member" (a member of the assignee unit), both, neither (sees the task but
# may not act), or None (cannot see the task at all).
ROLES = {
    "city_leader": {"owner"},
    "province_leader": {"owner"},
    "commune_official": {"member"},
    "commune_leader": {"member"},
    "city_official": set(),
    "province_official": set(),
    "superuser": {"owner", "member"},
    "other_commune_official": None,
    "stranger_leader": None,
}


#: Roles that see the task only through its assignee unit (the commune), not through the plan's owner.
ASSIGNEE_SIDE_ONLY = {"commune_official", "commune_leader"}


def actor(world, role: str):
    if role == "city_leader":
        return world.city_leader
    if role == "commune_official":
        return world.official
    if role == "superuser":
        return world.admin
    if role == "other_commune_official":
        return world.other_official
    if role == "stranger_leader":
        return world.stranger_leader
    unit, kind = {
        "province_leader": (world.province, Role.LEADER),
        "commune_leader": (world.commune, Role.LEADER),
        "city_official": (world.city, Role.OFFICIAL),
        "province_official": (world.province, Role.OFFICIAL),
    }[role]
    return factories.user(role, memberships=[(unit, kind)])


def expected_status(action: str, state: str, role: str) -> int:
    sources, _target, who = SPEC_TABLE[action]
    rights = ROLES[role]
    if rights is None:
        return 404
    if state == "draft" and role in ASSIGNEE_SIDE_ONLY:
        return 404  # a draft stays on the owner's side until it is assigned (SPEC §1)
    if who not in rights:
        return 403
    if state not in sources:
        return 409
    return 200


def prepared(world, state: str) -> Task:
    """A task in `state`; an open one carries evidence, so that only the state decides whether it may be
    submitted."""
    task = world.task(state)
    if state in ("assigned", "in_progress") and not task.evidence.exists():
        services.evidence_add(actor=world.official, task=task, file=pdf_file())
    return task


CASES = [(a, s, r) for a in SPEC_TABLE for s in STATES for r in ROLES]


@pytest.mark.parametrize(("action", "state", "role"), CASES, ids=["-".join(c) for c in CASES])
def test_transition_through_the_api(world, api, action, state, role):
    task = prepared(world, state)
    events_before = task.events.count()
    user = actor(world, role)
    body = {"reason": "Lý do nghiệp vụ"} if action in NEEDS_REASON else {}

    r = api.as_(user).post(f"/api/tasks/{task.pk}/{action}/", body, format="json")

    want = expected_status(action, state, role)
    assert r.status_code == want, r.content
    task = Task.objects.get(pk=task.pk)
    if want == 200:
        target = SPEC_TABLE[action][1]
        assert r.json()["state"] == target
        assert task.state == target
        event = task.events.latest("at", "id")
        assert (event.action, event.from_state, event.to_state) == (action, state, target)
        assert event.actor == user
        assert event.reason == body.get("reason", "")
    else:
        assert "detail" in r.json()
        assert task.state == state, "a refused step changed the state"
        assert task.events.count() == events_before, "a refused step wrote history"


@pytest.mark.parametrize("action", list(SPEC_TABLE))
@pytest.mark.parametrize("state", STATES)
def test_transition_through_the_services(world, action, state):
    """The services refuse a step from the wrong state with TaskTransitionError (the API's 409), and a user
    without the right with PermissionDenied (403), before the state is even considered."""
    task = prepared(world, state)
    sources, target, who = SPEC_TABLE[action]
    allowed = world.city_leader if who == "owner" else world.official
    refused = world.official if who == "owner" else world.city_leader
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

    with pytest.raises(PermissionDenied):
        services.TRANSITIONS[action](actor=refused, task=task, reason="lý do", now=now)
    if state in sources:
        done = services.TRANSITIONS[action](actor=allowed, task=task, reason="lý do", now=now)
        assert done.state == target
        assert Task.objects.get(pk=task.pk).state == target
        assert TaskEvent.objects.filter(task=task, action=action, at=now).count() == 1
    else:
        with pytest.raises(services.TaskTransitionError):
            services.TRANSITIONS[action](actor=allowed, task=task, reason="lý do", now=now)
        assert Task.objects.get(pk=task.pk).state == state
        assert not TaskEvent.objects.filter(task=task, action=action, at=now).exists()


# ---- what each step needs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "state"), [("return", "submitted"), ("cancel", "in_progress"), ("reopen", "approved")]
)
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   \n "}])
def test_return_cancel_and_reopen_need_a_reason(world, api, action, state, body):
    task = world.task(state)
    r = api.as_(world.city_leader).post(f"/api/tasks/{task.pk}/{action}/", body, format="json")
    assert r.status_code == 400
    assert list(r.json()) == ["reason"] and r.json()["reason"]
    assert Task.objects.get(pk=task.pk).state == state
    with pytest.raises(ValidationError) as exc:
        services.TRANSITIONS[action](actor=world.city_leader, task=task, reason=body.get("reason", ""))
    assert "reason" in exc.value.message_dict


def test_the_reason_is_kept_trimmed(world, api):
    task = world.task("submitted")
    r = api.as_(world.city_leader).post(
        f"/api/tasks/{task.pk}/return/", {"reason": "  Thiếu quyết định công bố  "}, format="json"
    )
    assert r.status_code == 200
    assert task.events.latest("at", "id").reason == "Thiếu quyết định công bố"


def test_assign_needs_an_issued_plan(world, api):
    draft_plan = plan_services.plan_create(
        actor=world.city_leader, owner_unit=world.city, number="40/KH-UBND", title="Dự thảo", year=2026
    )
    task = services.task_create(
        actor=world.city_leader,
        plan=draft_plan,
        title="Rà soát",
        assignee_unit=world.commune,
        due_date=dt.date(2026, 12, 15),
    )
    leader = api.as_(world.city_leader)
    r = leader.post(f"/api/tasks/{task.pk}/assign/")
    assert r.status_code == 409 and "detail" in r.json()
    assert Task.objects.get(pk=task.pk).state == "draft"

    plan_services.plan_issue(actor=world.city_leader, plan=draft_plan)
    assert leader.post(f"/api/tasks/{task.pk}/assign/").json()["state"] == "assigned"


def test_assign_is_refused_once_the_plan_is_closed(world, api):
    task = world.task("draft")
    plan_services.plan_close(actor=world.city_leader, plan=world.plan)
    r = api.as_(world.city_leader).post(f"/api/tasks/{task.pk}/assign/")
    assert r.status_code == 409
    assert Task.objects.get(pk=task.pk).state == "draft"


def test_assign_needs_a_due_date(world, api):
    task = world.task("draft", due=None)
    leader = api.as_(world.city_leader)
    r = leader.post(f"/api/tasks/{task.pk}/assign/")
    assert r.status_code == 400 and list(r.json()) == ["due_date"]
    assert Task.objects.get(pk=task.pk).state == "draft"

    assert (
        leader.patch(f"/api/tasks/{task.pk}/", {"due_date": "2026-12-15"}, format="json").status_code == 200
    )
    r = leader.post(f"/api/tasks/{task.pk}/assign/")
    assert r.status_code == 200 and r.json()["state"] == "assigned"
    assert r.json()["assigned_at"] is not None and r.json()["assigned_by"] == world.city_leader.pk


@pytest.mark.parametrize("state", ["in_progress", "returned"])
def test_submit_needs_evidence(world, api, state):
    task = world.task(state)
    official = api.as_(world.official)
    if state == "returned":
        # Returned with its evidence removed: it must be given again before the next submission.
        for ev in task.evidence.all():
            assert official.delete(f"/api/tasks/{task.pk}/evidence/{ev.pk}/").status_code == 204
    r = official.post(f"/api/tasks/{task.pk}/submit/")
    assert r.status_code == 400 and list(r.json()) == ["evidence"]
    assert Task.objects.get(pk=task.pk).state == state

    services.evidence_add(actor=world.official, task=task, file=pdf_file())
    r = official.post(f"/api/tasks/{task.pk}/submit/")
    assert r.status_code == 200 and r.json()["state"] == "submitted" and r.json()["submitted_at"]


def test_a_transition_of_an_unknown_task_is_404(world, api):
    r = api.as_(world.admin).post("/api/tasks/999999/approve/")
    assert r.status_code == 404


# ---- history -----------------------------------------------------------------------------------------


def test_every_step_is_in_the_history_with_actor_time_reason_and_states(world, api):
    t0 = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    step = dt.timedelta(hours=1)
    L, O = world.city_leader, world.official  # noqa: E741, N806
    task = services.task_create(
        actor=L,
        plan=world.plan,
        title="Số hóa hồ sơ",
        assignee_unit=world.commune,
        due_date=dt.date(2026, 12, 15),
        now=t0,
    )
    services.task_assign(actor=L, task=task, now=t0 + step)
    services.task_start(actor=O, task=task, now=t0 + 2 * step)
    services.evidence_add(actor=O, task=task, file=pdf_file(), now=t0 + 3 * step)
    services.task_submit(actor=O, task=task, now=t0 + 4 * step)
    services.task_return(actor=L, task=task, reason="Thiếu số liệu", now=t0 + 5 * step)
    services.task_submit(actor=O, task=task, reason="Đã bổ sung", now=t0 + 6 * step)
    services.task_approve(actor=L, task=task, now=t0 + 7 * step)
    services.task_reopen(actor=L, task=task, reason="Phát hiện sai sót", now=t0 + 8 * step)
    services.task_cancel(actor=L, task=task, reason="Không còn phù hợp", now=t0 + 9 * step)

    history = api.as_(world.official).get(f"/api/tasks/{task.pk}/history/").json()["results"]
    got = [(h["action"], h["from_state"], h["to_state"], h["actor_id"], h["reason"]) for h in history]
    assert got == [
        ("create", "", "draft", L.pk, ""),
        ("assign", "draft", "assigned", L.pk, ""),
        ("start", "assigned", "in_progress", O.pk, ""),
        ("evidence_added", "", "", O.pk, ""),
        ("submit", "in_progress", "submitted", O.pk, ""),
        ("return", "submitted", "returned", L.pk, "Thiếu số liệu"),
        ("submit", "returned", "submitted", O.pk, "Đã bổ sung"),
        ("approve", "submitted", "approved", L.pk, ""),
        ("reopen", "approved", "in_progress", L.pk, "Phát hiện sai sót"),
        ("cancel", "in_progress", "cancelled", L.pk, "Không còn phù hợp"),
    ]
    times = [dt.datetime.fromisoformat(h["at"]) for h in history]
    assert times == [t0 + i * step for i in range(10)]
    assert times[0].utcoffset() == dt.timedelta(hours=7)  # shown in Asia/Ho_Chi_Minh
    assert history[1]["actor"] == "Leader"


def test_history_rows_cannot_be_changed_or_deleted(world):
    task = world.task("approved")
    event = task.events.get(action="approve")
    original = event.reason
    count = TaskEvent.objects.count()

    event.reason = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TaskEvent.objects.filter(task=task).update(reason="rewritten")
    with pytest.raises(TypeError):
        TaskEvent.objects.filter(task=task).delete()
    with pytest.raises(TypeError), transaction.atomic():
        TaskEvent.objects.bulk_update([event], ["reason"])

    assert TaskEvent.objects.count() == count
    assert TaskEvent.objects.get(pk=event.pk).reason == original != "rewritten"


def test_no_api_endpoint_changes_the_history(world, api):
    task = world.task("approved")
    event = task.events.get(action="approve")
    before = list(TaskEvent.objects.filter(task=task).values_list("id", "action", "reason", "actor_id", "at"))
    admin = api.as_(world.admin)
    url = f"/api/tasks/{task.pk}/history/"
    for method in ("post", "put", "patch", "delete"):
        assert getattr(admin, method)(url, {"reason": "x"}, format="json").status_code == 405
    # No route reaches a single history row.
    with pytest.raises(Resolver404):
        resolve(f"{url}{event.pk}/")
    # A task is never deleted through the API (that would take its history with it).
    assert admin.delete(f"/api/tasks/{task.pk}/").status_code == 405
    after = list(TaskEvent.objects.filter(task=task).values_list("id", "action", "reason", "actor_id", "at"))
    assert after == before


def test_the_state_field_cannot_be_written_directly(world, api):
    task = world.task("in_progress")
    with pytest.raises(AttributeError):
        task.state = "approved"
    # Nor through the API: `state` is read-only there.
    r = api.as_(world.city_leader).patch(f"/api/tasks/{task.pk}/", {"state": "approved"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    assert Task.objects.get(pk=task.pk).state == "in_progress"


def test_the_admin_site_cannot_delete_a_task_and_its_history(world, rf):
    from django.contrib import admin

    task = world.task("draft")
    request = rf.get("/admin/")
    request.user = world.admin
    task_admin = admin.site._registry[Task]
    event_admin = admin.site._registry[TaskEvent]
    assert not task_admin.has_delete_permission(request, task)
    assert not event_admin.has_delete_permission(request) and not event_admin.has_change_permission(request)
    assert "delete_selected" not in task_admin.get_actions(request)
