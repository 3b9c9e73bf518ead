"""Redis (the Celery broker) down or restarted: nothing between a commit and the queue is lost.

Each test runs a redis-server of its own on another port, never the shared one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from config.celery import app
from notifications.models import Delivery, DeliveryState, Notification
from notifications.policy import VN_TZ
from scoring import services as scoring_services
from scoring.models import UnitScore
from tasks import events
from tasks.models import Outbox, Task, TaskState
from tests import factories
from tests.factories import bound_plan, drive
from tests.polling import wait_for

from .conftest import broker_at

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PLANNED_AT = dt.datetime(2026, 12, 14, 9, 0, tzinfo=VN_TZ)  # a Monday, in the sending window

SET = """
code: BROKER-2026
name: Bộ tiêu chí thử lỗi broker
year: 2026
unit_kind: commune
period: {start: 2025-12-15, end: 2026-12-14}
criteria:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 100
    children:
      - {code: "1.1", title: Kế hoạch đúng hạn, max: 100, rule: {type: task_on_time}}
"""


def test_an_approval_with_the_broker_down_stands_and_the_score_follows_once_it_is_back(
    world, api, procs, own_redis
):
    cs = factories.criteria_set_from(SET)
    plan = bound_plan(world, cs)
    task = factories.task_services.task_create(
        actor=world.city_leader,
        plan=plan,
        title="Kế hoạch CCHC năm 2026",
        assignee_unit=world.commune,
        due_date=timezone.localdate() + dt.timedelta(days=10),  # approved today: on time
        criterion_code="1.1",
    )
    task = drive(
        task, ["assign", "start", "evidence", "submit"], leader=world.city_leader, member=world.official
    )
    scoring_services.scores_recompute(criteria_set=cs)
    score = UnitScore.objects.get(criteria_set=cs, unit=world.commune)
    assert score.total == 0  # submitted, not approved: nothing earned yet
    Outbox.objects.all().delete()  # what the set-up announced was delivered; start from an empty outbox

    redis = own_redis()  # not started: nothing listens on its port
    with broker_at(redis.url):
        response = api.as_(world.city_leader).post(f"/api/tasks/{task.pk}/approve/", {}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "approved"
        task.refresh_from_db()
        assert task.state == TaskState.APPROVED  # the approval stands
        kept = list(Outbox.objects.values_list("payload__action", flat=True))
        assert kept == ["approve"]  # the change waits in the outbox, not in a lost broker message
        # The sweep finds the broker still down: the row stays, one attempt counted.
        assert events.outbox_dispatch_pending(older_than_seconds=0) == 0
        assert Outbox.objects.get().attempts == 2

        redis.start()
        procs.worker("w1", broker=redis.url)
        assert events.outbox_dispatch_pending(older_than_seconds=0) == 1  # the beat job's sweep
        assert not Outbox.objects.exists()

        def scored():
            """the worker recomputed the commune's score"""
            return UnitScore.objects.get(criteria_set=cs, unit=world.commune).total == 100

        wait_for(scored, timeout=30)


def test_redis_restarted_during_a_planning_cycle_loses_no_reminder_and_sends_none_twice(
    world, procs, own_redis, smtp
):
    for i in range(4):
        world.task(
            "in_progress", due=dt.date(2026, 12, 1), title=f"Nhiệm vụ quá hạn {i}", lead=world.official
        )
    redis = own_redis().start()
    sink = smtp()
    with broker_at(redis.url):
        worker = procs.worker(
            "w1",
            broker=redis.url,
            FAULT_NOW=PLANNED_AT.isoformat(),
            FAULT_PLAN_CHUNK=2,  # two chunks, two transactions
            FAULT_HOLD_PLAN=1,
            EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        )
        app.send_task("notifications.plan_reminders")
        wait_for((procs.signal_dir / "plan-held").exists, timeout=30, what="the first chunk is planned")
        assert Notification.objects.filter(event_id__isnull=True).count() > 0  # committed already

        redis.restart()  # every message in Redis is gone, the worker's connections are broken
        (procs.signal_dir / "plan-release").touch()

        # The cycle ends and queues delivery on the new Redis; the worker reconnects and sends.
        def delivered():
            """every planned reminder is planned and sent"""
            planned = Notification.objects.filter(event_id__isnull=True).count()
            sent = Delivery.objects.filter(state=DeliveryState.SENT).count()
            return planned == 8 and sent == Delivery.objects.count() == 8

        app.send_task("notifications.deliver")  # the beat's next tick, on the new Redis
        wait_for(delivered, timeout=60, every=0.2)
        assert worker.alive
        assert "Connection to broker lost" in worker.output() or "Trying to re-establish" in worker.output()

        # The next cycle (re-run after the restart) finds nothing to plan.
        app.send_task("notifications.plan_reminders")
        app.send_task("notifications.deliver")
        wait_for(lambda: worker.output().count("notifications.plan_reminders") >= 4, timeout=30)
    ids = {f"<notification-{pk}@127.0.0.1>" for pk in Notification.objects.values_list("pk", flat=True)}
    counts = sink.counts()
    assert set(counts) == ids and set(counts.values()) == {1}, counts
    assert Notification.objects.filter(event_id__isnull=True).count() == 8


def test_the_outbox_is_kept_when_the_broker_refuses_and_sent_once_it_answers(world, own_redis):
    """Without a worker: the outbox row is the only record of the change between commit and queue."""
    task = world.task("submitted")
    Outbox.objects.all().delete()
    redis = own_redis()  # not started yet: the broker refuses connections
    with broker_at(redis.url):
        factories.task_services.task_approve(actor=world.city_leader, task=task)
        assert Task.objects.get(pk=task.pk).state == TaskState.APPROVED
        assert Outbox.objects.count() == 1
        redis.start()
        assert events.outbox_dispatch_pending(older_than_seconds=0) == 1
        assert not Outbox.objects.exists()
        # The messages reached the queue: the score job and the approved notice.
        with app.connection_for_write() as conn:
            waiting = conn.default_channel.client.llen(app.conf.task_default_queue)
        assert waiting == 2
