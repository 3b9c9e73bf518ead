"""CSRF on every form: every URL of the site that is not the token API answers a POST without the CSRF
token with 403 (the CSRF page) and changes nothing, whoever is signed in. The URLs are read from the URL
configuration, so a page added later is covered the day it is added."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from notifications.models import Notification
from plans.models import Plan
from tasks import services
from tasks.models import Evidence, Extension, Task, TaskEvent
from tests.factories import pdf_file

# The due date of the task the extension requests are for: these tests are about rights, not today.
DUE = dt.date(2026, 12, 15)

pytestmark = pytest.mark.django_db

TRANSITION_ACTIONS = ("assign", "start", "submit", "approve", "return", "cancel", "reopen")


def routes(patterns=None, prefix: str = ""):
    """Every URL pattern of the site as (route text, pattern)."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def concrete_urls(ids: dict[str, int]) -> list[str]:
    """Each page URL with real ids in it (the API lives under /api/, checked separately below)."""
    urls = []
    for route, _pattern in routes():
        if route.startswith(("api/", "admin/")) or route.startswith("^api/"):
            continue
        if route.startswith("^"):  # a regular expression: the task transitions
            base = re.sub(r"\(\?P<pk>[^)]*\)", str(ids["pk"]), route.lstrip("^").rstrip("$"))
            urls += ["/" + re.sub(r"\(\?P<action>[^)]*\)", a, base) for a in TRANSITION_ACTIONS]
            continue
        url = re.sub(r"<(?:int|slug):(\w+)>", lambda m: str(ids[m.group(1)]), route)
        assert "<" not in url, f"a converter the test does not fill: {route}"
        urls.append("/" + url)
    return urls


@pytest.fixture
def scene(world):
    """A submitted task with evidence and a pending extension, a notification, a criteria set."""
    task = world.task("in_progress", due=DUE)
    evidence = services.evidence_add(actor=world.official, task=task, file=pdf_file())
    extension = services.extension_request(
        actor=world.official, task=task, requested_due_date=dt.date(2026, 12, 31), reason="Chờ số liệu"
    )
    from criteria.services import criteria_set_import

    cs = criteria_set_import(
        data="code: CS\nname: Bộ\nyear: 2026\nunit_kind: commune\n"
        "period: {start: 2026-01-01, end: 2026-12-31}\n"
        "criteria:\n  - {code: '1', title: A, max: 100, rule: {type: manual}}\n"
    )
    notification = Notification.objects.create(
        recipient=world.official,
        kind="assigned",
        task=task,
        plan=task.plan,
        title="Được giao",
        event_id=1,
    )
    ids = {
        "pk": task.pk,
        "eid": evidence.pk,
        "xid": extension.pk,
        "plan_pk": task.plan_id,
        "set_id": cs.pk,
        "unit_id": world.commune.pk,
        # Pages of what may not exist yet (a published version, a criterion evidence file): the CSRF check
        # comes before the view looks anything up.
        "version": 1,
        "evidence_id": 1,
        # The calendar feed's secret address (GET only: a POST is refused by the CSRF check all the same).
        "token": "x" * 43,
    }
    return task, ids, notification


def snapshot(task):
    return (
        Task.objects.filter(pk=task.pk).values().get(),
        Evidence.objects.count(),
        Extension.objects.filter(state="pending").count(),
        TaskEvent.objects.count(),
        Plan.objects.filter(pk=task.plan_id).values().get(),
        Notification.objects.filter(read_at__isnull=False).count(),
    )


@pytest.mark.parametrize("who", ["anonymous", "official", "city_leader", "admin"])
def test_every_page_refuses_a_post_without_the_csrf_token(world, scene, who):
    task, ids, notification = scene
    client = Client(enforce_csrf_checks=True)
    if who != "anonymous":
        client.force_login(getattr(world, who))
    before = snapshot(task)
    urls = concrete_urls(ids) + [f"/notifications/{notification.pk}/read/"]
    assert len(urls) > 30  # the walk really found the site's pages
    for url in urls:
        response = client.post(url, {"reason": "x", "progress": "50", "title": "Đổi", "language": "en"})
        assert response.status_code == 403, (url, response.status_code)
        assert response.context and response.context.get("csrf") is True, url  # the CSRF page, not a 403
    assert snapshot(task) == before


def test_the_api_with_a_session_cookie_needs_the_csrf_token_too(world, scene):
    """A browser session reaching the API (the Swagger page, a script) gets no CSRF exemption; a token
    (Authorization header) is not sent by the browser on its own, so it needs none."""
    task, ids, _n = scene
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.city_leader)
    before = snapshot(task)
    for url, body in (
        (f"/api/tasks/{task.pk}/cancel/", {"reason": "x"}),
        (f"/api/plans/{task.plan_id}/close/", {}),
        ("/api/plans/", {"owner_unit": world.city.pk, "number": "9/KH", "title": "X", "year": 2026}),
    ):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 403, url
        assert "CSRF" in response.json()["detail"]
    assert snapshot(task) == before


def test_with_the_token_the_same_form_goes_through(world, scene):
    """The control: the refusals above are the CSRF check, not something else."""
    task, _ids, _n = scene
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.official)
    page = client.get(f"/tasks/{task.pk}/")
    token = page.context["csrf_token"]
    response = client.post(
        f"/tasks/{task.pk}/progress/", {"progress": "60", "csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).progress == 60


def test_signing_in_needs_the_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "official", "password": "Secret-pass-123"})
    assert response.status_code == 403
    page = client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {
            "username": "official",
            "password": "Secret-pass-123",
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
    )
    assert response.status_code == 302
