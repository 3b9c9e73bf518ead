"""The visibility matrix: for every role that should not see them, another unit's task, its evidence file,
its plan, the unit's score breakdown and another user's notifications answer 404 on every API endpoint
and every page, reading or writing, and appear in no list; the people who should see them do (the
control that shows the 404s are about visibility, not a broken URL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from criteria.services import criteria_set_import
from notifications.models import Notification
from scoring.services import scores_recompute
from tasks import services
from tasks.models import Evidence, Extension, Task, TaskComment, TaskEvent
from tasks.permissions import can_decide_any
from tests.factories import bound_plan, pdf_file, user

pytestmark = pytest.mark.django_db

SET = """
code: VIS-2026
name: Bộ tiêu chí thử quyền xem
year: 2026
unit_kind: commune
period: {start: 2025-12-15, end: 2026-12-14}
criteria:
  - {code: "1", title: Kế hoạch đúng hạn, max: 100, rule: {type: task_on_time}}
"""


@pytest.fixture
def scene(world):
    """X01's task in progress on a city plan bound to a criteria set, with evidence and an extension
    request; X01's scores; a notification of X01's official."""
    cs = criteria_set_import(data=SET)
    plan = bound_plan(world, cs, number="99/KH-UBND")
    task = services.task_create(
        actor=world.city_leader,
        plan=plan,
        title="Số hóa hồ sơ một cửa của phường Đồng Tâm",
        assignee_unit=world.commune,
        due_date=dt.date(2026, 12, 10),
        criterion_code="1",
    )
    services.task_assign(actor=world.city_leader, task=task)
    services.task_start(actor=world.official, task=task)
    evidence = services.evidence_add(actor=world.official, task=task, file=pdf_file(), doc_number="07/BC")
    extension = services.extension_request(
        actor=world.official, task=task, requested_due_date=dt.date(2026, 12, 30), reason="Chờ số liệu"
    )
    services.task_comment_add(actor=world.official, task=task, body="Ý kiến nội bộ của phường")
    scores_recompute(criteria_set=cs)
    notification = Notification.objects.create(
        recipient=world.official,
        kind="assigned",
        task=task,
        plan=plan,
        title="Thông báo riêng của Đồng Tâm",
        event_id=424242,
    )
    world.far_appraiser = user("far-appraiser", memberships=[(world.elsewhere, "appraiser")])
    world.far_admin = user("far-admin", memberships=[(world.elsewhere, "admin")])
    world.sibling_leader = user("sibling-leader", memberships=[(world.other_commune, "leader")])
    return {
        "task": task.pk,
        "evidence": evidence.pk,
        "extension": extension.pk,
        "plan": plan.pk,
        "set": cs.pk,
        "unit": world.commune.pk,
        "notification": notification.pk,
        "title": task.title,
        "plan_number": plan.number,
        "notification_title": notification.title,
    }


def api_calls(s) -> dict[str, list[tuple[str, str, dict | None]]]:
    t, e, x, p = s["task"], s["evidence"], s["extension"], s["plan"]
    reason = {"reason": "lý do"}
    return {
        "task": [
            ("get", f"/api/tasks/{t}/", None),
            ("patch", f"/api/tasks/{t}/", {"title": "Đổi"}),
            ("get", f"/api/tasks/{t}/history/", None),
            ("get", f"/api/tasks/{t}/comments/", None),
            ("post", f"/api/tasks/{t}/comments/", {"body": "Chen ngang @official"}),
            ("post", f"/api/tasks/{t}/progress/", {"progress": 40}),
            ("get", f"/api/tasks/{t}/extensions/", None),
            ("get", f"/api/tasks/{t}/extensions/{x}/", None),
            ("post", f"/api/tasks/{t}/extensions/{x}/approve/", reason),
            *[("post", f"/api/tasks/{t}/{a}/", reason) for a in ("submit", "approve", "return", "cancel")],
        ],
        "evidence": [
            ("get", f"/api/tasks/{t}/evidence/", None),
            ("get", f"/api/tasks/{t}/evidence/{e}/", None),
            ("get", f"/api/tasks/{t}/evidence/{e}/download/", None),
            ("delete", f"/api/tasks/{t}/evidence/{e}/", None),
        ],
        "plan": [
            ("get", f"/api/plans/{p}/", None),
            ("patch", f"/api/plans/{p}/", {"title": "Đổi"}),
            ("post", f"/api/plans/{p}/close/", None),
        ],
        "breakdown": [
            ("get", f"/api/criteria-sets/{s['set']}/scores/{s['unit']}/", None),
            ("put", f"/api/criteria-sets/{s['set']}/appraisals/{s['unit']}/1/", {"points": 50, "note": "x"}),
        ],
        "notification": [
            ("get", f"/api/notifications/{s['notification']}/", None),
            ("post", f"/api/notifications/{s['notification']}/read/", None),
        ],
    }


def page_calls(s) -> dict[str, list[tuple[str, str, dict | None]]]:
    t, e, x, p = s["task"], s["evidence"], s["extension"], s["plan"]
    return {
        "task": [
            ("get", f"/tasks/{t}/", None),
            ("get", f"/tasks/{t}/edit/", None),
            ("post", f"/tasks/{t}/edit/", {"title": "Đổi"}),
            ("post", f"/tasks/{t}/progress/", {"progress": "40"}),
            ("post", f"/tasks/{t}/comments/", {"body": "Chen ngang @official"}),
            ("post", f"/tasks/{t}/approve/", {"approve-reason": ""}),
            ("post", f"/tasks/{t}/cancel/", {"cancel-reason": "x"}),
            ("post", f"/tasks/{t}/extensions/", {"requested_due_date": "2027-01-10", "reason": "x"}),
            ("post", f"/tasks/{t}/extensions/{x}/decide/", {"decision": "approve"}),
        ],
        "evidence": [
            ("get", f"/tasks/{t}/evidence/{e}/download/", None),
            ("post", f"/tasks/{t}/evidence/", {"file": "PDF"}),
            ("post", f"/tasks/{t}/evidence/{e}/delete/", None),
        ],
        "plan": [
            ("get", f"/plans/{p}/", None),
            ("get", f"/plans/{p}/edit/", None),
            ("get", f"/plans/{p}/export.xlsx", None),
            ("get", f"/plans/{p}/report.pdf", None),
            ("get", f"/plans/{p}/import/", None),
            ("get", f"/plans/{p}/import/template.xlsx", None),
            ("get", f"/plans/{p}/tasks/new/", None),
            ("post", f"/plans/{p}/close/", None),
            ("post", f"/plans/{p}/assign-drafts/", None),
        ],
        "breakdown": [
            ("get", f"/ranking/{s['set']}/units/{s['unit']}/", None),
            ("get", f"/ranking/{s['set']}/units/{s['unit']}/report.pdf", None),
            ("get", f"/appraisal/{s['set']}/units/{s['unit']}/", None),
        ],
        "notification": [("post", f"/notifications/{s['notification']}/read/", None)],
    }


# Who must not see what (SPEC §1): a sibling commune's people, another district's official, leader,
# appraiser and administrator; and, for a notification, anyone but its recipient.
STRANGERS = {
    "task": ["other_official", "sibling_leader", "stranger", "stranger_leader", "far_appraiser", "far_admin"],
    "plan": ["other_official", "sibling_leader", "stranger", "stranger_leader", "far_appraiser", "far_admin"],
    "breakdown": ["other_official", "sibling_leader", "stranger", "stranger_leader", "far_appraiser"],
    "notification": ["colleague", "city_leader", "other_official", "stranger_leader", "far_admin"],
}
STRANGERS["evidence"] = STRANGERS["task"]
INSIDERS = {
    "task": ["official", "colleague", "city_leader"],
    "evidence": ["official", "city_leader"],
    "plan": ["official", "colleague", "city_leader"],
    "breakdown": ["official", "city_leader"],
    "notification": ["official"],
}
CASES = [(obj, who) for obj, people in STRANGERS.items() for who in people]


def snapshot(s):
    return (
        Task.objects.filter(pk=s["task"]).values().get(),
        list(Evidence.objects.values_list("pk", flat=True)),
        list(Extension.objects.values_list("state", flat=True)),
        TaskEvent.objects.count(),
        list(TaskComment.objects.values_list("body", flat=True)),
        Notification.objects.filter(read_at__isnull=False).count(),
    )


def send(client, method, url, body, *, api: bool):
    if body and body.get("file") == "PDF":
        body = {"file": pdf_file()}
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    if api:
        return getattr(client, method)(url, body or {}, format="json")
    return client.post(url, body or {})


@pytest.mark.parametrize("obj, who", CASES)
def test_what_is_not_theirs_answers_404_everywhere(world, api, scene, obj, who):
    user_ = getattr(world, who)
    before = snapshot(scene)
    api_client = api.as_(user_)
    for method, url, body in api_calls(scene)[obj]:
        response = send(api_client, method, url, body, api=True)
        assert response.status_code == 404, (who, method, url, response.status_code, response.content[:200])
    page = Client()
    page.force_login(user_)
    for method, url, body in page_calls(scene)[obj]:
        response = send(page, method, url, body, api=False)
        assert response.status_code == 404, (who, method, url, response.status_code)
    assert snapshot(scene) == before


@pytest.mark.parametrize("who", sorted({w for people in STRANGERS.values() for w in people}))
def test_and_it_is_in_no_list_or_search(world, api, scene, who):
    user_ = getattr(world, who)
    client = api.as_(user_)
    sees_task = who in INSIDERS["task"]
    tasks = client.get("/api/tasks/?page_size=500").json()["results"]
    assert (scene["task"] in [t["id"] for t in tasks]) == sees_task
    assert client.get(f"/api/tasks/?plan={scene['plan']}").json()["count"] == (1 if sees_task else 0)
    assert client.get("/api/tasks/?q=Đồng Tâm").json()["count"] == (1 if sees_task else 0)
    plans = [p["id"] for p in client.get("/api/plans/?page_size=500").json()["results"]]
    assert (scene["plan"] in plans) == (who in INSIDERS["plan"])
    mine = [n["id"] for n in client.get("/api/notifications/").json()["results"]]
    assert scene["notification"] not in mine
    page = Client()
    page.force_login(user_)
    # Every year: the task list opens on this year's deadlines, and a task it leaves out for its year would
    # pass for one it hides from this user.
    for url in ("/tasks/?tab=all&year=all", f"/tasks/?tab=all&year=all&q={scene['title'][:20]}"):
        assert (scene["title"] in page.get(url).content.decode()) == sees_task, url
    if not sees_task:
        assert scene["title"] not in page.get("/my-tasks/?tab=all").content.decode()
    assert (scene["plan_number"] in page.get("/plans/").content.decode()) == (who in INSIDERS["plan"])
    assert scene["notification_title"] not in page.get("/notifications/").content.decode()


@pytest.mark.parametrize("obj", sorted(INSIDERS))
def test_the_people_it_belongs_to_do_see_it(world, api, scene, obj):
    for who in INSIDERS[obj]:
        client = api.as_(getattr(world, who))
        for method, url, _body in api_calls(scene)[obj]:
            if method == "get":
                assert client.get(url).status_code == 200, (who, url)
        page = Client()
        page.force_login(getattr(world, who))
        for method, url, _body in page_calls(scene)[obj]:
            if method == "get" and not url.startswith(("/appraisal/", f"/plans/{scene['plan']}/edit")):
                if who != "city_leader" and ("/edit/" in url or "/import" in url or "/tasks/new/" in url):
                    continue  # pages for the plan's leaders: 403 for the others, who do see the plan
                assert page.get(url).status_code == 200, (who, url)


# --- The bulk decisions (approval inbox): ids in a body, so no 404 per object; each must still tell and
# touch nothing of another unit's task ----------------------------------------------------------------------


def bulk_calls(s) -> list[tuple[str, str, dict]]:
    t, x = s["task"], s["extension"]
    return [
        ("api", "/api/tasks/bulk-approve/", {"ids": [t]}),
        ("api", "/api/tasks/bulk-return/", {"ids": [t], "reason": "lý do"}),
        ("page", "/inbox/", {"action": "approve", "task": [t], "extension": [x]}),
        ("page", "/inbox/", {"action": "return", "task": [t], "extension": [x], "reason": "lý do"}),
        ("page", f"/inbox/?_={t}", {"action": f"approve:x{x}"}),
    ]


@pytest.mark.parametrize("who", STRANGERS["task"])
def test_bulk_decisions_on_what_is_not_theirs_answer_like_an_id_that_does_not_exist(world, api, scene, who):
    """Someone who leads nothing is refused as a whole (403, whatever the ids); a leader elsewhere gets
    the item refused exactly as an id that exists nowhere. Nothing changes either way."""
    user_ = getattr(world, who)
    leads = can_decide_any(user_)
    missing = {"ids": [10**12]}
    before = snapshot(scene)
    client = api.as_(user_)
    page = Client()
    page.force_login(user_)
    for kind, url, body in bulk_calls(scene):
        if kind == "api":
            response = client.post(url, body, format="json")
            control = client.post(url, {**body, **missing}, format="json")
            if leads:
                assert response.status_code == control.status_code == 200, (who, url, response.content)
                assert [r["code"] for r in response.json()["refused"]] == ["not_found"]
                assert response.json()["refused"][0]["reason"] == control.json()["refused"][0]["reason"]
            else:
                assert response.status_code == control.status_code == 403, (who, url)
        else:
            response = page.post(url, body, follow=True)
            if leads:
                html = response.content.decode()
                assert response.status_code == 200 and scene["title"] not in html, (who, url)
                assert "Không tìm thấy mục này, hoặc bạn không được xem." in html
            else:
                assert response.status_code == 403, (who, url)
    assert scene["title"] not in page.get("/inbox/").content.decode()
    assert snapshot(scene) == before


def test_the_owner_leader_sees_both_items_in_the_inbox(world, scene):
    page = Client()
    page.force_login(world.city_leader)
    html = page.get("/inbox/").content.decode()
    assert scene["title"] in html and f'name="extension" value="{scene["extension"]}"' in html
