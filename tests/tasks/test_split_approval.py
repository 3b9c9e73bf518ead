"""The units' leaders split a received task into sub-tasks for their officials (issue 15), and approve
what those officials submit: split → the official submits → that leader approves, on the pages; an
official or a leader of another unit cannot; the plan's owner keeps the received task's own decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tasks import permissions
from tasks.choices import TaskAction, TaskState
from tasks.models import Task
from tasks.services import TRANSITIONS, task_create
from tests.factories import drive, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(world):
    return world.task("assigned", title="Niêm yết thủ tục hành chính")


@pytest.fixture
def commune_leader(world):
    return user("xaleader", memberships=[(world.commune, "leader")])


def _split_form(world, due: dt.date) -> dict:
    return {
        "rows-TOTAL_FORMS": "3",
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "50",
        "rows-0-title": "Niêm yết tại bộ phận một cửa",
        "rows-0-lead": world.official.pk,
        "rows-0-due_date": due.isoformat(),
        "rows-1-title": "Đăng trên cổng thông tin",
        "rows-1-lead": world.colleague.pk,
        "rows-1-due_date": "",
        "rows-2-title": "",
        "rows-2-lead": "",
        "rows-2-due_date": "",
    }


def test_split_then_the_official_submits_and_the_splitting_leader_approves(
    world, web, received, commune_leader
):
    leader = web.as_(commune_leader)
    page = leader.get(f"/tasks/{received.pk}/").content.decode()
    assert f'href="/tasks/{received.pk}/split/"' in page and "Chia việc cho cán bộ" in page
    due = timezone.localdate() + dt.timedelta(days=10)
    r = leader.post(f"/tasks/{received.pk}/split/", _split_form(world, due))
    assert r.status_code == 302 and r["Location"] == f"/tasks/{received.pk}/"
    subtasks = list(Task.objects.filter(parent=received).order_by("id"))
    assert [(s.title, s.lead, s.state) for s in subtasks] == [
        ("Niêm yết tại bộ phận một cửa", world.official, TaskState.ASSIGNED),
        ("Đăng trên cổng thông tin", world.colleague, TaskState.ASSIGNED),
    ]
    sub = subtasks[0]
    assert "Niêm yết tại bộ phận một cửa" in leader.get(f"/tasks/{received.pk}/").content.decode()

    # The official starts, reports evidence and submits.
    sub = drive(sub, ["start", "evidence", "submit"], leader=None, member=world.official)
    # An official of another unit cannot see it; a leader of another unit cannot approve it.
    assert web.as_(world.other_official).get(f"/tasks/{sub.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        TRANSITIONS[TaskAction.APPROVE](actor=world.stranger_leader, task=sub)
    # Nor may the official approve their own work.
    official = web.as_(world.official)
    assert f'action="/tasks/{sub.pk}/approve/"' not in official.get(f"/tasks/{sub.pk}/").content.decode()
    assert official.post(f"/tasks/{sub.pk}/approve/").status_code == 403

    # The leader who split it sees the button, and approves.
    leader = web.as_(commune_leader)
    assert f'action="/tasks/{sub.pk}/approve/"' in leader.get(f"/tasks/{sub.pk}/").content.decode()
    r = leader.post(f"/tasks/{sub.pk}/approve/")
    assert r.status_code == 302
    sub.refresh_from_db()
    assert sub.state == TaskState.APPROVED
    assert sub.events.filter(action=TaskAction.APPROVE, actor=commune_leader).exists()


def test_the_splitting_leader_decides_only_on_their_unit_s_sub_tasks(world, received, commune_leader):
    # The received task itself is the plan owner's to approve (it is what is scored).
    submitted = drive(received, ["start", "evidence", "submit"], leader=None, member=world.official)
    assert not permissions.can_transition(commune_leader, submitted, TaskAction.APPROVE)
    assert permissions.can_transition(world.city_leader, submitted, TaskAction.APPROVE)
    # A sub-task the plan's owner gave with a criterion code, or to another unit, is not a split one.
    scored = task_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Con có tiêu chí",
        assignee_unit=world.commune,
        parent=received,
        due_date=received.due_date,
    )
    other = task_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Con ở xã khác",
        assignee_unit=world.other_commune,
        parent=received,
        due_date=received.due_date,
    )
    assert permissions.is_split_subtask(scored)
    assert not permissions.is_split_subtask(other)
    assert not permissions.can_transition(commune_leader, other, TaskAction.APPROVE)
    other_leader = user("x2leader", memberships=[(world.other_commune, "leader")])
    assert not permissions.can_transition(other_leader, scored, TaskAction.APPROVE)
    # The owner's leaders keep every decision.
    assert permissions.can_transition(world.city_leader, scored, TaskAction.APPROVE)


def test_the_split_page_is_the_assignee_leaders_and_refuses_bad_rows_on_the_page(world, web, received):
    # The city leader leads above the commune (may split); an official may not.
    assert web.as_(world.official).get(f"/tasks/{received.pk}/split/").status_code == 403
    assert (
        "Chia việc cho cán bộ" not in web.as_(world.official).get(f"/tasks/{received.pk}/").content.decode()
    )
    leader = web.as_(world.city_leader)
    data = _split_form(world, received.due_date)
    data["rows-1-lead"] = world.other_official.pk  # not a member of the commune
    r = leader.post(f"/tasks/{received.pk}/split/", data)
    assert r.status_code == 400 and 'id="id_rows-1-lead_error"' in r.content.decode()
    late = received.due_date + dt.timedelta(days=5)
    r = leader.post(f"/tasks/{received.pk}/split/", _split_form(world, late))
    html = r.content.decode()
    assert (
        r.status_code == 400 and "Dòng 1, due_date" in html and received.due_date.strftime("%d/%m/%Y") in html
    )
    assert not Task.objects.filter(parent=received).exists()
    assert leader.get(f"/tasks/{received.pk}/split/").status_code == 200
