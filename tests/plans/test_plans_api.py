"""Plans (Kế hoạch, SPEC §1, §2, §5) through the API: who creates them, draft → issued → closed, and who
sees them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from org.models import Role
from plans.models import Plan
from tests import factories

pytestmark = pytest.mark.django_db


def plan_body(world, **kw):
    return {
        "owner_unit": world.city.pk,
        "number": "12/KH-UBND",
        "title": "Kế hoạch cải cách hành chính năm 2026",
        "year": 2026,
        **kw,
    }


@pytest.mark.parametrize("who", ["city_leader", "province_leader", "admin"])
def test_a_leader_of_the_owner_unit_or_above_creates_a_draft_plan(world, api, who):
    user = (
        factories.user("pl", memberships=[(world.province, Role.LEADER)])
        if who == "province_leader"
        else getattr(world, who)
    )
    r = api.as_(user).post("/api/plans/", plan_body(world), format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "draft" and body["issued_on"] is None and body["criteria_set"] is None
    assert body["number"] == "12/KH-UBND" and body["owner_unit"] == world.city.pk
    plan = Plan.objects.get(pk=body["id"])
    assert plan.created_by == user


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("city_official", 403),  # sees the city, is no leader
        ("city_admin", 403),  # administrators manage units and users, not plans
        ("commune_leader", 400),  # a leader below: the city is not even a unit they can pick
        ("stranger_leader", 400),
    ],
)
def test_others_may_not_create_a_plan_for_the_unit(world, api, who, status):
    unit, role = {
        "city_official": (world.city, Role.OFFICIAL),
        "city_admin": (world.city, Role.ADMIN),
        "commune_leader": (world.commune, Role.LEADER),
        "stranger_leader": (world.elsewhere, Role.LEADER),
    }[who]
    user = factories.user(f"x{who}", memberships=[(unit, role)])
    r = api.as_(user).post("/api/plans/", plan_body(world), format="json")
    assert r.status_code == status, r.content
    if status == 400:
        assert list(r.json()) == ["owner_unit"]
    assert not Plan.objects.filter(number="12/KH-UBND").exists()


def test_a_duplicate_number_is_a_field_error(world, api):
    leader = api.as_(world.city_leader)
    r = leader.post("/api/plans/", plan_body(world, number="36/KH-UBND"), format="json")
    assert r.status_code == 400 and list(r.json()) == ["number"] and "36/KH-UBND" in r.json()["number"][0]
    assert Plan.objects.filter(number="36/KH-UBND").count() == 1
    # The same number is fine another year, or for another unit.
    assert (
        leader.post(
            "/api/plans/", plan_body(world, number="36/KH-UBND", year=2027), format="json"
        ).status_code
        == 201
    )
    r = leader.post(
        "/api/plans/", plan_body(world, number="36/KH-UBND", owner_unit=world.commune.pk), format="json"
    )
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": ""}, "number"),
        ({"title": ""}, "title"),
        ({"year": 1999}, "year"),
        ({"year": 2101}, "year"),
        ({"year": "năm nay"}, "year"),
        ({"issued_on": "12/03/2026"}, "issued_on"),
        ({"owner_unit": 999999}, "owner_unit"),
        ({"criteria_set": 999999}, "criteria_set"),
    ],
)
def test_bad_plan_input_is_a_400_with_field_errors(world, api, changes, field):
    r = api.as_(world.city_leader).post("/api/plans/", plan_body(world, **changes), format="json")
    assert r.status_code == 400
    assert list(r.json()) == [field], r.json()
    assert Plan.objects.count() == 1


def test_issue_then_close(world, api):
    leader = api.as_(world.city_leader)
    pid = leader.post("/api/plans/", plan_body(world), format="json").json()["id"]
    # Nothing can be closed before it is issued.
    r = leader.post(f"/api/plans/{pid}/close/")
    assert r.status_code == 409 and "detail" in r.json()
    with time_machine.travel(dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC), tick=False):
        r = leader.post(f"/api/plans/{pid}/issue/")
    assert r.status_code == 200
    assert r.json()["state"] == "issued" and r.json()["issued_on"] == "2026-03-12"
    assert leader.post(f"/api/plans/{pid}/issue/").status_code == 409
    r = leader.post(f"/api/plans/{pid}/close/")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert leader.post(f"/api/plans/{pid}/issue/").status_code == 409
    assert leader.post(f"/api/plans/{pid}/close/").status_code == 409
    assert Plan.objects.get(pk=pid).state == "closed"


def test_issuing_keeps_a_given_issue_date(world, api):
    leader = api.as_(world.city_leader)
    pid = leader.post("/api/plans/", plan_body(world, issued_on="2026-01-05"), format="json").json()["id"]
    assert leader.post(f"/api/plans/{pid}/issue/").json()["issued_on"] == "2026-01-05"


def test_a_closed_plan_is_frozen(world, api):
    leader = api.as_(world.city_leader)
    leader.post(f"/api/plans/{world.plan.pk}/close/")
    r = leader.patch(f"/api/plans/{world.plan.pk}/", {"title": "Đổi tên"}, format="json")
    assert r.status_code == 409
    r = leader.post(
        "/api/tasks/",
        {"plan": world.plan.pk, "title": "Mới", "assignee_unit": world.commune.pk},
        format="json",
    )
    assert r.status_code == 409
    assert Plan.objects.get(pk=world.plan.pk).title == "Kế hoạch kỷ luật, kỷ cương hành chính"


def test_a_leader_edits_a_plan_but_not_its_owner(world, api):
    leader = api.as_(world.city_leader)
    r = leader.patch(f"/api/plans/{world.plan.pk}/", {"title": "Kế hoạch sửa đổi"}, format="json")
    assert r.status_code == 200 and r.json()["title"] == "Kế hoạch sửa đổi"
    r = leader.patch(f"/api/plans/{world.plan.pk}/", {"owner_unit": world.commune.pk}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["owner_unit"]
    r = leader.patch(f"/api/plans/{world.plan.pk}/", {"state": "draft"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "issued"


def test_who_may_issue_and_close(world, api):
    leader = api.as_(world.city_leader)
    pid = leader.post("/api/plans/", plan_body(world), format="json").json()["id"]
    city_official = factories.user("co", memberships=[(world.city, Role.OFFICIAL)])
    assert api.as_(city_official).post(f"/api/plans/{pid}/issue/").status_code == 403
    assert (
        api.as_(city_official).patch(f"/api/plans/{pid}/", {"title": "x"}, format="json").status_code == 403
    )
    assert api.as_(world.stranger_leader).post(f"/api/plans/{pid}/issue/").status_code == 404
    assert api.as_(world.official).post(f"/api/plans/{pid}/issue/").status_code == 404
    assert APIClient().post(f"/api/plans/{pid}/issue/").status_code == 401
    assert Plan.objects.get(pk=pid).state == "draft"
    assert api.as_(world.admin).post(f"/api/plans/{pid}/issue/").json()["state"] == "issued"


def test_plans_visible_to_each_user(world, api):
    """SPEC §1: owner unit in the user's subtree, or a task of the plan assigned into it."""
    lucyen = api.as_(world.stranger_leader).post(
        "/api/plans/", plan_body(world, owner_unit=world.elsewhere.pk, number="7/KH-UBND"), format="json"
    )
    assert lucyen.status_code == 201
    lucyen_id = lucyen.json()["id"]
    world.task("draft")  # a draft task of the city plan for commune X01: still the city's work in progress
    assert api.as_(world.official).get("/api/plans/").json()["results"] == []
    world.task("assigned")  # once assigned, X01 sees the plan

    def visible(user):
        r = api.as_(user).get("/api/plans/")
        assert r.status_code == 200
        return {p["id"] for p in r.json()["results"]}

    province = factories.user("po", memberships=[(world.province, Role.OFFICIAL)])
    assert visible(world.admin) == {world.plan.pk, lucyen_id}
    assert visible(province) == {world.plan.pk, lucyen_id}
    assert visible(world.city_leader) == {world.plan.pk}
    assert visible(world.official) == {world.plan.pk}  # through the task assigned to X01
    assert visible(world.other_official) == set()  # X02 has no task of it
    assert visible(world.stranger) == set()  # Lục Yên's plan is owned above Mường Lai
    assert visible(world.stranger_leader) == {lucyen_id}
    # Filters stay inside what is visible.
    r = api.as_(world.city_leader).get(f"/api/plans/?owner_unit={world.elsewhere.pk}")
    assert r.json()["count"] == 0
    r = api.as_(province).get("/api/plans/?state=draft")
    assert [p["id"] for p in r.json()["results"]] == [lucyen_id]


def test_renumbering_onto_an_existing_plan_is_a_field_error(world, api):
    leader = api.as_(world.city_leader)
    pid = leader.post("/api/plans/", plan_body(world), format="json").json()["id"]
    r = leader.patch(f"/api/plans/{pid}/", {"number": "36/KH-UBND"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["number"]
    assert Plan.objects.get(pk=pid).number == "12/KH-UBND"
    r = leader.patch(f"/api/plans/{pid}/", {"number": "13/KH-UBND"}, format="json")
    assert r.status_code == 200 and r.json()["number"] == "13/KH-UBND"


def test_model_wide_errors_are_reported_as_non_field_errors():
    from django.core.exceptions import ValidationError

    from config.api import validation_error_dict

    assert validation_error_dict(ValidationError({"__all__": ["Trùng"], "year": ["Sai"]})) == {
        "non_field_errors": ["Trùng"],
        "year": ["Sai"],
    }
    assert validation_error_dict(ValidationError("Sai")) == {"non_field_errors": ["Sai"]}
