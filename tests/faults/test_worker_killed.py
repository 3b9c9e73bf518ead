"""A Celery worker killed with SIGKILL in the middle of its work, then started again: every reminder is
delivered exactly once, and the scores equal a full recompute."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from config.celery import app
from criteria.models import CriteriaSet
from notifications import services as notification_services
from notifications.models import Delivery, DeliveryState, Notification
from notifications.policy import VN_TZ
from org.models import Unit, UnitKind
from scoring import services as scoring_services
from scoring.models import UnitScore
from tests import factories
from tests.factories import bound_plan, drive
from tests.polling import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# A Monday at 09:00 in Hà Nội: inside the reminders' sending window.
PLANNED_AT = dt.datetime(2026, 12, 14, 9, 0, tzinfo=VN_TZ)


def overdue_reminders(world) -> list[Notification]:
    """Two tasks due 1/12/2026, still in progress on 14/12: each owes an overdue reminder to the commune's
    two officials and an escalation to the city's leader, by email."""
    for title in ("Rà soát thủ tục hành chính", "Niêm yết công khai"):
        world.task("in_progress", due=dt.date(2026, 12, 1), title=title)
    purge_queue()  # the tasks' own notices (assigned) are not what this test is about
    notification_services.reminders_plan(now=PLANNED_AT)
    reminders = list(Notification.objects.filter(event_id__isnull=True).order_by("id"))
    assert len(reminders) == 6
    assert Delivery.objects.filter(channel="email", state=DeliveryState.PENDING).count() == 6
    return reminders


def purge_queue() -> None:
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)


def message_ids(notifications) -> set[str]:
    return {f"<notification-{n.pk}@127.0.0.1>" for n in notifications}


def test_a_worker_killed_while_sending_reminders_delivers_each_exactly_once_after_restart(world, procs, smtp):
    reminders = overdue_reminders(world)
    sink = smtp(hold_at=3)  # the SMTP server holds the 3rd message: the worker waits for its answer
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{sink.port}"}

    first = procs.worker("w1", FAULT_NOW=(PLANNED_AT + dt.timedelta(minutes=1)).isoformat(), **env)
    app.send_task("notifications.deliver")
    wait_for(sink.holding.is_set, timeout=30, what="the worker is sending the 3rd reminder")
    first.kill()
    sink.discard()  # the client is gone before the server answered: that message was never accepted

    assert len(sink.accepted) == 2
    stranded = Delivery.objects.filter(state=DeliveryState.SENDING).count()
    assert stranded == 4  # claimed by the dead worker: the held one and the three after it

    # Started again later (the sweeper re-queues rows abandoned in `sending` for 15 minutes), as the beat
    # schedule runs it: the sweep, then delivery.
    procs.worker("w2", FAULT_NOW=(PLANNED_AT + dt.timedelta(minutes=20)).isoformat(), **env)
    app.send_task("notifications.requeue_stuck")
    app.send_task("notifications.deliver")

    def all_sent():
        """every email delivery is marked sent"""
        return Delivery.objects.filter(channel="email", state=DeliveryState.SENT).count() == 6

    wait_for(all_sent, timeout=30)
    counts = sink.counts()
    assert set(counts) == message_ids(reminders)
    assert set(counts.values()) == {1}, counts  # none twice
    assert not Delivery.objects.exclude(state=DeliveryState.SENT).exists()


# --- a score recompute killed -------------------------------------------------------------------------------

SET = """
code: FAULT-2026
name: Bộ tiêu chí thử lỗi
year: 2026
unit_kind: commune
period: {start: 2025-12-15, end: 2026-12-14}
criteria:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 60
    children:
      - {code: "1.1", title: Kế hoạch đúng hạn, max: 30, rule: {type: task_on_time}}
      - {code: "1.2", title: Chất lượng báo cáo, max: 30, rule: {type: manual}}
  - code: "2"
    title: Điều tra xã hội học
    max: 40
    part: survey
    children:
      - {code: "2.1", title: Hài lòng, max: 40, rule: {type: survey}}
"""


def scores() -> dict:
    return scoring_services.score_snapshot(CriteriaSet.objects.get(code="FAULT-2026"))


def test_a_worker_killed_in_the_middle_of_a_recompute_leaves_scores_equal_to_a_full_recompute(world, procs):
    cs = factories.criteria_set_from(SET)
    communes = [world.commune, world.other_commune, world.elsewhere_commune]
    communes += [factories.unit(f"XF{i:02d}", kind=UnitKind.COMMUNE, parent=world.city) for i in range(9)]
    plan = bound_plan(world, cs)
    linked = factories.task_services.task_create(
        actor=world.city_leader,
        plan=plan,
        title="Kế hoạch CCHC năm",
        assignee_unit=world.commune,
        due_date=timezone.localdate() + dt.timedelta(days=10),  # approved today: on time
        criterion_code="1.1",
    )
    scoring_services.scores_recompute(criteria_set=cs)
    before = scores()

    # What changes the scores: an approved linked task, appraisals and survey points for every commune.
    drive(
        linked,
        ["assign", "start", "evidence", "submit", "approve"],
        leader=world.city_leader,
        member=world.official,
    )
    appraiser = factories.user("appraiser", memberships=[(world.province, "appraiser")])
    for i, unit in enumerate(Unit.objects.filter(kind=UnitKind.COMMUNE).order_by("pk")):
        scoring_services.appraisal_set(
            actor=appraiser, criteria_set=cs, unit=unit, code="1.2", points=Decimal(5 + i)
        )
    purge_queue()  # only the full recompute below

    # Batches of 4 units; the 2nd batch never finishes: the worker is killed inside it.
    first = procs.worker(
        "w1", FAULT_SCORING_BATCH=4, FAULT_HOLD_RECOMPUTE_BATCH=2, CELERY_VISIBILITY_TIMEOUT=5
    )
    app.send_task("scoring.recompute_set", args=[cs.pk])
    wait_for((procs.signal_dir / "recompute-held").exists, timeout=30, what="the 2nd batch has started")
    first.kill()
    halfway = scores()
    assert halfway != before  # the 1st batch was committed …

    # … and the message, taken but never acknowledged, goes back to the queue once its visibility timeout
    # (5 s here, an hour in production) has passed: a worker started then takes it again.
    held_at = time.monotonic()
    wait_for(lambda: time.monotonic() - held_at > 6, timeout=10, what="the visibility timeout has passed")
    second = procs.worker("w2", FAULT_SCORING_BATCH=4, CELERY_VISIBILITY_TIMEOUT=5)

    def recomputed():
        """the restarted worker ran the recompute to its end"""
        return "scoring.recompute_set" in second.output() and " succeeded in " in second.output()

    wait_for(recomputed, timeout=60, every=0.2)
    assert UnitScore.objects.filter(criteria_set=cs).count() == len(communes)
    assert _all_appraised(cs)
    after = scores()
    assert after != halfway
    scoring_services.scores_recompute(criteria_set=cs)
    assert scores() == after  # a full recompute changes nothing


def _all_appraised(cs) -> bool:
    from scoring.models import Appraisal, LeafScore

    appraised = dict(Appraisal.objects.filter(criteria_set=cs).values_list("unit_id", "points"))
    leaf = dict(
        LeafScore.objects.filter(criteria_set=cs, criterion__code="1.2").values_list("unit_id", "points")
    )
    return bool(appraised) and all(leaf.get(u) == p for u, p in appraised.items())
