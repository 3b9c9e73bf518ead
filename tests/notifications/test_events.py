"""Notices sent at once for task events: who gets them, what they say, exactly once per event, and a
receiver that only queues (and raises when it cannot, so the outbox retries)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from notifications import services
from notifications.models import Delivery, Notification
from notifications.tasks import notices_for_event_job
from tasks import services as task_services
from tasks.events import outbox_dispatch_pending
from tasks.models import Outbox
from tests.factories import pdf_file

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 12, 15)


@pytest.fixture
def queue(monkeypatch, django_capture_on_commit_callbacks):
    """Stand in for the broker: record what the receiver queues; `queue.run()` runs the queued jobs the
    way a worker would (the job's body, called directly: no eager mode)."""

    class Queue(list):
        broken = False

        def delay(self, *args):
            if self.broken:
                raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
            self.append(args)

        def run(self):
            jobs = list(self)
            self.clear()
            for args in jobs:
                notices_for_event_job.run(*args)
            return jobs

        def act(self, fn, **kw):
            with django_capture_on_commit_callbacks(execute=True):
                result = fn(**kw)
            return result

    q = Queue()
    monkeypatch.setattr(notices_for_event_job, "delay", q.delay)
    return q


def notices(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_assigned_goes_to_the_lead_and_is_emailed(world, queue):
    task = task_services.task_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Rà soát TTHC",
        assignee_unit=world.commune,
        due_date=DUE,
        lead=world.official,
    )
    queue.act(task_services.task_assign, actor=world.city_leader, task=task)
    assert len(queue) == 1  # queued, not done inline
    assert Notification.objects.count() == 0
    queue.run()
    assert notices("assigned") == ["official"]
    n = Notification.objects.get()
    assert n.title == "Nhiệm vụ mới được giao: Rà soát TTHC"
    assert "Hạn hoàn thành: 15/12/2026" in n.body and "Người giao: Leader" in n.body
    services.deliveries_send()
    assert [m.to for m in mail.outbox] == [["official@example.vn"]]


def test_without_a_lead_every_official_of_the_assignee_unit(world, queue):
    task = task_services.task_create(
        actor=world.city_leader, plan=world.plan, title="Việc", assignee_unit=world.commune, due_date=DUE
    )
    queue.act(task_services.task_assign, actor=world.city_leader, task=task)
    queue.run()
    assert notices("assigned") == ["colleague", "official"]


def test_submitted_and_returned_and_approved(world, queue):
    task = world.task("in_progress", due=DUE, lead=world.official)
    task_services.evidence_add(actor=world.official, task=task, file=pdf_file(), doc_number="01/BC")
    queue.act(task_services.task_submit, actor=world.official, task=task)
    queue.run()
    assert notices("submitted") == ["leader"]  # the plan's owner unit's leaders
    queue.act(task_services.task_return, actor=world.city_leader, task=task, reason="Thiếu phụ lục số liệu")
    queue.run()
    assert notices("returned") == ["official"]
    returned = Notification.objects.get(kind="returned")
    assert returned.title == "Nhiệm vụ bị trả lại: Rà soát TTHC"
    assert "Lý do, ý kiến: Thiếu phụ lục số liệu" in returned.body
    queue.act(task_services.task_submit, actor=world.official, task=task)
    queue.act(task_services.task_approve, actor=world.city_leader, task=task)
    queue.run()
    assert notices("submitted") == ["leader", "leader"]  # two submissions, two events
    assert notices("approved") == ["official"]


def test_extension_asked_and_decided(world, queue):
    task = world.task("in_progress", due=DUE, lead=world.official)
    ext = queue.act(
        task_services.extension_request,
        actor=world.official,
        task=task,
        requested_due_date=dt.date(2026, 12, 31),
        reason="Chờ số liệu quý IV",
    )
    queue.run()
    assert notices("extension_requested") == ["leader"]
    asked = Notification.objects.get(kind="extension_requested")
    assert "Hạn đề nghị: 31/12/2026" in asked.body and "Chờ số liệu quý IV" in asked.body
    queue.act(task_services.extension_decide, actor=world.city_leader, extension=ext, approve=True)
    queue.run()
    decided = Notification.objects.get(kind="extension_decided")
    assert decided.recipient == world.official
    assert decided.title == "Đề nghị gia hạn được chấp thuận: Rà soát TTHC"
    assert "Hạn mới: 31/12/2026" in decided.body


def test_the_actor_is_not_told_what_they_did(world, queue):
    from org.services import membership_add

    # An official of the commune who is also a leader of the city submits: the other leaders are told.
    membership_add(user=world.official, unit=world.city, role="leader")
    task = world.task("in_progress", due=DUE, lead=world.official)
    task_services.evidence_add(actor=world.official, task=task, file=pdf_file(), doc_number="01/BC")
    queue.act(task_services.task_submit, actor=world.official, task=task)
    queue.run()
    assert notices("submitted") == ["leader"]


def test_a_redelivered_event_makes_no_second_notice(world, queue):
    task = task_services.task_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Việc",
        assignee_unit=world.commune,
        due_date=DUE,
        lead=world.official,
    )
    queue.act(task_services.task_assign, actor=world.city_leader, task=task)
    (job,) = list(queue)
    queue.run()
    notices_for_event_job.run(*job)  # the broker redelivers it (acks_late after a crash)
    notices_for_event_job.run(*job)
    assert Notification.objects.count() == 1 and Delivery.objects.count() == 1
    services.deliveries_send()
    services.deliveries_send()
    assert len(mail.outbox) == 1


