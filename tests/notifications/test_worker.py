"""Integration with a real Celery worker thread against Redis: assigning a task produces the in-app notice
and the email through the worker (outbox → receiver → broker → worker → ledger → delivery job)."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections

from config.celery import app
from notifications.models import Delivery, Notification
from tasks import services as task_services
from tests.polling import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _close_db(**kwargs):
    # The worker thread's connections must not outlive the test (the test database is dropped later).
    connections.close_all()


def test_assigned_task_notice_and_email_through_a_real_worker(world):
    task = task_services.task_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Niêm yết TTHC tại bộ phận một cửa",
        assignee_unit=world.commune,
        due_date=dt.date(2026, 12, 15),
        lead=world.official,
    )
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)  # nothing left from other runs
    task_postrun.connect(_close_db, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            task_services.task_assign(actor=world.city_leader, task=task)

            def notice():
                """the assigned notice is in the ledger"""
                return Notification.objects.filter(task=task, kind="assigned").first()

            n = wait_for(notice, timeout=30)

            def mailed():
                """the email went out and its delivery is marked sent"""
                return mail.outbox and Delivery.objects.filter(notification=n, state="sent").exists()

            wait_for(mailed, timeout=30)
    finally:
        task_postrun.disconnect(_close_db)
        connections.close_all()
    assert n.recipient == world.official
    assert n.title == "Nhiệm vụ mới được giao: Niêm yết TTHC tại bộ phận một cửa"
    assert [m.to for m in mail.outbox] == [["official@example.vn"]]
    assert mail.outbox[0].subject == n.title
