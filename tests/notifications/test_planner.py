"""Planning reminders into the ledger (SPEC §4) against real PostgreSQL: whole sequences over real
calendars, recipients, returned tasks, downtime, and planners running twice or at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from notifications import services
from notifications.models import Delivery, Notification, ReminderPolicySetting
from notifications.services.common import _local_date
from org.models import CalendarDay
from tasks import services as task_services
from tests import factories

from .conftest import at, remind

pytestmark = pytest.mark.django_db

D = dt.date


def ledger(task=None, recipient=None):
    """(kind, offset, local day planned) in order, as a user would read the reminders over time."""
    qs = Notification.objects.filter(event_id__isnull=True)
    if task is not None:
        qs = qs.filter(task=task)
    if recipient is not None:
        qs = qs.filter(recipient=recipient)
    return [
        (n.kind, n.offset, _local_date(n.created_at))
        for n in qs.order_by("created_at", "kind", "id").distinct()
    ]


def days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def run_every_day(start, end, times=((8, 0), (11, 30), (16, 45), (20, 0))):
    for day in days(start, end):
        for hh, mm in times:
            remind(at(day.year, day.month, day.day, hh, mm))


TET_SEQUENCE = [
    ("at_risk", 9, D(2020, 1, 16)),
    ("due_7", 7, D(2020, 1, 20)),
    ("due_3", 3, D(2020, 1, 31)),  # Tết 23–29/1/2020 is skipped
    ("due_1", 1, D(2020, 2, 4)),
    ("due_0", 0, D(2020, 2, 5)),
    ("overdue", -1, D(2020, 2, 6)),
    ("overdue", -4, D(2020, 2, 11)),
    ("overdue", -7, D(2020, 2, 14)),
    ("overdue", -10, D(2020, 2, 19)),
]


def tet_task(world, **kw):
    # Assigned Thursday 2/1/2020, due Wednesday 5/2/2020: 20 working days across Tết.
    return world.task(
        "in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9, 30), progress=30, title="Rà soát TTHC", **kw
    )


def test_full_sequence_across_tet_for_each_recipient(people):
    task = tet_task(people, lead=people.official)
    run_every_day(D(2020, 1, 2), D(2020, 2, 20))

    assert ledger(task, people.official) == TET_SEQUENCE
    # The assignee unit's leader hears of it once it is overdue; the owner unit's leaders get escalations.
    assert ledger(task, people.commune_leader) == [r for r in TET_SEQUENCE if r[0] == "overdue"]
    assert ledger(task, people.city_leader) == [
        ("escalation", -5, D(2020, 2, 12)),
        ("escalation", -10, D(2020, 2, 19)),
    ]
    # A lead is set: the colleague in the same unit is not reminded.
    assert ledger(task, people.colleague) == []
    # Every reminder went out at 08:00 on a working day, and one email each, all marked sent.
    for n in Notification.objects.filter(task=task):
        local = n.created_at.astimezone(at(2020, 1, 1).tzinfo)
        assert (local.hour, local.minute) == (8, 0)
        assert local.weekday() < 5
    emails = Delivery.objects.filter(notification__task=task, channel="email")
    assert emails.count() == Notification.objects.filter(task=task).count() == 9 + 4 + 2
    assert set(emails.values_list("state", flat=True)) == {"sent"}
    assert len(mail.outbox) == 15
    assert sorted(m.to[0] for m in mail.outbox).count("official@example.vn") == 9


def test_the_remind_command_prints_what_it_planned_and_sent(people):
    task = tet_task(people, lead=people.official)
    out = remind(at(2020, 1, 20, 8, 0))
    assert f"planned task #{task.pk} due_7 (offset 7, due 2020-02-05)" in out
    assert "Sent 1," in out
    assert "Email → official: [Nhắc việc] Rà soát TTHC — 7 ngày làm việc trước hạn" in out
    # Again at the same moment, and at 10:00 the same day: nothing new.
    assert "Planned 0 reminder(s)" in remind(at(2020, 1, 20, 8, 0))
    out = remind(at(2020, 1, 20, 10, 0))
    assert "Planned 0 reminder(s)" in out and "Sent 0," in out
    assert len(mail.outbox) == 1


def test_dry_run_prints_and_changes_nothing(people):
    task = tet_task(people, lead=people.official)
    out = remind(at(2020, 1, 31, 8, 0), "--dry-run")
    assert f"planned task #{task.pk} due_3" in out
    assert "would send Email → official" in out
    assert Notification.objects.count() == 0 and mail.outbox == []
    assert "due_3" in remind(at(2020, 1, 31, 8, 0))
    assert len(mail.outbox) == 1


def test_sequence_across_30_april_and_a_working_saturday(people):
    # 2025: Saturday 26/4 is worked, 30/4, 1/5 and the swapped Friday 2/5 are off. 22 working days.
    task = people.task("assigned", due=D(2025, 5, 5), now=at(2025, 4, 1, 14, 0), lead=people.official)
    run_every_day(D(2025, 4, 1), D(2025, 5, 20), times=((8, 0), (15, 0)))
    assert ledger(task, people.official) == [
        ("at_risk", 10, D(2025, 4, 17)),  # Monday 7/4 (Hùng Kings) is off
        ("due_7", 7, D(2025, 4, 22)),
        ("due_3", 3, D(2025, 4, 26)),  # the worked Saturday
        ("due_1", 1, D(2025, 4, 29)),
        ("due_0", 0, D(2025, 5, 5)),
        ("overdue", -1, D(2025, 5, 6)),
        ("overdue", -4, D(2025, 5, 9)),
        ("overdue", -7, D(2025, 5, 14)),
        ("overdue", -10, D(2025, 5, 19)),
    ]
    assert ledger(task, people.city_leader) == [
        ("escalation", -5, D(2025, 5, 12)),
        ("escalation", -10, D(2025, 5, 19)),
    ]


def test_the_admin_calendar_table_moves_reminders(people):
    # An extra day off on Monday 20/1/2020 moves due_7 back to Friday 17/1, and leaves the task 19 working
    # days long: too short for the at-risk nudge it had on 16/1.
    CalendarDay.objects.create(date=D(2020, 1, 20), is_working=False, note="nghỉ bù")
    from org.calendar import calendar_changed

    calendar_changed()
    task = tet_task(people, lead=people.official)
    run_every_day(D(2020, 1, 15), D(2020, 1, 22), times=((8, 0),))
    assert ledger(task, people.official) == [("due_7", 7, D(2020, 1, 17))]


def test_without_a_lead_every_official_of_the_assignee_unit(people):
    task = tet_task(people)
    remind(at(2020, 1, 20, 8, 0))
    assert set(Notification.objects.filter(task=task).values_list("recipient__username", flat=True)) == {
        "official",
        "colleague",
    }
    remind(at(2020, 2, 6, 8, 0))
    assert set(
        Notification.objects.filter(task=task, kind="overdue").values_list("recipient__username", flat=True)
    ) == {"official", "colleague", "communeleader"}
    remind(at(2020, 2, 12, 8, 0))
    assert list(
        Notification.objects.filter(task=task, kind="escalation").values_list(
            "recipient__username", flat=True
        )
    ) == ["leader"]


def test_an_inactive_lead_falls_back_to_the_unit_officials(people):
    lead = factories.user("gone", memberships=[(people.commune, "official")])
    task = tet_task(people, lead=lead)
    lead.is_active = False
    lead.save()
    remind(at(2020, 1, 20, 8, 0))
    assert set(Notification.objects.filter(task=task).values_list("recipient__username", flat=True)) == {
        "official",
        "colleague",
    }


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "cancelled"])
def test_no_reminder_for_a_task_that_is_not_open(people, state):
    people.task(state, due=D(2020, 2, 5), now=at(2020, 1, 2, 9, 0), lead=people.official)
    for day in (D(2020, 1, 20), D(2020, 2, 5), D(2020, 2, 6), D(2020, 2, 12)):
        remind(at(day.year, day.month, day.day))
    assert Notification.objects.filter(event_id__isnull=True).count() == 0


def test_nothing_outside_working_hours_or_on_days_off(people):
    tet_task(people, lead=people.official)
    for moment in (
        at(2020, 2, 6, 7, 59),
        at(2020, 2, 6, 17, 0),
        at(2020, 2, 6, 23, 0),
        at(2020, 2, 8, 9, 0),  # Saturday
        at(2020, 2, 9, 9, 0),  # Sunday
    ):
        remind(moment)
    assert Notification.objects.count() == 0
    remind(at(2020, 2, 10, 8, 0))  # Monday: only the newest, overdue by 3 working days → the 1st one
    assert ledger() == [("overdue", -1, D(2020, 2, 10))] * 2  # the lead and the commune leader


def test_a_returned_task_resumes_its_reminders(people):
    with time_machine.travel(at(2020, 1, 2, 9, 0), tick=False):
        task = people.task("submitted", due=D(2020, 2, 5), lead=people.official)
    remind(at(2020, 2, 6, 8, 0))  # submitted: overdue but waiting for approval, no reminder
    assert ledger(task) == []
    with time_machine.travel(at(2020, 2, 10, 14, 0), tick=False):
        task_services.task_return(actor=people.city_leader, task=task, reason="Thiếu phụ lục")
    remind(at(2020, 2, 10, 15, 0))  # the returned task is overdue by 3: the latest due is the 1st
    remind(at(2020, 2, 11, 8, 0))
    assert ledger(task, people.official) == [("overdue", -1, D(2020, 2, 10)), ("overdue", -4, D(2020, 2, 11))]


def test_an_extension_starts_a_new_sequence_for_the_new_due_date(people):
    task = tet_task(people, lead=people.official)
    remind(at(2020, 2, 6, 8, 0))
    assert ledger(task, people.official) == [("overdue", -1, D(2020, 2, 6))]
    ext = task_services.extension_request(
        actor=people.official, task=task, requested_due_date=D(2020, 2, 14), reason="Chờ số liệu"
    )
    task_services.extension_decide(actor=people.city_leader, extension=ext, approve=True)
    remind(at(2020, 2, 7, 8, 0))
    remind(at(2020, 2, 14, 8, 0))
    assert ledger(task, people.official) == [
        ("overdue", -1, D(2020, 2, 6)),
        ("due_7", 7, D(2020, 2, 7)),  # 7 working days before 14/2 is 5/2: the latest due on 7/2
        ("due_0", 0, D(2020, 2, 14)),
    ]
    assert set(Notification.objects.filter(task=task).values_list("due_date", flat=True)) == {
        D(2020, 2, 5),
        D(2020, 2, 14),
    }


def test_catch_up_after_downtime_sends_only_the_latest(people):
    task = tet_task(people, lead=people.official)
    remind(at(2020, 2, 5, 8, 0))  # due_0, then down until 19/2 (10 working days overdue)
    remind(at(2020, 2, 19, 9, 10))
    assert ledger(task, people.official) == [("due_0", 0, D(2020, 2, 5)), ("overdue", -10, D(2020, 2, 19))]
    assert ledger(task, people.city_leader) == [("escalation", -10, D(2020, 2, 19))]
    assert len(mail.outbox) == 1 + 3  # no flood: one per stream and recipient


def test_a_per_plan_policy_changes_the_sequence(people):
    ReminderPolicySetting.objects.create(plan=None, data={"overdue_every": 2})
    ReminderPolicySetting.objects.create(
        plan=people.plan, data={"before_offsets": [2], "escalation_first": 3}
    )
    task = tet_task(people, lead=people.official)
    run_every_day(D(2020, 1, 15), D(2020, 2, 12), times=((8, 0),))
    assert ledger(task, people.official) == [
        ("at_risk", 9, D(2020, 1, 16)),
        ("due_2", 2, D(2020, 2, 3)),
        ("overdue", -1, D(2020, 2, 6)),
        ("overdue", -3, D(2020, 2, 10)),  # overdue_every 2 from the global row
        ("overdue", -5, D(2020, 2, 12)),
    ]
    assert ledger(task, people.city_leader) == [("escalation", -3, D(2020, 2, 10))]
    # Another plan keeps the global policy.
    assert ReminderPolicySetting.objects.get(plan=None).policy().before_offsets == (7, 3, 1, 0)


def test_a_rerun_plans_nothing_twice(people):
    tet_task(people, lead=people.official)
    first = services.reminders_plan(now=at(2020, 2, 12, 8, 0))
    assert sorted((p.kind, p.offset) for p in first.created) == [
        ("escalation", -5),
        ("overdue", -4),
        ("overdue", -4),
    ]
    again = services.reminders_plan(now=at(2020, 2, 12, 8, 0))
    later = services.reminders_plan(now=at(2020, 2, 12, 16, 0))
    assert again.created == later.created == []
    assert again.candidates == later.candidates == 0  # the ledger already has what the date gives
    assert Notification.objects.count() == 3 and Delivery.objects.count() == 3


def test_candidates_come_from_sql_not_from_every_task(people):
    # Tasks far from their due date, done, or already reminded are not even looked at.
    for _ in range(5):
        people.task("in_progress", due=D(2020, 6, 30), now=at(2020, 1, 2, 9, 0), progress=80)
    people.task("approved", due=D(2020, 2, 5), now=at(2020, 1, 2, 9, 0))
    due_soon = people.task("in_progress", due=D(2020, 2, 5), now=at(2020, 1, 2, 9, 0), progress=80)
    result = services.reminders_plan(now=at(2020, 1, 31, 8, 0))
    assert result.candidates == 1 and {p.task_id for p in result.created} == {due_soon.pk}


@pytest.mark.django_db(transaction=True)
def test_two_planners_at_once_plan_each_reminder_once(people):
    tasks = [tet_task(people) for _ in range(6)]
    moment = at(2020, 2, 12, 8, 0)
    barrier = threading.Barrier(4)
    errors = []

    def planner():
        try:
            barrier.wait(timeout=10)
            services.reminders_plan(now=moment, chunk_size=2)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=planner) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    # Per task: overdue to the two officials and the commune leader, the escalation to the city leader.
    assert Notification.objects.count() == 6 * 4
    assert Delivery.objects.count() == 6 * 4
    assert services.reminders_plan(now=moment).created == []
    assert {t.pk for t in tasks} == set(Notification.objects.values_list("task_id", flat=True))