def test_only_notice_events_are_queued(world, queue):
    task = queue.act(
        task_services.task_create,
        actor=world.city_leader,
        plan=world.plan,
        title="Việc",
        assignee_unit=world.commune,
        due_date=DUE,
    )
    queue.act(task_services.task_update, actor=world.city_leader, task=task, title="Việc mới")
    assert list(queue) == []


def test_broker_down_the_outbox_keeps_the_event_and_sends_it_later(world, queue):
    task = task_services.task_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Việc",
        assignee_unit=world.commune,
        due_date=DUE,
        lead=world.official,
    )
    Outbox.objects.all().delete()
    queue.broken = True
    queue.act(task_services.task_assign, actor=world.city_leader, task=task)
    assert list(queue) == []
    kept = Outbox.objects.get()
    assert kept.payload["action"] == "assign" and kept.attempts == 1
    queue.broken = False
    Outbox.objects.filter(pk=kept.pk).update(created_at=kept.created_at - dt.timedelta(minutes=5))
    assert outbox_dispatch_pending() == 1
    queue.run()
    assert notices("assigned") == ["official"]
    assert Notification.objects.get().event_id == kept.pk


def test_the_beat_schedule_scans_rather_than_parking_reminders_in_the_broker():
    from celery.schedules import crontab

    from config.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["notifications-plan-reminders"]["schedule"] == crontab(minute="*/15")
    assert schedule["notifications-plan-reminders"]["task"] == "notifications.plan_reminders"
    assert schedule["notifications-deliver"]["schedule"] == 60.0
    assert schedule["notifications-requeue-stuck"]["schedule"] == 300.0
    assert schedule["notifications-digests"]["schedule"] == crontab(hour=7, minute=30)
    for entry in schedule.values():
        assert "eta" not in entry.get("options", {}) and "countdown" not in entry.get("options", {})


def test_remind_refuses_a_moment_it_cannot_read():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="ISO"):
        call_command("remind", "--at", "mai 8 giờ")


def test_remind_reads_a_bare_date_as_that_days_8_oclock_cycle():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("remind", "--at", "2026-12-07", "--dry-run", stdout=out)
    assert "Cycle at 2026-12-07 08:00" in out.getvalue()
    out = StringIO()
    call_command("remind", "--at", "2026-12-07T09:30", "--dry-run", stdout=out)
    assert "Cycle at 2026-12-07 09:30" in out.getvalue()


def test_a_bulk_approval_and_return_tell_each_tasks_people_as_the_single_steps_do(world, queue):
    """The approval inbox's bulk decisions write one event per task (in one insert): each task's people
    get the notice one approval or one return gives, with the one reason."""
    approved = [world.task("submitted", due=DUE, lead=world.official, title=f"Duyệt {i}") for i in range(2)]
    returned = world.task("submitted", due=DUE, lead=world.colleague, title="Trả lại")
    queue.run()
    earlier = list(Outbox.objects.values_list("pk", flat=True))  # the set-up's, never dispatched here
    queue.act(task_services.tasks_approve_bulk, actor=world.city_leader, task_ids=[t.pk for t in approved])
    queue.act(
        task_services.tasks_return_bulk,
        actor=world.city_leader,
        task_ids=[returned.pk],
        reason="Thiếu phụ lục",
    )
    assert len(queue) == 3  # one job per task, as for three single steps
    queue.run()
    assert sorted(
        Notification.objects.filter(kind="approved").values_list("task__title", "recipient__username")
    ) == [
        ("Duyệt 0", "official"),
        ("Duyệt 1", "official"),
    ]
    notice = Notification.objects.get(kind="returned")
    assert notice.recipient == world.colleague and "Lý do, ý kiến: Thiếu phụ lục" in notice.body
    # Every event of the bulk calls delivered, none left for the beat to resend.
    assert not Outbox.objects.exclude(pk__in=earlier).exists()
