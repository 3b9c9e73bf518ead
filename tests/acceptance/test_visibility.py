"""Who sees what (SPEC §1, §5) through the HTTP API: a task or plan a user may not see answers 404 on every
endpoint, as if it did not exist; what they may see but not do answers 403; no credentials, 401."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from org.models import Role
from plans import services as plan_services
from tasks import services
from tasks.models import Evidence, Extension, Task, TaskEvent
from tests import factories
from tests.factories import pdf_file

# The due date of the task the extension requests are for: these tests are about rights, not today.
DUE = dt.date(2026, 12, 15)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def scene(world):
    """A city task in progress for commune X01, with evidence and a pending extension request."""
    task = world.task("in_progress", due=DUE)
    evidence = services.evidence_add(
        actor=world.official, task=task, file=pdf_file(), doc_number="05/BC", metric_value=90
    )
    extension = services.extension_request(
        actor=world.official, task=task, requested_due_date=dt.date(2026, 12, 31), reason="Chờ số liệu quý IV"
    )
    return task, evidence, extension


def task_endpoints(task_id: int, evidence_id: int, extension_id: int):
    """(method, url, body, multipart?) for every endpoint of one task."""
    t = f"/api/tasks/{task_id}"
    reason = {"reason": "lý do"}
    calls = [
        ("get", f"{t}/", None, False),
        ("patch", f"{t}/", {"title": "Đổi tên"}, False),
        ("put", f"{t}/", {"title": "Đổi tên", "assignee_unit": 1}, False),
        ("get", f"{t}/history/", None, False),
        ("post", f"{t}/progress/", {"progress": 50}, False),
        ("get", f"{t}/evidence/", None, False),
        ("get", f"{t}/evidence/{evidence_id}/", None, False),
        ("get", f"{t}/evidence/{evidence_id}/download/", None, False),
        ("delete", f"{t}/evidence/{evidence_id}/", None, False),
        ("get", f"{t}/extensions/", None, False),
        ("get", f"{t}/extensions/{extension_id}/", None, False),
        ("post", f"{t}/extensions/", {"requested_due_date": "2027-01-15", "reason": "lý do"}, False),
        # An empty body must not tell a stranger more than a good one: still 404, not 400.
        ("post", f"{t}/extensions/", {}, False),
        ("post", f"{t}/extensions/{extension_id}/approve/", reason, False),
        ("post", f"{t}/extensions/{extension_id}/reject/", reason, False),
        ("post", f"{t}/evidence/", "FILE", True),
        ("post", f"{t}/evidence/", {}, True),
    ]
    for action in ("assign", "start", "submit", "approve", "return", "cancel", "reopen"):
        calls.append(("post", f"{t}/{action}/", reason, False))
    return calls


def call(client, method, url, body, multipart):
    if body == "FILE":
        body = {"file": pdf_file(), "doc_number": "01/BC"}
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, body or {}, format="multipart" if multipart else "json")


def snapshot(task: Task):
    return (
        Task.objects.filter(pk=task.pk).values().get(),
        list(Evidence.objects.filter(task=task).values_list("id", flat=True)),
        list(Extension.objects.filter(task=task).values_list("id", "state", "requested_due_date")),
        TaskEvent.objects.filter(task=task).count(),
    )


@pytest.mark.parametrize("who", ["stranger", "stranger_leader", "other_official"])
def test_a_task_out_of_sight_answers_404_on_every_endpoint(world, api, scene, who):
    task, evidence, extension = scene
    client = api.as_(getattr(world, who))
    before = snapshot(task)
    for method, url, body, multipart in task_endpoints(task.pk, evidence.pk, extension.pk):
        r = call(client, method, url, body, multipart)
        assert r.status_code == 404, (method, url, r.status_code, r.content)
    assert snapshot(task) == before
    # Nor does it show in any list or filter.
    assert client.get("/api/tasks/").json()["count"] == 0
    assert client.get(f"/api/tasks/?plan={world.plan.pk}").json()["count"] == 0
    assert client.get(f"/api/plans/{world.plan.pk}/").status_code == 404


def test_unauthenticated_calls_answer_401_on_every_endpoint(world, scene):
    task, evidence, extension = scene
    anon = APIClient()
    for method, url, body, multipart in task_endpoints(task.pk, evidence.pk, extension.pk):
        r = call(anon, method, url, body, multipart)
        assert r.status_code == 401, (method, url, r.status_code)
    for url in ("/api/tasks/", "/api/plans/", f"/api/plans/{world.plan.pk}/", "/api/units/", "/api/users/"):
        assert anon.get(url).status_code == 401, url
    assert anon.post(f"/api/plans/{world.plan.pk}/issue/").status_code == 401
    assert APIClient().get("/api/tasks/", HTTP_AUTHORIZATION="Token not-a-real-token").status_code == 401


@pytest.mark.parametrize(
    "who", ["city_leader", "province_leader", "official", "colleague", "commune_leader", "admin"]
)
def test_who_sees_the_task(world, api, scene, who):
    """The owner unit's leaders (and above), the assignee unit's members, a superuser."""
    task, evidence, extension = scene
    if who == "province_leader":
        user = factories.user("pl", memberships=[(world.province, Role.LEADER)])
    elif who == "commune_leader":
        user = factories.user("cl", memberships=[(world.commune, Role.LEADER)])
    else:
        user = getattr(world, who)
    client = api.as_(user)
    assert client.get(f"/api/tasks/{task.pk}/").json()["title"] == task.title
    assert [t["id"] for t in client.get("/api/tasks/").json()["results"]] == [task.pk]
    assert client.get(f"/api/tasks/{task.pk}/history/").status_code == 200
    assert [e["id"] for e in client.get(f"/api/tasks/{task.pk}/evidence/").json()["results"]] == [evidence.pk]
    download = client.get(f"/api/tasks/{task.pk}/evidence/{evidence.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == factories.MINIMAL_PDF
    assert [x["id"] for x in client.get(f"/api/tasks/{task.pk}/extensions/").json()["results"]] == [
        extension.pk
    ]
    assert client.get(f"/api/plans/{world.plan.pk}/").status_code == 200


def test_superuser_sees_everything(world, api):
    mine = world.task("draft")
    theirs_plan = plan_services.plan_create(
        actor=world.stranger_leader,
        owner_unit=world.elsewhere,
        number="1/KH-UBND",
        title="Lục Yên",
        year=2026,
    )
    services.task_create(
        actor=world.stranger_leader,
        plan=theirs_plan,
        title="Ở Lục Yên",
        assignee_unit=world.elsewhere_commune,
    )
    client = api.as_(world.admin)
    assert client.get("/api/tasks/").json()["count"] == 2
    assert {p["id"] for p in client.get("/api/plans/").json()["results"]} == {world.plan.pk, theirs_plan.pk}
    assert client.get(f"/api/tasks/{mine.pk}/").status_code == 200
    assert client.get("/api/units/").json()["count"] == 6


def test_a_province_member_sees_the_whole_subtree(world, api):
    province_official = factories.user("po", memberships=[(world.province, Role.OFFICIAL)])
    in_city = world.task("assigned")
    other_plan = plan_services.plan_create(
        actor=world.stranger_leader,
        owner_unit=world.elsewhere,
        number="2/KH-UBND",
        title="Lục Yên",
        year=2026,
    )
    in_elsewhere = services.task_create(
        actor=world.stranger_leader,
        plan=other_plan,
        title="Ở Mường Lai",
        assignee_unit=world.elsewhere_commune,
    )
    client = api.as_(province_official)
    assert {t["id"] for t in client.get("/api/tasks/").json()["results"]} == {in_city.pk, in_elsewhere.pk}
    assert {p["id"] for p in client.get("/api/plans/").json()["results"]} == {world.plan.pk, other_plan.pk}
    # The city leader sees the city's task but nothing of Lục Yên.
    city = api.as_(world.city_leader)
    assert {t["id"] for t in city.get("/api/tasks/").json()["results"]} == {in_city.pk}
    assert city.get(f"/api/tasks/{in_elsewhere.pk}/").status_code == 404
    assert city.get(f"/api/plans/{other_plan.pk}/").status_code == 404


def test_a_departments_task_is_seen_by_the_commune_it_is_assigned_to(world, api):
    """A Sở's plan reaches its whole province (SPEC §1): the assignee unit's subtree sees the task although
    the owner unit is not above it; a unit the task is not assigned to does not."""
    from org.models import UnitKind
    from plans import services as plan_services

    department = factories.unit("S01", kind=UnitKind.DEPARTMENT, parent=world.province, name="Sở Nội vụ")
    director = factories.user("director", memberships=[(department, Role.LEADER)])
    plan = plan_services.plan_create(
        actor=director, owner_unit=department, number="9/KH-SNV", title="KH", year=2026
    )
    plan_services.plan_issue(actor=director, plan=plan)
    task = world.task("assigned", unit=world.elsewhere_commune, plan=plan, leader=director)
    assert api.as_(world.stranger).get(f"/api/tasks/{task.pk}/").status_code == 200
    assert api.as_(world.stranger_leader).get(f"/api/tasks/{task.pk}/").status_code == 200
    assert api.as_(world.official).get(f"/api/tasks/{task.pk}/").status_code == 404


def test_plan_visibility_follows_owner_subtree_or_a_task_assigned_into_the_subtree(world, api):
    """SPEC §1: a plan is visible when its owner unit, or the assignee unit of one of its tasks, lies in the
    subtree of a unit where the user holds a membership."""
    url = f"/api/plans/{world.plan.pk}/"
    listed = lambda c: [p["id"] for p in c.get("/api/plans/").json()["results"]]  # noqa: E731
    # The owner unit's subtree: the city leader; the province above it; not the communes with no task yet.
    assert api.as_(world.city_leader).get(url).status_code == 200
    assert (
        api.as_(factories.user("po", memberships=[(world.province, Role.OFFICIAL)])).get(url).status_code
        == 200
    )
    official = api.as_(world.official)
    assert official.get(url).status_code == 404 and listed(official) == []
    stranger = api.as_(world.stranger)
    assert stranger.get(url).status_code == 404 and listed(stranger) == []

    # A draft task for commune X01 is still the owner's work in progress: the plan stays unseen there.
    world.task("draft")
    official = api.as_(world.official)
    assert official.get(url).status_code == 404 and listed(official) == []
    # Once a task of the plan is assigned to commune X01, the plan is visible there, and only there.
    world.task("assigned")
    official = api.as_(world.official)
    assert official.get(url).status_code == 200 and listed(official) == [world.plan.pk]
    other = api.as_(world.other_official)
    assert other.get(url).status_code == 404 and listed(other) == []
    # …and to the units above the assignee, through their subtree: a leader of X01 sees it too.
    leader = api.as_(factories.user("x01leader", memberships=[(world.commune, Role.LEADER)]))
    assert leader.get(url).status_code == 200 and listed(leader) == [world.plan.pk]
    # Seeing a plan is not managing it.
    assert leader.post(f"{url}close/").status_code == 403


@pytest.mark.parametrize(
    ("who", "method", "path", "body"),
    [
        # A city official sees the city's tasks (owner subtree) but is neither leader nor assignee member.
        ("city_official", "post", "approve/", {}),
        ("city_official", "post", "start/", {}),
        ("city_official", "patch", "", {"title": "x"}),
        ("city_official", "post", "progress/", {"progress": 40}),
        ("city_official", "post", "extensions/", {"requested_due_date": "2027-01-10", "reason": "x"}),
        ("city_official", "post", "extensions/{x}/approve/", {}),
        ("city_official", "delete", "evidence/{e}/", None),
        # The assignee's official works on the task but does not manage it.
        ("official", "patch", "", {"title": "x"}),
        ("official", "post", "cancel/", {"reason": "x"}),
        ("official", "post", "extensions/{x}/approve/", {}),
        ("official", "post", "extensions/{x}/reject/", {"reason": "x"}),
        # The owner's leader manages the task but does not do its work.
        ("city_leader", "post", "submit/", {}),
        ("city_leader", "post", "progress/", {"progress": 40}),
        ("city_leader", "delete", "evidence/{e}/", None),
        ("city_leader", "post", "extensions/", {"requested_due_date": "2027-01-10", "reason": "x"}),
    ],
)
def test_seeing_without_the_right_to_act_answers_403(world, api, scene, who, method, path, body):
    task, evidence, extension = scene
    user = (
        factories.user("co", memberships=[(world.city, Role.OFFICIAL)])
        if who == "city_official"
        else getattr(world, who)
    )
    client = api.as_(user)
    assert client.get(f"/api/tasks/{task.pk}/").status_code == 200
    before = snapshot(task)
    url = f"/api/tasks/{task.pk}/{path.format(x=extension.pk, e=evidence.pk)}"
    r = client.delete(url) if method == "delete" else getattr(client, method)(url, body, format="json")
    assert r.status_code == 403, r.content
    assert snapshot(task) == before


def test_uploading_evidence_without_the_right_answers_403_and_stores_nothing(world, api, scene, settings):
    task, _evidence, _extension = scene
    r = api.as_(world.city_leader).post(
        f"/api/tasks/{task.pk}/evidence/", {"file": pdf_file(), "doc_number": "x"}, format="multipart"
    )
    assert r.status_code == 403
    assert task.evidence.count() == 1
    assert len(list((settings.MEDIA_ROOT / "evidence").rglob("*.pdf"))) == 1


def test_a_unit_outside_ones_subtree_is_not_listed(world, api):
    client = api.as_(world.official)
    assert [u["code"] for u in client.get("/api/units/").json()["results"]] == ["X01"]
    assert client.get(f"/api/units/{world.city.pk}/").status_code == 404
    leader = api.as_(world.city_leader)
    assert [u["code"] for u in leader.get("/api/units/").json()["results"]] == ["C01", "X01", "X02"]
