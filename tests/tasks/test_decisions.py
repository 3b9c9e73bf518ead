"""Bulk decisions (the approval inbox): approve or return many submitted tasks, decide many extension
requests, each item by the single step's rule; refusals reported per item, the rest done; the API's
`POST /api/tasks/bulk-approve/` and `/bulk-return/`; the inbox's one list (tasks and requests)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from org.models import Role
from plans import services as plan_services
from tasks import services
from tasks.models import Extension, Outbox, Task, TaskEvent
from tasks.selectors import inbox_count, inbox_items, inbox_rows
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(world):
    return [world.task("submitted", title=f"Trình số {i}") for i in range(3)]


def _state(task) -> str:
    return Task.objects.values_list("state", flat=True).get(pk=task.pk)


# --- The service ----------------------------------------------------------------------------------------


def test_bulk_approve_approves_each_and_refuses_what_was_approved_meanwhile(world, submitted):
    first, second, third = submitted
    services.task_approve(actor=world.city_leader, task=second)  # someone else, a moment before
    events_before = TaskEvent.objects.filter(action="approve").count()
    result = services.tasks_approve_bulk(actor=world.city_leader, task_ids=[first.pk, second.pk, third.pk])
    assert result.done_ids == [first.pk, third.pk]
    assert [(r.id, r.code) for r in result.refused] == [(second.pk, "conflict")]
    assert "Đã duyệt" in result.refused[0].message  # the state it is in, as the single step says it
    assert result.refused[0].title == "Trình số 1"
    for task in (first, third):
        task = Task.objects.get(pk=task.pk)
        assert task.state == "approved" and task.progress == 100 and task.approved_at is not None
    # One history row per approved task, with who and from which state, as the single step writes.
    rows = TaskEvent.objects.filter(action="approve").order_by("id")[events_before:]
    assert [(e.task_id, e.actor_id, e.from_state, e.to_state) for e in rows] == [
        (first.pk, world.city_leader.pk, "submitted", "approved"),
        (third.pk, world.city_leader.pk, "submitted", "approved"),
    ]


def test_a_task_not_theirs_is_refused_with_its_reason_and_the_rest_go_through(world, submitted):
    ward_leader = factories.user("wardleader", memberships=[(world.commune, Role.LEADER)])
    ward_plan = plan_services.plan_create(
        actor=ward_leader, owner_unit=world.commune, number="5/KH", title="KH phường", year=2026
    )
    plan_services.plan_issue(actor=ward_leader, plan=ward_plan)
    own = factories.task_in_state(
        world,
        "submitted",
        due=timezone.localdate() + dt.timedelta(days=9),
        unit=world.commune,
        plan=ward_plan,
        leader=ward_leader,
    )
    # The ward leader sees the city's task (assigned to the ward) but may not approve it.
    result = services.tasks_approve_bulk(actor=ward_leader, task_ids=[submitted[0].pk, own.pk, 10**9])
    assert result.done_ids == [own.pk]
    refused = {r.id: r.code for r in result.refused}
    assert refused == {submitted[0].pk: "forbidden", 10**9: "not_found"}
    assert _state(submitted[0]) == "submitted" and _state(own) == "approved"


def test_a_task_they_cannot_see_is_refused_as_not_found(world):
    far = factories.task_in_state(
        world, "submitted", due=timezone.localdate() + dt.timedelta(days=9), unit=world.commune
    )
    result = services.tasks_approve_bulk(actor=world.stranger_leader, task_ids=[far.pk])
    assert [(r.id, r.code, r.title) for r in result.refused] == [(far.pk, "not_found", "")]
    assert _state(far) == "submitted"


def test_someone_who_leads_nothing_is_refused_as_a_whole(world, submitted):
    with pytest.raises(PermissionDenied):
        services.tasks_approve_bulk(actor=world.official, task_ids=[submitted[0].pk])
    with pytest.raises(PermissionDenied):
        services.tasks_return_bulk(actor=world.official, task_ids=[submitted[0].pk], reason="Thiếu")
    assert _state(submitted[0]) == "submitted"


def test_bulk_return_needs_a_reason_and_gives_it_to_every_task(world, submitted):
    ids = [t.pk for t in submitted[:2]]
    for blank in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            services.tasks_return_bulk(actor=world.city_leader, task_ids=ids, reason=blank)
        assert "reason" in refused.value.message_dict
    assert {_state(t) for t in submitted} == {"submitted"}
    result = services.tasks_return_bulk(actor=world.city_leader, task_ids=ids, reason="  Thiếu biên bản ")
    assert result.done_ids == ids and result.refused == []
    assert {_state(t) for t in submitted[:2]} == {"returned"}
    reasons = TaskEvent.objects.filter(task_id__in=ids, action="return").values_list("reason", flat=True)
    assert list(reasons) == ["Thiếu biên bản", "Thiếu biên bản"]


@pytest.mark.parametrize("ids", [[], ["x"], [0], [2**63]])
def test_bad_ids_are_refused_as_a_whole(world, ids):
    with pytest.raises(ValidationError) as refused:
        services.tasks_approve_bulk(actor=world.city_leader, task_ids=ids)
    assert "ids" in refused.value.message_dict


def test_the_reads_are_one_query_whatever_the_number_of_tasks(world, django_capture_on_commit_callbacks):
    tasks = [world.task("submitted", title=f"Việc {i}") for i in range(6)]

    def queries(batch) -> int:
        with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=False):
            services.tasks_approve_bulk(actor=world.city_leader, task_ids=[t.pk for t in batch])
        return len(ctx.captured_queries)

    assert queries(tasks[:2]) == queries(tasks[2:])  # 2 tasks or 4: the same number of queries


def test_every_approved_task_gets_its_own_event_in_the_outbox(
    world, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.tasks_approve_bulk(actor=world.city_leader, task_ids=[t.pk for t in submitted])
    payloads = list(Outbox.objects.order_by("id").values_list("payload", flat=True))[-3:]
    assert [(p["task_id"], p["action"], p["affects_score"]) for p in payloads] == [
        (t.pk, "approve", True) for t in submitted
    ]
    # Dispatched together after commit, each row as one task's event: all three leave the outbox.
    ids = [row for row in Outbox.objects.order_by("id").values_list("id", flat=True)][-3:]
    for callback in callbacks:
        callback()
    assert not Outbox.objects.filter(id__in=ids).exists()


def test_extension_requests_are_decided_in_bulk_by_the_single_rule(world):
    tasks = [world.task("in_progress", title=f"Gia hạn {i}") for i in range(3)]
    asked = [
        services.extension_request(
            actor=world.official, task=t, requested_due_date=t.due_date + dt.timedelta(days=10), reason="Chờ"
        )
        for t in tasks
    ]
    services.extension_decide(actor=world.city_leader, extension=asked[1], approve=False, note="Không")
    with pytest.raises(ValidationError):
        services.extensions_decide_bulk(
            actor=world.city_leader, extension_ids=[x.pk for x in asked], approve=False, note=""
        )
    result = services.extensions_decide_bulk(
        actor=world.city_leader, extension_ids=[x.pk for x in asked], approve=True
    )
    assert result.done_ids == [asked[0].pk, asked[2].pk]
    assert [(r.id, r.code) for r in result.refused] == [(asked[1].pk, "conflict")]
    for ext, task in ((asked[0], tasks[0]), (asked[2], tasks[2])):
        assert Extension.objects.get(pk=ext.pk).state == "approved"
        assert Task.objects.get(pk=task.pk).due_date == ext.requested_due_date
    with pytest.raises(PermissionDenied):
        services.extensions_decide_bulk(actor=world.official, extension_ids=[asked[0].pk], approve=True)


# --- The inbox's list -------------------------------------------------------------------------------------


def test_the_inbox_lists_submitted_tasks_and_pending_requests_in_one_list(world):
    today = timezone.localdate()
    world.task("submitted", title="Trình muộn", due=today + dt.timedelta(days=30))
    world.task("submitted", title="Trình gấp", due=today + dt.timedelta(days=2))
    asking = world.task("in_progress", title="Xin gia hạn", due=today + dt.timedelta(days=5))
    ext = services.extension_request(
        actor=world.official, task=asking, requested_due_date=today + dt.timedelta(days=20), reason="Chờ"
    )
    world.task("in_progress", title="Chưa trình")
    rows = inbox_rows(user=world.city_leader)
    items = inbox_items(user=world.city_leader, rows=rows)
    assert [(i.kind, i.task.title) for i in items] == [
        ("task", "Trình gấp"),
        ("extension", "Xin gia hạn"),
        ("task", "Trình muộn"),
    ]
    assert items[1].extension == ext and items[0].task.evidence_count == 1
    assert inbox_count(user=world.city_leader) == 3
    newest = inbox_items(user=world.city_leader, rows=inbox_rows(user=world.city_leader, sort="newest"))
    assert [i.task.title for i in newest] == ["Xin gia hạn", "Trình gấp", "Trình muộn"]
    # Nobody else decides these: the officials and a leader elsewhere have an empty inbox.
    for user in (world.official, world.stranger_leader, world.other_official):
        assert inbox_count(user=user) == 0


# --- The API ---------------------------------------------------------------------------------------------


def test_the_api_approves_in_bulk_and_lists_what_it_refused(world, api, submitted):
    services.task_approve(actor=world.city_leader, task=submitted[0])
    ids = [t.pk for t in submitted] + [10**9]
    r = api.as_(world.city_leader).post("/api/tasks/bulk-approve/", {"ids": ids}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["done"] == [submitted[1].pk, submitted[2].pk]
    assert [(x["id"], x["code"]) for x in body["refused"]] == [
        (submitted[0].pk, "conflict"),
        (10**9, "not_found"),
    ]
    assert all(x["reason"] for x in body["refused"])
    assert {_state(t) for t in submitted} == {"approved"}


def test_the_api_returns_in_bulk_with_one_reason(world, api, submitted):
    client = api.as_(world.city_leader)
    r = client.post("/api/tasks/bulk-return/", {"ids": [submitted[0].pk]}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = client.post("/api/tasks/bulk-return/", {"ids": [submitted[0].pk], "reason": "  "}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    assert _state(submitted[0]) == "submitted"
    r = client.post(
        "/api/tasks/bulk-return/", {"ids": [submitted[0].pk], "reason": "Thiếu chữ ký"}, format="json"
    )
    assert r.status_code == 200 and r.json() == {"done": [submitted[0].pk], "refused": []}
    assert _state(submitted[0]) == "returned"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": "1"},
        {"ids": ["a"]},
        {"ids": [0]},
        {"ids": [2**63]},
        {"ids": list(range(1, 300))},
    ],
)
def test_bad_input_to_the_api_is_a_400_naming_the_field(world, api, body):
    r = api.as_(world.city_leader).post("/api/tasks/bulk-approve/", body, format="json")
    assert r.status_code == 400, (body, r.content)
    assert list(r.json()) == ["ids"] and r.json()["ids"]


def test_an_official_calling_the_api_is_refused_with_403(world, api, submitted):
    for url, body in (
        ("/api/tasks/bulk-approve/", {"ids": [submitted[0].pk]}),
        ("/api/tasks/bulk-return/", {"ids": [submitted[0].pk], "reason": "Thiếu"}),
    ):
        r = api.as_(world.official).post(url, body, format="json")
        assert r.status_code == 403, (url, r.content)
    assert _state(submitted[0]) == "submitted"
    api.credentials()  # signed out
    assert api.post("/api/tasks/bulk-approve/", {"ids": [1]}, format="json").status_code == 401


def test_the_bulk_endpoints_are_in_the_openapi_schema(world, api):
    r = api.as_(world.official).get("/api/schema/", {"format": "json"})
    paths = r.json()["paths"]
    for path in ("/api/tasks/bulk-approve/", "/api/tasks/bulk-return/"):
        post = paths[path]["post"]
        assert {"200", "400", "403"} <= set(post["responses"])
    schemas = r.json()["components"]["schemas"]
    assert "reason" in schemas["BulkReturnRequest"]["required"]
