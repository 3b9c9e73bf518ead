"""`GET/POST /api/tasks/{id}/comments/`: the task's comments oldest first, a new one with the mentions that
reached someone and the names that did not; 400 naming `body`, 401 signed out, 404 for a task the user
cannot see (reading or writing), 409 on a cancelled task; documented in the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tasks import services
from tasks.models import TaskComment

pytestmark = pytest.mark.django_db


def test_post_then_get(world, api):
    task = world.task("in_progress")
    client = api.as_(world.official)
    r = client.post(
        f"/api/tasks/{task.pk}/comments/", {"body": "  Nhờ @leader xem, cả @khongco  "}, format="json"
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["body"] == "Nhờ @leader xem, cả @khongco"
    assert data["author"] == "Official" and data["author_id"] == world.official.pk
    assert data["mentions"] == ["leader"] and data["not_notified"] == ["khongco"]
    assert data["task"] == task.pk and data["created_at"]
    services.task_comment_add(actor=world.city_leader, task=task, body="Đã xem @official")
    r = api.as_(world.colleague).get(f"/api/tasks/{task.pk}/comments/")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [c["body"] for c in rows] == ["Nhờ @leader xem, cả @khongco", "Đã xem @official"]
    assert rows[1]["mentions"] == ["official"] and "not_notified" not in rows[1]


@pytest.mark.parametrize(
    "body, says",
    [
        ({"body": ""}, "bỏ trống"),
        ({"body": "   "}, "bỏ trống"),
        ({}, "bắt buộc"),
        ({"body": "x" * 4001}, "4000"),
        ({"body": "a\x00b"}, ""),
        ({"body": ["danh", "sách"]}, ""),
    ],
)
def test_bad_bodies_are_400_naming_the_field(world, api, body, says):
    task = world.task("in_progress")
    r = api.as_(world.official).post(f"/api/tasks/{task.pk}/comments/", body, format="json")
    assert r.status_code == 400 and list(r.json()) == ["body"]
    (message,) = r.json()["body"]
    assert message and says in message
    assert not TaskComment.objects.exists()


def test_a_task_one_cannot_see_is_404_reading_and_writing(world, api):
    task = world.task("in_progress")
    services.task_comment_add(actor=world.official, task=task, body="Nội bộ")
    for who in (world.stranger, world.other_official, world.stranger_leader):
        client = api.as_(who)
        assert client.get(f"/api/tasks/{task.pk}/comments/").status_code == 404
        assert client.post(f"/api/tasks/{task.pk}/comments/", {"body": "x"}, format="json").status_code == 404
    draft = world.task("draft")  # the assignee unit does not see a draft yet
    assert api.as_(world.official).get(f"/api/tasks/{draft.pk}/comments/").status_code == 404
    assert TaskComment.objects.count() == 1
    assert APIClient().get(f"/api/tasks/{task.pk}/comments/").status_code == 401


def test_a_cancelled_task_is_409(world, api):
    task = world.task("cancelled")
    r = api.as_(world.city_leader).post(f"/api/tasks/{task.pk}/comments/", {"body": "?"}, format="json")
    assert r.status_code == 409 and "không thêm ý kiến được" in r.json()["detail"]


def test_the_schema_documents_both_methods(world, api):
    r = api.as_(world.official).get("/api/schema/?format=json")
    path = r.json()["paths"]["/api/tasks/{id}/comments/"]
    assert set(path) >= {"get", "post"}
    post = path["post"]
    assert "201" in post["responses"] and "400" in post["responses"] and "404" in post["responses"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/TaskCommentCreateRequest")
    assert not [p for p in path["get"].get("parameters", []) if p["name"] == "state"]  # no task filters
