"""The PostgreSQL connection dropped in the middle of a request (the server restarted, a proxy cut it): the
user gets a clean error, and nothing is half-written: no task state change, no evidence row, no stored
file, no history row, no outbox row."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from tasks import services
from tasks.models import Evidence, Outbox, Task, TaskEvent
from tasks.services import evidence, transitions
from tests.factories import pdf_file

from .procs import worker_database_url

pytestmark = [pytest.mark.django_db(transaction=True)]


def drop_my_connection() -> None:
    """Terminate this process's PostgreSQL backend from another connection, as a server restart does."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(worker_database_url(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def cut_in(monkeypatch):
    """`cut_in(transitions, "_log")`: the connection drops when a service of that module (of tasks.services)
    reaches that step (after its first writes)."""

    def install(module, name: str):
        original = getattr(module, name)

        def cut(*args, **kwargs):
            drop_my_connection()
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, cut)

    return install


def state_of(task: Task, settings) -> tuple:
    media = settings.MEDIA_ROOT
    files = sorted(p.name for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return (
        Task.objects.filter(pk=task.pk).values("state", "progress", "metric_value", "approved_at").get(),
        list(Evidence.objects.filter(task=task).values_list("pk", flat=True)),
        TaskEvent.objects.filter(task=task).count(),
        Outbox.objects.count(),
        files,
    )


def test_dropped_while_approving_answers_503_and_the_task_is_unchanged(world, api, cut_in, settings):
    task = world.task("submitted")
    client = api.as_(world.city_leader)
    before = state_of(task, settings)
    cut_in(transitions, "_log")  # the task row is saved, its history row not yet
    response = client.post(f"/api/tasks/{task.pk}/approve/", {}, format="json")
    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; nothing was changed. Try again."}
    assert state_of(task, settings) == before
    # The next request gets a new connection and works.
    monkey_free = api.as_(world.city_leader).get(f"/api/tasks/{task.pk}/")
    assert monkey_free.status_code == 200 and monkey_free.json()["state"] == "submitted"


def test_dropped_while_adding_evidence_answers_503_and_nothing_is_stored(world, api, cut_in, settings):
    task = world.task("in_progress")
    client = api.as_(world.official)
    before = state_of(task, settings)
    cut_in(evidence, "_refresh_metric")  # the evidence row and the file are written, the rest not yet
    response = client.post(
        f"/api/tasks/{task.pk}/evidence/",
        {"file": pdf_file(), "doc_number": "01/BC", "metric_value": "97.5"},
        format="multipart",
    )
    assert response.status_code == 503
    assert "database" in response.json()["detail"]
    assert state_of(task, settings) == before  # no evidence row, no file on disk, no history


def test_dropped_while_submitting_on_the_page_shows_an_error_page_and_writes_nothing(
    world, client, cut_in, settings
):
    task = world.task("in_progress")
    services.evidence_add(actor=world.official, task=task, file=pdf_file())
    before = state_of(task, settings)
    client.force_login(world.official)
    cut_in(transitions, "_log")
    response = client.post(f"/tasks/{task.pk}/submit/", {"submit-reason": ""})
    assert response.status_code == 503
    assert b"Traceback" not in response.content
    assert state_of(task, settings) == before
