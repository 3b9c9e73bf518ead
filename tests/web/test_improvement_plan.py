"""The improvement plan (kế hoạch khắc phục, SPEC §3a) from a unit's breakdown: the page's form and the API
create, in one step, a draft plan of the unit with one task per leaf that lost points; nothing is written
when a check fails."""

import datetime as dt

import pytest
from django.utils import timezone

from criteria.services import criteria_set_import
from plans.models import Plan, PlanState
from scoring.services import scores_recompute
from tasks.models import Task
from tests.factories import user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(world):
    cs = criteria_set_import(data=SET_2026)
    scores_recompute(criteria_set=cs)
    leader = user("lanhdaox01", memberships=[(world.commune, "leader")])
    return cs, leader


def _lost_codes(cs, unit):
    from scoring.selectors import breakdown

    bd = breakdown(criteria_set=cs, unit=unit)
    return [n.code for n in bd.nodes if n.is_leaf and not n.excluded and n.points < n.max_points]


def test_the_leader_creates_the_plan_from_the_breakdown_page(world, web, scored):
    cs, leader = scored
    page = f"/ranking/{cs.pk}/units/{world.commune.pk}/"
    client = web.as_(leader)
    assert "Lập kế hoạch khắc phục" in client.get(page).content.decode()
    due = timezone.localdate() + dt.timedelta(days=30)
    r = client.post(page, {"number": "05/KH-KP", "target_set": cs.pk, "due_date": due.isoformat()})
    plan = Plan.objects.get(number="05/KH-KP")
    assert r.status_code == 302 and r["Location"] == f"/plans/{plan.pk}/"
    assert (plan.owner_unit, plan.state, plan.criteria_set) == (world.commune, PlanState.DRAFT, cs)
    tasks = Task.objects.filter(plan=plan).order_by("criterion_code")
    lost = _lost_codes(cs, world.commune)
    assert sorted(t.criterion_code for t in tasks) == sorted(lost) and lost
    first = tasks.get(criterion_code="1.1")
    assert first.title.startswith("Khắc phục tiêu chí 1.1:") and first.assignee_unit == world.commune
    assert first.due_date == due and first.state == "draft"
    assert "Lý do mất điểm" in first.description
    # The plan page shows it to the leader.
    assert "05/KH-KP" in client.get(r["Location"]).content.decode()


def test_a_refused_form_shows_why_on_the_page_and_writes_nothing(world, web, scored):
    cs, leader = scored
    page = f"/ranking/{cs.pk}/units/{world.commune.pk}/"
    client = web.as_(leader)
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    client.post(page, {"number": "05/KH-KP", "target_set": cs.pk, "due_date": due})
    r = client.post(page, {"number": "05/KH-KP", "target_set": cs.pk, "due_date": due})  # same number, year
    assert r.status_code == 400
    assert "05/KH-KP" in r.content.decode() and 'class="error"' in r.content.decode()
    assert Plan.objects.filter(number="05/KH-KP").count() == 1
    r = client.post(page, {"number": "", "due_date": ""})
    assert r.status_code == 400 and Plan.objects.count() == 2  # the world's plan and the first one
    assert client.get(page).status_code == 200  # a reload of the page, never a 405


def test_only_the_units_own_leader_may(world, web, api, scored):
    cs, _leader = scored
    page = f"/ranking/{cs.pk}/units/{world.commune.pk}/"
    # The city leader sees the breakdown but does not plan for the ward; an official neither.
    for someone in (world.city_leader, world.official):
        body = web.as_(someone).get(page).content.decode()
        assert "Lập kế hoạch khắc phục" not in body
        due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
        r = api.as_(someone).post(
            f"/api/units/{world.commune.pk}/improvement-plan/",
            {"criteria_set": cs.pk, "due_date": due, "number": "09/KH"},
            format="json",
        )
        assert r.status_code == 403
    # A unit the user cannot see is 404.
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    r = api.as_(world.stranger).post(
        f"/api/units/{world.commune.pk}/improvement-plan/",
        {"criteria_set": cs.pk, "due_date": due, "number": "09/KH"},
        format="json",
    )
    assert r.status_code == 404
    assert not Plan.objects.filter(number="09/KH").exists()


def test_the_api_creates_it_and_answers_400_naming_the_field(world, api, scored):
    cs, leader = scored
    url = f"/api/units/{world.commune.pk}/improvement-plan/"
    client = api.as_(leader)
    r = client.post(url, {"criteria_set": cs.pk, "number": "07/KH"}, format="json")
    assert r.status_code == 400 and "due_date" in r.json()
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    r = client.post(
        url, {"criteria_set": cs.pk, "target_set": cs.pk, "due_date": due, "number": "07/KH"}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["tasks"] == len(_lost_codes(cs, world.commune)) and r.json()["state"] == "draft"
