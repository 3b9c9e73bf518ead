"""Two beat processes at once (a second one started by mistake, or during a failover), and planning cycles
run again: every job runs twice as often, and still no reminder is planned or sent twice."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from config.celery import app
from notifications import services as notification_services
from notifications.models import Delivery, DeliveryState, Notification
from notifications.policy import VN_TZ
from tests.polling import wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]

PLANNED_AT = dt.datetime(2026, 12, 14, 9, 0, tzinfo=VN_TZ)  # a Monday, in the sending window


def overdue_tasks(world, n: int = 3) -> None:
    for i in range(n):
        world.task(
            "in_progress", due=dt.date(2026, 12, 1), title=f"Nhiệm vụ quá hạn {i}", lead=world.official
        )


def reminder_keys() -> list[tuple]:
    return sorted(
        Notification.objects.filter(event_id__isnull=True).values_list(
            "task_id", "recipient_id", "kind", "due_date", "offset"
        )
    )


@pytest.mark.worker
def test_two_beats_at_once_plan_and_send_each_reminder_once(world, procs, smtp):
    overdue_tasks(world)
    with app.connection_for_write() as conn:  # the tasks' own notices are not what this test is about
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    sink = smtp()
    env = {"FAULT_NOW": PLANNED_AT.isoformat(), "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}"}
    # Two workers, so that the doubled jobs really run at the same time.
    workers = [procs.worker(name, wait=False, **env) for name in ("w1", "w2")]
    for w in workers:
        w.wait_ready()
    beats = [procs.beat(name, FAULT_FAST_BEAT=1) for name in ("beat-a", "beat-b")]

    def every_beat_planned_three_times():
        """both beats sent the planning job three times or more"""
        return all(b.output().count("(notifications.plan_reminders)") >= 3 for b in beats)

    def all_sent():
        """the six reminders are planned and sent"""
        return (
            Notification.objects.filter(event_id__isnull=True).count() == 6
            and Delivery.objects.filter(channel="email", state=DeliveryState.SENT).count() == 6
        )

    wait_for(every_beat_planned_three_times, timeout=60, every=0.2)
    wait_for(all_sent, timeout=30, every=0.2)
    for b in beats:
        b.stop()
    ran = sum(w.output().count("Task notifications.plan_reminders[") for w in workers)
    assert ran >= 12  # received and succeeded lines: six or more planning runs in all
    ids = {f"<notification-{pk}@127.0.0.1>" for pk in Notification.objects.values_list("pk", flat=True)}
    counts = sink.counts()
    assert set(counts) == ids
    assert set(counts.values()) == {1}, counts  # no reminder sent twice
    assert len(reminder_keys()) == len(set(reminder_keys())) == 6


def test_a_planning_cycle_run_again_plans_nothing_new(world):
    overdue_tasks(world)
    first = notification_services.reminders_plan(now=PLANNED_AT)
    assert len(first.created) == 6
    keys = reminder_keys()
    # Again at the same moment, a little later, and through the command (a cron and the beat both running).
    assert notification_services.reminders_plan(now=PLANNED_AT).created == []
    assert notification_services.reminders_plan(now=PLANNED_AT + dt.timedelta(minutes=15)).created == []
    out = io.StringIO()
    call_command("remind", "--at", (PLANNED_AT + dt.timedelta(hours=1)).isoformat(), stdout=out)
    assert reminder_keys() == keys
    assert Delivery.objects.count() == 6


def test_planning_cycles_running_at_the_same_moment_plan_each_reminder_once(world):
    overdue_tasks(world, n=6)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def cycle():
        try:
            barrier.wait(10)
            results.append(len(notification_services.reminders_plan(now=PLANNED_AT).created))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cycle) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(results) == 12  # six tasks × (overdue to the lead, escalation to the city's leader)
    assert len(reminder_keys()) == 12
    assert Delivery.objects.count() == 12
