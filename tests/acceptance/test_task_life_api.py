"""One task's whole life through the HTTP API, as an integration would drive it."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import MINIMAL_PDF

pytestmark = pytest.mark.django_db(transaction=True)


def _sunday_before_a_working_monday(after: dt.date) -> dt.date:
    """The first Sunday at least two weeks after `after` whose Monday is a working day (so the deadline
    moves by exactly one day), whatever day the session runs on."""
    from org.calendar import get_calendar

    cal = get_calendar()
    day = after + dt.timedelta(days=14)
    while day.weekday() != 6 or not cal.is_working_day(day + dt.timedelta(days=1)):
        day += dt.timedelta(days=1)
    return day


def test_task_whole_life_through_the_api(world, api):
    from rest_framework.test import APIClient

    today = timezone.localdate()
    due = _sunday_before_a_working_monday(today)

    # Sign in with a token, as SPEC §5 fixes.
    anon = APIClient()
    assert anon.get("/api/tasks/").status_code == 401
    r = anon.post("/api/auth/token/", {"username": "leader", "password": "Secret-pass-123"}, format="json")
    assert r.status_code == 200 and r.json()["token"]

    leader = api.as_(world.city_leader)
    r = leader.post(
        "/api/tasks/",
        {
            "plan": world.plan.pk,
            "title": "Công khai TTHC tại Bộ phận một cửa",
            "assignee_unit": world.commune.pk,
            "lead": world.official.pk,
            "start_date": today.isoformat(),
            "due_date": due.isoformat(),
            "priority": "high",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    task = r.json()
    assert task["state"] == "draft"
    assert task["effective_due_date"] == (due + dt.timedelta(days=1)).isoformat()  # a Sunday moves to Monday
    tid = task["id"]
    assert leader.post(f"/api/tasks/{tid}/assign/").json()["state"] == "assigned"

    official = api.as_(world.official)
    assert official.post(f"/api/tasks/{tid}/start/").json()["state"] == "in_progress"
    # Submitting without evidence is refused with the reason.
    r = official.post(f"/api/tasks/{tid}/submit/")
    assert r.status_code == 400 and "evidence" in r.json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = official.post(
        f"/api/tasks/{tid}/evidence/",
        {
            "file": SimpleUploadedFile("quyet-dinh.pdf", MINIMAL_PDF),
            "doc_number": "12/QĐ-UBND",
            "doc_date": today.isoformat(),
            "description": "Quyết định công bố",
            "metric_value": "97.5",
        },
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    ev = r.json()
    assert ev["content_type"] == "application/pdf" and len(ev["sha256"]) == 64
    download = official.get(ev["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == MINIMAL_PDF

    r = official.post(f"/api/tasks/{tid}/submit/")
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    leader = api.as_(world.city_leader)
    r = leader.post(f"/api/tasks/{tid}/return/", {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = leader.post(f"/api/tasks/{tid}/return/", {"reason": "Thiếu danh mục TTHC"}, format="json")
    assert r.json()["state"] == "returned"
    official = api.as_(world.official)
    assert official.post(f"/api/tasks/{tid}/submit/").json()["state"] == "submitted"
    leader = api.as_(world.city_leader)
    r = leader.post(f"/api/tasks/{tid}/approve/")
    body = r.json()
    assert body["state"] == "approved" and body["status"] == "on_time" and body["metric_value"] == "97.50"
    # Evidence is frozen once approved.
    official = api.as_(world.official)
    r = official.delete(f"/api/tasks/{tid}/evidence/{ev['id']}/")
    assert r.status_code == 409

    history = leader.get(f"/api/tasks/{tid}/history/").json()["results"]
    assert [h["action"] for h in history] == [
        "create",
        "assign",
        "start",
        "evidence_added",
        "submit",
        "return",
        "submit",
        "approve",
    ]
    assert history[5]["reason"] == "Thiếu danh mục TTHC" and history[5]["actor"] == "Leader"
