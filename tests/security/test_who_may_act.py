"""Who may act, enforced where the write happens (SPEC §1, the integrity issue): a plan reaches only its
owner's subtree (a Sở's, its province), a lead is an active member of the assignee unit, an administrator
administers only their subtree, drafts stay on the owner's side, a task is never its own ancestor. Each
case goes through the API (and the import or the page where users reach it), as a new user would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from org.models import Membership, Role, Unit, UnitKind, User
from plans import services as plan_services
from tasks.models import Task
from tasks.services import ASSIGNEE_OUT_OF_REACH, LEAD_NOT_MEMBER, tasks_import_xlsx
from tests import factories

from .hostile import xlsx

pytestmark = pytest.mark.django_db


def _commune_plan(world, leader):
    plan = plan_services.plan_create(
        actor=leader, owner_unit=world.commune, number="3/KH-UBND", title="KH CCHC của phường", year=2026
    )
    return plan_services.plan_issue(actor=leader, plan=plan)


def _task_body(plan, unit, **kw):
    due = timezone.localdate() - dt.timedelta(days=3)  # past due: the points another unit would lose
    return {
        "plan": plan.pk,
        "title": "Việc đẩy sang đơn vị khác",
        "assignee_unit": unit.pk,
        "due_date": due.isoformat(),
        **kw,
    }


@pytest.fixture
def commune_leader(world):
    return factories.user("x01leader", memberships=[(world.commune, Role.LEADER)])


# --- A plan reaches only the units it governs ---------------------------------------------------------------


@pytest.mark.parametrize("target", ["elsewhere_commune", "other_commune", "city", "province"])
def test_a_commune_cannot_push_tasks_onto_a_unit_it_does_not_govern(world, api, commune_leader, target):
    plan = _commune_plan(world, commune_leader)
    r = api.as_(commune_leader).post("/api/tasks/", _task_body(plan, getattr(world, target)), format="json")
    assert r.status_code == 400, r.content
    assert r.json()["assignee_unit"] == [str(ASSIGNEE_OUT_OF_REACH)]
    assert not Task.objects.filter(plan=plan).exists()


def test_a_unit_id_that_does_not_exist_answers_like_one_out_of_reach(world, api, commune_leader):
    plan = _commune_plan(world, commune_leader)
    missing = Unit.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    r = api.as_(commune_leader).post(
        "/api/tasks/", {**_task_body(plan, world.commune), "assignee_unit": missing}
    )
    assert r.status_code == 400
    assert r.json()["assignee_unit"] == [str(ASSIGNEE_OUT_OF_REACH)]


def test_a_plan_assigns_within_its_owner_subtree(world, api, commune_leader):
    plan = _commune_plan(world, commune_leader)
    r = api.as_(commune_leader).post("/api/tasks/", _task_body(plan, world.commune), format="json")
    assert r.status_code == 201, r.content


def test_a_department_plan_reaches_its_whole_province(world, api):
    department = factories.unit("S01", kind=UnitKind.DEPARTMENT, parent=world.province, name="Sở Nội vụ")
    director = factories.user("director", memberships=[(department, Role.LEADER)])
    plan = plan_services.plan_create(
        actor=director, owner_unit=department, number="1/KH-SNV", title="KH của Sở", year=2026
    )
    client = api.as_(director)
    assert (
        client.post("/api/tasks/", _task_body(plan, world.elsewhere_commune), format="json").status_code
        == 201
    )
    # …but not another province.
    other = factories.unit("P02", kind=UnitKind.PROVINCE, name="Tỉnh Lào Cai")
    r = client.post("/api/tasks/", _task_body(plan, other), format="json")
    assert r.status_code == 400 and "assignee_unit" in r.json()


def test_a_drafts_assignee_unit_cannot_be_moved_out_of_reach(world, api):
    task = world.task("draft")
    leader = api.as_(world.city_leader)
    r = leader.patch(f"/api/tasks/{task.pk}/", {"assignee_unit": world.elsewhere_commune.pk}, format="json")
    assert r.status_code == 400 and r.json()["assignee_unit"] == [str(ASSIGNEE_OUT_OF_REACH)]
    task.refresh_from_db()
    assert task.assignee_unit == world.commune
    # Within the reach it moves.
    r = leader.patch(f"/api/tasks/{task.pk}/", {"assignee_unit": world.other_commune.pk}, format="json")
    assert r.status_code == 200, r.content


def test_the_import_refuses_a_unit_out_of_reach_as_if_it_did_not_exist(world, commune_leader):
    plan = _commune_plan(world, commune_leader)
    header = ["Unit code", "Task title", "Due date"]
    due = (timezone.localdate() + dt.timedelta(days=20)).strftime("%d/%m/%Y")
    for code in ("X99", "NO-SUCH-UNIT"):
        with pytest.raises(ValidationError) as refused, translation.override("en"):
            tasks_import_xlsx(actor=commune_leader, plan=plan, data=xlsx([header, [code, "Việc", due]]))
        assert f"no unit with code '{code}' that you may assign" in " ".join(refused.value.messages)
    assert not Task.objects.filter(plan=plan).exists()


def test_the_task_form_offers_only_the_units_the_plan_reaches(world, web, commune_leader):
    plan = _commune_plan(world, commune_leader)
    html = web.as_(commune_leader).get(f"/plans/{plan.pk}/tasks/new/").content.decode()
    assert "X01" in html and "X99" not in html and "X02" not in html


# --- The lead: an active member of the assignee unit, and no oracle -----------------------------------------


def test_a_lead_must_be_an_active_member_and_the_error_never_tells_who_exists(world, api):
    leader = api.as_(world.city_leader)
    plan = world.plan
    inactive = factories.user("gone", memberships=[(world.commune, Role.OFFICIAL)])
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    missing = User.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    answers = set()
    for lead in (world.stranger.pk, inactive.pk, missing):
        r = leader.post("/api/tasks/", _task_body(plan, world.commune, lead=lead), format="json")
        assert r.status_code == 400, r.content
        answers.add(tuple(r.json()["lead"]))
    assert answers == {(str(LEAD_NOT_MEMBER),)}
    assert (
        leader.post(
            "/api/tasks/", _task_body(plan, world.commune, lead=world.official.pk), format="json"
        ).status_code
        == 201
    )


def test_the_import_answers_alike_for_an_unknown_user_and_one_of_another_unit(world):
    header = ["Unit code", "Task title", "Due date", "Lead"]
    due = (timezone.localdate() + dt.timedelta(days=20)).strftime("%d/%m/%Y")
    for username in ("stranger", "nobody-at-all"):
        with pytest.raises(ValidationError) as refused, translation.override("en"):
            tasks_import_xlsx(
                actor=world.city_leader, plan=world.plan, data=xlsx([header, ["X01", "Việc", due, username]])
            )
        assert f"'{username}' is not an active member of unit X01" in " ".join(refused.value.messages)


# --- A task is never its own ancestor -----------------------------------------------------------------------


def test_a_task_cannot_be_its_own_parent_nor_close_a_loop(world, api):
    a = world.task("draft", title="A")
    b = world.task("draft", title="B", parent=a)
    leader = api.as_(world.city_leader)
    r = leader.patch(f"/api/tasks/{a.pk}/", {"parent": a.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()
    r = leader.patch(f"/api/tasks/{a.pk}/", {"parent": b.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()
    a.refresh_from_db()
    assert a.parent_id is None


# --- Administrators administer their subtree only -----------------------------------------------------------


@pytest.fixture
def commune_admin(world):
    return factories.user("x01admin", memberships=[(world.commune, Role.ADMIN)])


def test_a_commune_admin_lists_only_the_users_of_its_subtree(world, api, commune_admin):
    factories.user("both", memberships=[(world.commune, Role.OFFICIAL), (world.province, Role.LEADER)])
    r = api.as_(commune_admin).get("/api/users/?page_size=200")
    assert r.status_code == 200
    rows = {u["username"]: u for u in r.json()["results"]}
    assert set(rows) == {"official", "colleague", "x01admin", "both"}
    # Where else a listed user works is not told.
    assert [m["unit_code"] for m in rows["both"]["memberships"]] == ["X01"]
    assert api.as_(commune_admin).get(f"/api/users/{world.stranger.pk}/").status_code == 404


def test_a_commune_admin_cannot_detach_or_edit_its_own_unit(world, api, commune_admin):
    client = api.as_(commune_admin)
    r = client.patch(f"/api/units/{world.commune.pk}/", {"parent": None}, format="json")
    assert r.status_code == 403
    world.commune.refresh_from_db()
    assert world.commune.parent == world.city
    # The province leader still sees it.
    leader = factories.user("pleader", memberships=[(world.province, Role.LEADER)])
    assert api.as_(leader).get(f"/api/units/{world.commune.pk}/").status_code == 200


def test_a_commune_admin_creates_units_only_below_its_unit(world, api, commune_admin):
    client = api.as_(commune_admin)
    root = client.post("/api/units/", {"code": "ROOT9", "name": "Gốc", "kind": "province"}, format="json")
    assert root.status_code == 400 and "parent" in root.json()
    r = client.post(
        "/api/units/", {"code": "X01-T1", "name": "Tổ 1", "kind": "commune", "parent": world.city.pk}
    )
    assert r.status_code == 400  # the city is not the admin's to place units under
    r = client.post(
        "/api/units/", {"code": "X01-T1", "name": "Tổ 1", "kind": "commune", "parent": world.commune.pk}
    )
    assert r.status_code == 201, r.content
    child = Unit.objects.get(code="X01-T1")
    # A unit below it: editable, but not detached nor moved out of the subtree.
    assert client.patch(f"/api/units/{child.pk}/", {"name": "Tổ dân phố 1"}, format="json").status_code == 200
    r = client.patch(f"/api/units/{child.pk}/", {"parent": None}, format="json")
    assert r.status_code == 400 and "parent" in r.json()
    assert not Unit.objects.filter(code="ROOT9").exists()
    child.refresh_from_db()
    assert child.parent == world.commune and child.name == "Tổ dân phố 1"


def test_an_admin_grants_memberships_only_in_its_subtree(world, api, commune_admin):
    # An admin of X01 who is also an official of the province sees the province, but does not administer it.
    Membership.objects.create(user=commune_admin, unit=world.province, role=Role.OFFICIAL)
    r = api.as_(commune_admin).post(
        "/api/users/",
        {
            "username": "grab",
            "password": "Cchc-Yen-Bai-2026!",
            "memberships": [{"unit": world.province.pk, "role": "admin"}],
        },
        format="json",
    )
    assert r.status_code == 400 and "memberships" in r.json()
    assert not User.objects.filter(username="grab").exists()


# --- Drafts stay on the owner's side ------------------------------------------------------------------------


def test_the_assignee_unit_does_not_see_a_leaders_draft(world, api):
    draft = world.task("draft", due=timezone.localdate() - dt.timedelta(days=5))
    official = api.as_(world.official)
    assert official.get(f"/api/tasks/{draft.pk}/").status_code == 404
    assert draft.pk not in {t["id"] for t in official.get("/api/tasks/").json()["results"]}
    # The owner's side sees it, as a draft: past its due date, never "overdue".
    r = api.as_(world.city_leader).get(f"/api/tasks/{draft.pk}/")
    assert r.status_code == 200 and r.json()["status"] == "draft"
    assert draft.pk not in {
        t["id"] for t in api.as_(world.city_leader).get("/api/tasks/?overdue=true").json()["results"]
    }


def test_a_commune_leader_does_not_see_the_citys_draft_plan(world, api, commune_leader):
    draft = plan_services.plan_create(
        actor=world.city_leader, owner_unit=world.city, number="99/KH-UBND", title="Dự thảo", year=2026
    )
    client = api.as_(commune_leader)
    assert client.get(f"/api/plans/{draft.pk}/").status_code == 404
    plan_services.plan_issue(actor=world.city_leader, plan=draft)
    world.task("assigned", plan=draft)
    assert client.get(f"/api/plans/{draft.pk}/").status_code == 200


def test_a_past_due_draft_is_a_draft_on_the_plan_page(world, web):
    world.task("draft", title="Dự thảo quá ngày", due=timezone.localdate() - dt.timedelta(days=5))
    html = web.as_(world.city_leader).get(f"/plans/{world.plan.pk}/").content.decode()
    card = html[html.index("Dự thảo quá ngày") - 1500 : html.index("Dự thảo quá ngày") + 1500]
    assert "tone-draft" in card and "tone-overdue" not in card
    overdue_tab = web.as_(world.city_leader).get(f"/plans/{world.plan.pk}/?tab=overdue").content.decode()
    assert "Dự thảo quá ngày" not in overdue_tab


def test_the_admin_form_refuses_a_unit_out_of_reach_and_a_loop_next_to_the_field(world):
    from tasks.admin import TaskAdminForm

    parent = world.task("draft", title="Cha")
    child = world.task("draft", title="Con", parent=parent)

    def form_for(task, **changes):
        data = {
            "plan": task.plan_id,
            "parent": task.parent_id or "",
            "title": task.title,
            "description": "",
            "assignee_unit": task.assignee_unit_id,
            "lead": "",
            "start_date": "",
            "due_date": task.due_date.isoformat(),
            "priority": task.priority,
            "criterion_code": "",
            **changes,
        }
        return TaskAdminForm(data=data, instance=task)

    form = form_for(parent, assignee_unit=world.elsewhere_commune.pk)
    assert not form.is_valid() and form.errors["assignee_unit"] == [str(ASSIGNEE_OUT_OF_REACH)]
    form = form_for(parent, parent=child.pk)
    assert not form.is_valid() and "parent" in form.errors
    assert form_for(parent, title="Cha (sửa)").is_valid()


def test_a_move_is_judged_against_the_stored_parent_even_when_a_form_set_the_new_one(world, commune_admin):
    """The admin's form sets the new parent on the object before the service runs: the service compares
    with what is stored, so the move is still refused."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    from org import services as org_services

    child = org_services.unit_create(
        actor=commune_admin, code="X01-T2", name="Tổ 2", kind="commune", parent=world.commune
    )
    child.parent = world.city  # as ModelAdmin's form would leave it
    with pytest.raises(DjangoValidationError):
        org_services.unit_update(actor=commune_admin, unit=child, parent=world.city)
    child.refresh_from_db()
    assert child.parent == world.commune
