"""Two people acting on one task at the same moment, each in their own request and database connection:
exactly one wins, the other is told of the conflict (409), and the task and its history stay consistent."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from tasks import services
from tasks.models import Extension, Task, TaskEvent
from tests import factories

# The tasks' due date: these tests are about the dates of extension requests, not about today.
DUE = dt.date(2026, 12, 15)

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls in threads started together; return their results in order. Each thread uses (and
    closes) its own database connection, as two web workers would."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = fn()
        except BaseException as exc:  # reported by the test, not lost in the thread
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a request hung"
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def client_for(user):
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_concurrent_approve_and_return_one_wins(world):
    task = world.task("submitted", due=DUE)
    second_leader = factories.user("deputy", memberships=[(world.city, "leader")])
    a, b = client_for(world.city_leader), client_for(second_leader)
    url = f"/api/tasks/{task.pk}"

    r_approve, r_return = race(
        lambda: a.post(f"{url}/approve/", {}, format="json"),
        lambda: b.post(f"{url}/return/", {"reason": "Thiếu số liệu"}, format="json"),
    )

    codes = sorted([r_approve.status_code, r_return.status_code])
    assert codes == [200, 409], (r_approve.content, r_return.content)
    winner = "approve" if r_approve.status_code == 200 else "return"
    loser = r_return if winner == "approve" else r_approve
    assert "detail" in loser.json()
    task = Task.objects.get(pk=task.pk)
    assert task.state == {"approve": "approved", "return": "returned"}[winner]
    assert (task.approved_at is not None) == (winner == "approve")
    decisions = TaskEvent.objects.filter(task=task, action__in=["approve", "return"])
    assert [(e.action, e.from_state, e.to_state) for e in decisions] == [(winner, "submitted", task.state)]
    # The loser sees the winner's result when they reload.
    assert a.get(f"{url}/").json()["state"] == task.state


def test_concurrent_identical_approvals_one_wins(world):
    task = world.task("submitted", due=DUE)
    second_leader = factories.user("deputy", memberships=[(world.city, "leader")])
    a, b = client_for(world.city_leader), client_for(second_leader)
    r1, r2 = race(
        lambda: a.post(f"/api/tasks/{task.pk}/approve/", {}, format="json"),
        lambda: b.post(f"/api/tasks/{task.pk}/approve/", {}, format="json"),
    )
    assert sorted([r1.status_code, r2.status_code]) == [200, 409]
    assert TaskEvent.objects.filter(task=task, action="approve").count() == 1
    assert Task.objects.get(pk=task.pk).state == "approved"


def test_concurrent_extension_decisions_one_wins(world):
    task = world.task("in_progress", due=DUE)
    ext = services.extension_request(
        actor=world.official, task=task, requested_due_date=dt.date(2026, 12, 30), reason="Chờ số liệu"
    )
    second_leader = factories.user("deputy", memberships=[(world.city, "leader")])
    a, b = client_for(world.city_leader), client_for(second_leader)
    url = f"/api/tasks/{task.pk}/extensions/{ext.pk}"

    r_ok, r_no = race(
        lambda: a.post(f"{url}/approve/", {}, format="json"),
        lambda: b.post(f"{url}/reject/", {"reason": "Không đủ căn cứ"}, format="json"),
    )

    assert sorted([r_ok.status_code, r_no.status_code]) == [200, 409], (r_ok.content, r_no.content)
    approved = r_ok.status_code == 200
    ext = Extension.objects.get(pk=ext.pk)
    task = Task.objects.get(pk=task.pk)
    assert ext.state == ("approved" if approved else "rejected")
    assert ext.decided_by == (world.city_leader if approved else second_leader)
    # The due date moved only if the approval won.
    assert task.due_date == (dt.date(2026, 12, 30) if approved else dt.date(2026, 12, 15))
    assert TaskEvent.objects.filter(task=task, action="extension_decided").count() == 1


def test_concurrent_extension_requests_leave_one_pending(world):
    task = world.task("in_progress", due=DUE)
    a, b = client_for(world.official), client_for(world.colleague)
    url = f"/api/tasks/{task.pk}/extensions/"
    r1, r2 = race(
        lambda: a.post(url, {"requested_due_date": "2026-12-28", "reason": "Lý do 1"}, format="json"),
        lambda: b.post(url, {"requested_due_date": "2026-12-29", "reason": "Lý do 2"}, format="json"),
    )
    assert sorted([r1.status_code, r2.status_code]) == [201, 409]
    assert Extension.objects.filter(task=task, state="pending").count() == 1
    assert TaskEvent.objects.filter(task=task, action="extension_requested").count() == 1
