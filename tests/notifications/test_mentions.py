"""The "mentioned" notice: an `@username` in a comment tells exactly the people named who can see the task,
once, whatever is retried (the ledger's key is the comment's event), in the app and by e-mail as each
recipient chose."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications import services
from notifications.models import Delivery, EmailMode, Notification
from notifications.tasks import notices_for_event_job
from notifications.texts import in_app_summary
from tasks import services as task_services
from tasks.events import TaskChange, dispatch
from tasks.models import Outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(monkeypatch, django_capture_on_commit_callbacks):
    """Stand in for the broker: record what the receiver queues; `queue.run()` runs the jobs the way a
    worker would (the job's body, called directly: no eager mode)."""

    class Queue(list):
        def delay(self, *args):
            self.append(args)

        def run(self):
            jobs = list(self)
            self.clear()
            for args in jobs:
                notices_for_event_job.run(*args)
            return jobs

        def act(self, fn, **kw):
            with django_capture_on_commit_callbacks(execute=True):
                return fn(**kw)

    q = Queue()
    monkeypatch.setattr(notices_for_event_job, "delay", q.delay)
    return q


def comment(queue, actor, task, body):
    return queue.act(task_services.task_comment_add, actor=actor, task=task, body=body)


def mentioned():
    return sorted(Notification.objects.filter(kind="mentioned").values_list("recipient__username", flat=True))


def test_the_people_named_who_see_the_task_are_told_and_nobody_else(world, queue):
    task = world.task("in_progress", title="Rà soát TTHC")
    queue.clear()
    comment(queue, world.official, task, "@leader @colleague @stranger @other xin cho ý kiến")
    assert len(queue) == 1 and mentioned() == []  # queued, not done inline
    queue.run()
    assert mentioned() == ["colleague", "leader"]
    n = Notification.objects.get(kind="mentioned", recipient=world.city_leader)
    assert n.task_id == task.pk and n.plan_id == task.plan_id
    assert n.title == "Official nhắc đến bạn trong ý kiến trao đổi: Rà soát TTHC"
    summary = in_app_summary(n.body, about_task=True)
    assert summary.splitlines()[-1] == "Ý kiến: “@leader @colleague @stranger @other xin cho ý kiến”"
    assert "http" not in summary and "http" in n.body  # the e-mail has the link, the app its button
    assert n.get_kind_display() == "Được nhắc đến trong ý kiến"


def test_a_retried_job_or_a_redelivered_event_tells_no_one_twice(world, queue):
    task = world.task("in_progress")
    queue.clear()
    comment(queue, world.official, task, "@leader")
    (job,) = list(queue)
    queue.run()
    # The broker redelivers the job (acks_late after a crash), the outbox sends the event again (another
    # receiver failed): the same event id each time.
    assert notices_for_event_job.run(*job) == 0
    assert services.notices_for_event(change=TaskChange.from_dict(job[1], job[0])) == []
    assert mentioned() == ["leader"]
    assert Delivery.objects.filter(notification__kind="mentioned").count() == 1
    services.deliveries_send()
    services.deliveries_send()
    assert [m.to for m in mail.outbox] == [["leader@example.vn"]]
    assert "Official nhắc đến bạn" in mail.outbox[0].subject


def test_the_outbox_keeps_the_event_when_the_broker_is_down_and_it_notifies_later(world, queue, monkeypatch):
    from kombu.exceptions import OperationalError

    task = world.task("in_progress")
    queue.clear()
    Outbox.objects.all().delete()

    def broken(*args):
        raise OperationalError("Connection refused.")

    monkeypatch.setattr(notices_for_event_job, "delay", broken)
    comment(queue, world.official, task, "@leader")
    kept = Outbox.objects.get()
    assert kept.payload["action"] == "comment" and kept.attempts == 1
    monkeypatch.setattr(notices_for_event_job, "delay", queue.delay)
    assert dispatch(kept.pk)
    queue.run()
    assert mentioned() == ["leader"]
    assert Notification.objects.get(kind="mentioned").event_id == kept.pk


def test_the_author_is_not_told_of_their_own_mention(world, queue):
    task = world.task("in_progress")
    queue.clear()
    comment(queue, world.official, task, "@official tự nhắc, @leader")
    queue.run()
    assert mentioned() == ["leader"]


def test_a_long_comment_is_quoted_short(world, queue):
    task = world.task("in_progress")
    queue.clear()
    comment(queue, world.official, task, "@leader " + "số liệu " * 100)
    queue.run()
    quote = in_app_summary(Notification.objects.get(kind="mentioned").body, about_task=True).splitlines()[-1]
    assert quote.startswith("Ý kiến: “@leader số liệu") and quote.endswith("…”") and len(quote) < 180


def test_a_comment_without_mentions_tells_no_one(world, queue):
    task = world.task("in_progress")
    queue.clear()
    comment(queue, world.official, task, "Đã cập nhật số liệu")
    queue.run()
    assert mentioned() == []


def test_email_follows_each_recipients_preference(world, queue):
    task = world.task("in_progress")
    services.preference_set(user=world.city_leader, email_mode=EmailMode.OFF)
    services.preference_set(user=world.colleague, email_mode=EmailMode.DIGEST)
    queue.clear()
    comment(queue, world.official, task, "@leader @colleague")
    queue.run()
    assert mentioned() == ["colleague", "leader"]  # in the app, always
    deliveries = Delivery.objects.filter(notification__kind="mentioned")
    assert list(deliveries.values_list("notification__recipient__username", "state")) == [
        ("colleague", "digest")
    ]
