"""Property-based tests of every API endpoint from the OpenAPI schema (schemathesis), in-process against
the WSGI application, signed in as an official and as a leader: whatever the input, no answer is a server
error, and every answer matches the schema (status code, content type and body).

The generated path ids are mostly mapped onto real rows of a populated world (tasks in every state, their
evidence and extension requests, plans, units, a scored criteria set, notifications), so the requests
reach real objects, not only 404s. The run is deterministic (`derandomize`) and bounded:
SCHEMATHESIS_EXAMPLES examples per endpoint and role (default 20); SCHEMATHESIS_COVERAGE=1 adds
schemathesis's coverage phase."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from criteria.models import CriteriaSet
from criteria.services import criteria_set_import
from notifications.models import Notification
from org.models import Unit, User
from plans.models import Plan
from scoring.services import scores_recompute
from tasks import services
from tasks.models import Evidence, Extension, Task
from tests.factories import World, bound_plan, drive, pdf_file

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))
# The coverage phase (every boundary and every wrong type the schema implies, for every parameter) takes
# minutes: run it with SCHEMATHESIS_COVERAGE=1 (docs/reliability.md); `make test` fuzzes.
schema.config.phases.coverage.enabled = bool(os.environ.get("SCHEMATHESIS_COVERAGE"))

SET = """
code: FUZZ-2026
name: Bộ tiêu chí cho kiểm thử
year: 2026
unit_kind: commune
period: {start: 2025-12-15, end: 2026-12-14}
criteria:
  - code: "1"
    title: Chỉ đạo
    max: 60
    children:
      - {code: "1.1", title: Kế hoạch, max: 30, rule: {type: task_on_time}}
      - {code: "1.2", title: Số liệu, max: 30, rule: {type: metric_proportional, target: 80}}
  - code: "2"
    title: Điều tra
    max: 40
    part: survey
    children:
      - {code: "2.1", title: Hài lòng, max: 40, rule: {type: survey}}
"""


@pytest.fixture(scope="module")
def fuzz_media(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-media")


@pytest.fixture(autouse=True)
def _media_root(settings, fuzz_media):
    """One media folder for the module: the world's evidence files are made once, for every test."""
    settings.MEDIA_ROOT = fuzz_media


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker, fuzz_media):
    """Made once for the module, inside a transaction rolled back at its end (each test then runs in a
    savepoint of it): tasks in every state on a plan bound to a scored criteria set, with evidence, an
    extension request and notifications for both roles."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=fuzz_media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ),
        transaction.atomic(),
    ):
        world = World()
        cs = criteria_set_import(data=SET)
        plan = bound_plan(world, cs, number="77/KH-UBND")
        steps = {
            "draft": [],
            "in_progress": ["assign", "start"],
            "submitted": ["assign", "start", "evidence", "submit"],
            "approved": ["assign", "start", "evidence", "submit", "approve"],
            "returned": ["assign", "start", "evidence", "submit", "return"],
            "cancelled": ["cancel"],
        }
        for state, path in steps.items():
            task = services.task_create(
                actor=world.city_leader,
                plan=plan,
                title=f"Nhiệm vụ {state}",
                assignee_unit=world.commune,
                due_date=dt.date(2026, 12, 10),
                criterion_code="1.2",
            )
            drive(task, path, leader=world.city_leader, member=world.official, metric_value=90)
        open_task = Task.objects.get(title="Nhiệm vụ in_progress")
        services.evidence_add(actor=world.official, task=open_task, file=pdf_file(), doc_number="1/BC")
        services.extension_request(
            actor=world.official,
            task=open_task,
            requested_due_date=dt.date(2026, 12, 30),
            reason="Chờ số liệu",
        )
        for user in (world.official, world.city_leader):
            Notification.objects.create(
                recipient=user,
                kind="assigned",
                task=open_task,
                plan=plan,
                title="Được giao",
                event_id=user.pk,
            )
        scores_recompute(criteria_set=cs)
        world.tokens = {
            role: Token.objects.get_or_create(user=getattr(world, role))[0].key
            for role in ("official", "city_leader")
        }
        world.pools = pools()
        yield world
        transaction.set_rollback(True)


def pools() -> dict[str, list[int]]:
    def ids(qs):
        return list(qs.order_by("pk").values_list("pk", flat=True))

    return {
        "tasks": ids(Task.objects),
        "evidence": ids(Evidence.objects),
        "extensions": ids(Extension.objects),
        "plans": ids(Plan.objects),
        "units": ids(Unit.objects),
        "users": ids(User.objects),
        "notifications": ids(Notification.objects),
        "criteria-sets": ids(CriteriaSet.objects),
    }


def resource(path: str, name: str) -> str:
    if name == "task_pk":
        return "tasks"
    if name == "unit_id":
        return "units"
    if "/evidence/" in path:
        return "evidence"
    if "/extensions/" in path:
        return "extensions"
    return path.split("/")[2]


def onto_real_rows(case, pool: dict[str, list[int]]) -> None:
    """Three generated ids in four become the id of a real row of the right kind; the rest stay as
    generated (ids that exist nowhere, negative, huge)."""
    for name, value in list((case.path_parameters or {}).items()):
        ids = pool.get(resource(case.operation.path, name))
        if isinstance(value, int) and ids and value % 4:
            case.path_parameters[name] = ids[value % len(ids)]


@pytest.fixture
def in_process_requests():
    """Requests run in the test's transaction: Django must not close the connection at their end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["official", "city_leader"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_fails_and_always_answers_as_documented(case, role, fuzz_world, in_process_requests):
    onto_real_rows(case, fuzz_world.pools)
    case.call_and_validate(
        headers={"Authorization": f"Token {fuzz_world.tokens[role]}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
