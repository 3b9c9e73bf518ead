"""One task given to several units at once (issue 13): the service (`tasks_create_for_units`, through
`tasks_create_bulk`) and the task form. A copy per unit, one step, within the plan's reach; a unit outside
it refused by name, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tasks.choices import TaskAction, TaskState
from tasks.models import Task, TaskEvent
from tasks.services import tasks_create_for_units
from tests.factories import unit, user

pytestmark = pytest.mark.django_db


def _due() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=30)


def _form(world, units, **over) -> dict:
    data = {
        "title": "Niêm yết thủ tục hành chính",
        "description": "",
        "assignee_unit": "",
        "assignee_units": [u.pk for u in units],
        "lead": "",
        "start_date": "",
        "due_date": _due().isoformat(),
        "priority": "normal",
        "parent": "",
    }
    data.update(over)
    return data


def test_the_service_writes_one_draft_per_unit_with_its_history(world, django_assert_max_num_queries):
    extra = [unit(f"X{i:02d}", parent=world.city, name=f"Xã {i}") for i in range(10, 20)]
    with django_assert_max_num_queries(15):
        created = tasks_create_for_units(
            actor=world.city_leader,
            plan=world.plan,
            units=[world.commune, world.other_commune, *extra],
            title="Niêm yết TTHC",
            due_date=_due(),
        )
    assert len(created) == 12
    tasks = Task.objects.filter(title="Niêm yết TTHC")
    assert {t.assignee_unit_id for t in tasks} == {world.commune.pk, world.other_commune.pk} | {
        u.pk for u in extra
    }
    assert all(t.state == TaskState.DRAFT and t.due_date == _due() and t.lead_id is None for t in tasks)
    assert TaskEvent.objects.filter(task__in=tasks, action=TaskAction.CREATE).count() == 12


def test_the_service_refuses_a_unit_out_of_reach_by_name_and_writes_nothing(world):
    province_leader = user("pleader", memberships=[(world.province, "leader")])
    with pytest.raises(ValidationError) as refused:
        tasks_create_for_units(
            actor=province_leader,
            plan=world.plan,
            units=[world.commune, world.elsewhere_commune],
            title="X",
            due_date=_due(),
        )
    message = " ".join(refused.value.message_dict["assignee_units"])
    assert "Xã Mường Lai (X99)" in message and "X01" not in message
    assert not Task.objects.filter(title="X").exists()
    with pytest.raises(PermissionDenied):  # an official may not add tasks at all
        tasks_create_for_units(actor=world.official, plan=world.plan, units=[world.commune], title="Y")
    assert not Task.objects.filter(title="Y").exists()


def test_the_task_form_creates_a_copy_for_each_unit_ticked(world, web):
    client = web.as_(world.city_leader)
    url = f"/plans/{world.plan.pk}/tasks/new/"
    html = client.get(url).content.decode()
    assert 'name="assignee_units"' in html and "Xã Tân Thịnh (X02)" in html
    assert "Xã Mường Lai" not in html  # only units the plan reaches are offered
    r = client.post(url, _form(world, [world.commune, world.other_commune]), follow=True)
    html = r.content.decode()
    assert r.redirect_chain[-1][0].startswith(f"/plans/{world.plan.pk}/")
    assert "cho 2 đơn vị" in html and "Phường Đồng Tâm (X01)" in html and "Xã Tân Thịnh (X02)" in html
    copies = Task.objects.filter(title="Niêm yết thủ tục hành chính")
    assert sorted(copies.values_list("assignee_unit__code", flat=True)) == ["X01", "X02"]


def test_the_task_form_refuses_a_unit_out_of_reach_with_a_clear_message(world, web):
    province_leader = user("pleader", memberships=[(world.province, "leader")])
    client = web.as_(province_leader)
    url = f"/plans/{world.plan.pk}/tasks/new/"
    r = client.post(url, _form(world, [world.commune, world.elsewhere_commune]))
    html = r.content.decode()
    assert 'id="id_assignee_units_error"' in html and "không thuộc phạm vi của kế hoạch" in html
    assert "Xã Mường Lai (X99)" in html
    assert not Task.objects.filter(title="Niêm yết thủ tục hành chính").exists()
    assert client.get(url).status_code == 200  # the form's URL answers GET after the refusal


def test_the_task_form_asks_for_a_unit_and_no_lead_with_several(world, web):
    client = web.as_(world.city_leader)
    url = f"/plans/{world.plan.pk}/tasks/new/"
    html = client.post(url, _form(world, [])).content.decode()
    assert 'id="id_assignee_unit_error"' in html
    html = client.post(url, _form(world, [world.commune, world.other_commune], lead=world.official.pk))
    assert 'id="id_lead_error"' in html.content.decode()
    assert not Task.objects.filter(title="Niêm yết thủ tục hành chính").exists()
    # One unit chosen in the single select still makes one task, as before.
    r = client.post(url, _form(world, [], assignee_unit=world.commune.pk))
    assert r.status_code == 302 and Task.objects.filter(title="Niêm yết thủ tục hành chính").count() == 1
