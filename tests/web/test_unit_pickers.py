"""Every unit picker names each unit beside its code (`org.fields.unit_label`): the plan's owner unit, the
task's assignee unit, the units a task cascades to, the task lists' unit filter, the dashboard's unit and
the ranking's comparison group. And the dashboard's overdue links open the list on the year it counts."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from scoring.services import scores_recompute
from tests.factories import bound_plan, criteria_set_from, user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, flags=re.S)
    assert select, f"no select #{select_id}"
    return [" ".join(o.split()) for o in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))]


def test_the_plan_and_task_forms_name_units_beside_their_codes(world, web):
    client = web.as_(world.city_leader)
    assert "Thành phố Yên Bái (C01)" in _options(client.get("/plans/new/").content.decode(), "id_owner_unit")
    html = client.get(f"/plans/{world.plan.pk}/tasks/new/").content.decode()
    assert {"Phường Đồng Tâm (X01)", "Xã Tân Thịnh (X02)"} <= set(_options(html, "id_assignee_unit"))


def test_the_cascade_and_the_list_filter_name_units_beside_their_codes(world, web):
    task = world.task("assigned", title="Việc chung")
    client = web.as_(world.city_leader)
    html = client.get(f"/tasks/{task.pk}/cascade/").content.decode()
    labels = [" ".join(t.split()) for t in re.findall(r'name="units"[^>]*>\s*([^<]+)</label>', html)]
    assert "Phường Đồng Tâm (X01)" in labels and "Xã Tân Thịnh (X02)" in labels
    html = client.get("/tasks/").content.decode()
    assert "Phường Đồng Tâm (X01)" in _options(html, "id_unit")


def test_the_dashboard_and_the_ranking_name_units_beside_their_codes(world, web):
    year = timezone.localdate().year
    two = user("hailanh", memberships=[(world.commune, "leader"), (world.other_commune, "leader")])
    html = web.as_(two).get("/dashboard/").content.decode()
    assert sorted(_options(html, "pick-unit")) == ["Phường Đồng Tâm (X01)", "Xã Tân Thịnh (X02)"]
    # Its overdue links open the task list on the year it counts (by deadline, as the list filters).
    assert f'href="/tasks/?tab=overdue&amp;year={year}"' in html
    client = web.as_(world.city_leader)

    cs = criteria_set_from(SET_2026)
    bound_plan(world, cs)
    scores_recompute(criteria_set=cs)
    html = client.get(f"/ranking/?set={cs.pk}").content.decode()
    assert "Thành phố Yên Bái (C01)" in _options(html, "pick-parent")
