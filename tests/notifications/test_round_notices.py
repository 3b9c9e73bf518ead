"""The assessment round's notices (SPEC §3a) through the notifications ledger: scoring's signals sent
directly (`round_deadlines` every cycle, `round_published` after a publication), real units and leaders,
the real working calendar, and moments built from the session's "today" (TEST_NOW may move it).

What a leader sees: one reminder per offset (7, 3, 1, 0 working days before the self-assessment deadline;
3, 1, 0 before the explanation deadline) at 08:00 on working days, never a burst after downtime, nothing
after the deadline, one notice per published version; by email, digest or webhook as they chose; in the
API and on the page with the link to the round's page and no task."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from criteria.events import RoundPublication, RoundTarget, round_deadlines, round_published
from criteria.models import CriteriaSet
from notifications import services
from notifications.models import Delivery, Notification
from notifications.policy import VN_TZ
from notifications.receivers import round_deadlines_plan_notices, round_published_notify_leaders
from notifications.services import preference_set
from org.calendar import calendar_changed, get_calendar
from org.models import CalendarDay, User
from tests import factories

from .conftest import at

pytestmark = pytest.mark.django_db

SELF, EXPLAIN, PUBLISHED = "self_assessment_due", "explanation_due", "results_published"


def set_yaml(year: int) -> str:
    return f"""
code: XA-{year}
name: Chỉ số CCHC cấp xã
year: {year}
unit_kind: commune
period: {{start: {year}-01-01, end: {year}-12-31}}
criteria:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 100
    children:
      - {{code: "1.1", title: Kế hoạch CCHC, max: 100, rule: {{type: manual}}}}
"""


@pytest.fixture
def rnd(world):
    """The world with a criteria set and the leaders of the two communes it scores."""
    today = timezone.localdate()
    world.today = today
    world.cs = factories.criteria_set_from(set_yaml(today.year))
    world.leader = factories.user("truongphuong", memberships=[(world.commune, "leader")])
    world.deputy = factories.user("phophuong", memberships=[(world.commune, "leader")])
    world.other_leader = factories.user("chutichxa", memberships=[(world.other_commune, "leader")])
    return world


def targets(w, deadline: dt.date, kind: str = SELF) -> list[RoundTarget]:
    return [
        RoundTarget(
            criteria_set_id=w.cs.pk,
            unit_id=w.commune.pk,
            kind=kind,
            deadline=deadline,
            recipient_ids=(w.leader.pk, w.deputy.pk),
        ),
        RoundTarget(
            criteria_set_id=w.cs.pk,
            unit_id=w.other_commune.pk,
            kind=kind,
            deadline=deadline,
            recipient_ids=(w.other_leader.pk,),
        ),
    ]


def cycle(w, moment: dt.datetime, deadline: dt.date, kind: str = SELF, these=None) -> int:
    """One round cycle as scoring sends it; how many notices notifications created."""
    responses = dict(
        round_deadlines.send(
            sender=CriteriaSet, targets=these if these is not None else targets(w, deadline, kind), now=moment
        )
    )
    return responses[round_deadlines_plan_notices]


def publish(w, version: int, decided_on: dt.date, number: str = "125/QĐ-UBND", now=None) -> int:
    publication = RoundPublication(
        criteria_set_id=w.cs.pk,
        version=version,
        decision_number=number,
        decided_on=decided_on,
        recipients={w.commune.pk: (w.leader.pk, w.deputy.pk), w.other_commune.pk: (w.other_leader.pk,)},
    )
    responses = dict(
        round_published.send(sender=CriteriaSet, publication=publication, now=now or at_day(w.today, 10))
    )
    return responses[round_published_notify_leaders]


def at_day(day: dt.date, hh: int = 8, mm: int = 0) -> dt.datetime:
    return at(day.year, day.month, day.day, hh, mm)


def back(day: dt.date, n: int, calendar) -> dt.date:
    """`n` working days before `day`, walking the days one by one (independent of the calendar's own
    arithmetic, which the policy uses)."""
    while n:
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day


def next_weekday_holiday(after: dt.date, calendar) -> dt.date:
    """The next public holiday on a weekday after `after` (Tết, 30/4, 2/9, …: there is one every year)."""
    day = after + dt.timedelta(days=1)
    while not (day.weekday() < 5 and calendar.holiday_name(day) and not calendar.is_working_day(day)):
        day += dt.timedelta(days=1)
    return day


def ledger(user, kind: str = SELF) -> list[tuple[int, dt.date]]:
    """(offset, local day created) of a user's round notices, in order: what they read over time."""
    return [
        (n.offset, n.created_at.astimezone(VN_TZ).date())
        for n in Notification.objects.filter(recipient=user, kind=kind).order_by("created_at", "id")
    ]


def days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def due_path(w) -> str:
    """The unit's self-assessment page (its score sheet)."""
    return reverse("scoring:self_assessment", args=[w.cs.pk, w.commune.pk])


def ranking_path(w) -> str:
    """The ranking page of the set."""
    return f"{reverse('scoring:ranking')}?set={w.cs.pk}"


# --- the deadline reminders -------------------------------------------------------------------------------


def test_7_3_1_0_working_days_before_across_a_holiday_and_weekends(rnd):
    calendar = get_calendar()
    holiday = next_weekday_holiday(rnd.today + dt.timedelta(days=7), calendar)
    deadline = calendar.add_working_days(holiday, 2)  # its 7-day window holds the holiday and a weekend
    d7 = back(deadline, 7, calendar)
    start = d7 - dt.timedelta(days=3)
    for day in days(start, deadline + dt.timedelta(days=3)):
        for hh, mm in ((7, 45), (8, 0), (8, 15), (12, 0), (16, 45), (20, 0)):
            cycle(rnd, at_day(day, hh, mm), deadline)

    expected = [(k, back(deadline, k, calendar)) for k in (7, 3, 1)] + [(0, deadline)]
    assert ledger(rnd.leader) == ledger(rnd.deputy) == ledger(rnd.other_leader) == expected
    assert (deadline - d7).days > 7 + 2  # the holiday and the weekend were skipped, not counted
    planned_days = {day for _k, day in expected}
    assert holiday not in planned_days and all(calendar.is_working_day(d) for d in planned_days)
    # Each went out at the first cycle from 08:00 on its day (the 07:45 one planned nothing).
    for n in Notification.objects.all():
        local = n.created_at.astimezone(VN_TZ)
        assert (local.hour, local.minute) == (8, 0)
    first = Notification.objects.get(recipient=rnd.leader, offset=7)
    assert first.title == (
        f"Còn 7 ngày làm việc đến hạn tự đánh giá Chỉ số CCHC cấp xã (XA-{rnd.today.year}) — Phường Đồng Tâm"
    )
    assert f"Hạn tự đánh giá: hết ngày {deadline:%d/%m/%Y}" in first.body
    last = Notification.objects.get(recipient=rnd.leader, offset=0)
    assert last.title.startswith(f"Hôm nay là hạn cuối tự đánh giá Chỉ số CCHC cấp xã (XA-{rnd.today.year})")


def test_explanation_reminders_3_1_0_and_nothing_at_7(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    assert cycle(rnd, at_day(back(deadline, 7, calendar), 9), deadline, EXPLAIN) == 0
    for k in (3, 1, 0):
        assert cycle(rnd, at_day(back(deadline, k, calendar), 9), deadline, EXPLAIN) == 3
    assert [k for k, _day in ledger(rnd.leader, EXPLAIN)] == [3, 1, 0]
    n = Notification.objects.get(recipient=rnd.other_leader, kind=EXPLAIN, offset=3)
    assert n.title == (
        f"Còn 3 ngày làm việc đến hạn giải trình Chỉ số CCHC cấp xã (XA-{rnd.today.year}) — Xã Tân Thịnh"
    )
    assert n.get_kind_display() == "Nhắc hạn giải trình"


def test_nothing_before_08_00_nor_on_a_day_off(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    d7 = back(deadline, 7, calendar)
    assert cycle(rnd, at_day(d7, 7, 59), deadline) == 0
    saturday = d7 + dt.timedelta(days=(5 - d7.weekday()) % 7)
    if not calendar.is_working_day(saturday):
        assert cycle(rnd, at_day(saturday, 9), deadline) == 0
    assert Notification.objects.count() == 0
    assert cycle(rnd, at_day(d7, 8, 0), deadline) == 3


def test_the_admins_day_off_moves_the_reminder(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    was = back(deadline, 3, calendar)
    CalendarDay.objects.create(date=back(deadline, 1, calendar), is_working=False, note="nghỉ thêm")
    calendar_changed()
    calendar = get_calendar()
    now_due = back(deadline, 3, calendar)
    assert now_due < was
    assert cycle(rnd, at_day(now_due, 8), deadline) == 3
    assert Notification.objects.get(recipient=rnd.leader).offset == 3


def test_running_twice_plans_nothing_new(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    moment = at_day(back(deadline, 3, calendar), 8)
    assert cycle(rnd, moment, deadline) == 3
    assert (Notification.objects.count(), Delivery.objects.count()) == (3, 3)
    assert cycle(rnd, moment, deadline) == 0
    assert cycle(rnd, moment + dt.timedelta(hours=3), deadline) == 0
    assert (Notification.objects.count(), Delivery.objects.count()) == (3, 3)
    # The same target twice in one cycle is one notice.
    assert cycle(rnd, moment, deadline, these=targets(rnd, deadline) * 2) == 0


def test_after_downtime_only_the_latest_and_nothing_after_the_deadline(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    # Down since before the 7-day reminder; back the day before the deadline, mid-morning.
    assert cycle(rnd, at_day(back(deadline, 1, calendar), 10, 30), deadline) == 3
    assert [k for k, _d in ledger(rnd.leader)] == [1]
    (n,) = Notification.objects.filter(recipient=rnd.leader)
    assert n.title.startswith("Còn 1 ngày làm việc đến hạn tự đánh giá")
    # Down again over the deadline: nothing afterwards, not even the missed due-day one.
    after = calendar.add_working_days(deadline, 1)
    assert cycle(rnd, at_day(after, 9), deadline) == 0
    assert [k for k, _d in ledger(rnd.leader)] == [1]


def test_a_round_opened_late_says_the_days_really_left(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    # Opened 5 working days before its deadline: the 7-day reminder is the latest due, with 5 days left.
    assert cycle(rnd, at_day(back(deadline, 5, calendar), 9), deadline) == 3
    n = Notification.objects.get(recipient=rnd.leader)
    assert n.offset == 7
    assert n.title.startswith("Còn 5 ngày làm việc đến hạn tự đánh giá")
    # Then the 3-day one comes on its day.
    assert cycle(rnd, at_day(back(deadline, 3, calendar), 8), deadline) == 3


def test_a_moved_deadline_reminds_again_from_the_new_one(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    day = back(deadline, 1, calendar)
    assert cycle(rnd, at_day(day, 8), deadline) == 3
    later = calendar.add_working_days(deadline, 5)  # extended: 6 working days left
    assert cycle(rnd, at_day(day, 8, 15), later) == 3
    n = Notification.objects.get(recipient=rnd.leader, due_date=later)
    assert n.offset == 7 and n.title.startswith("Còn 6 ngày làm việc")


def test_inactive_users_gone_units_and_unknown_kinds_are_left_out(rnd, caplog):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    User.objects.filter(pk=rnd.deputy.pk).update(is_active=False)
    odd = RoundTarget(
        criteria_set_id=rnd.cs.pk,
        unit_id=rnd.commune.pk,
        kind="appraisal_due",
        deadline=deadline,
        recipient_ids=(rnd.leader.pk,),
    )
    moment = at_day(back(deadline, 3, calendar), 8)
    assert cycle(rnd, moment, deadline, these=[*targets(rnd, deadline), odd]) == 2
    assert not Notification.objects.filter(recipient=rnd.deputy).exists()
    assert "unknown kind 'appraisal_due'" in caplog.text


# --- the publication --------------------------------------------------------------------------------------


def test_published_once_per_version(rnd):
    decided = rnd.today
    assert publish(rnd, 1, decided) == 3
    assert publish(rnd, 1, decided) == 0  # the signal again: no one hears twice
    n = Notification.objects.get(recipient=rnd.leader, kind=PUBLISHED)
    assert (n.offset, n.due_date, n.task_id, n.plan_id) == (1, decided, None, None)
    assert n.title == (
        f"Đã công bố kết quả Chỉ số CCHC cấp xã (XA-{rnd.today.year}): Quyết định số 125/QĐ-UBND "
        f"ngày {decided:%d/%m/%Y}"
    )
    assert "Đơn vị: Phường Đồng Tâm" in n.body and "Phiên bản kết quả: 1" in n.body
    assert n.get_kind_display() == "Công bố kết quả đánh giá"
    # A correction republished: everyone hears of version 2, once.
    assert publish(rnd, 2, decided + dt.timedelta(days=1), number="130/QĐ-UBND") == 3
    assert publish(rnd, 2, decided + dt.timedelta(days=1), number="130/QĐ-UBND") == 0
    v2 = Notification.objects.get(recipient=rnd.leader, kind=PUBLISHED, offset=2)
    assert v2.title.startswith(
        f"Đã công bố lại kết quả Chỉ số CCHC cấp xã (XA-{rnd.today.year}) sau đính chính"
    )
    assert "Quyết định số 130/QĐ-UBND" in v2.title
    assert Notification.objects.filter(kind=PUBLISHED).count() == 6
    assert Delivery.objects.filter(notification__kind=PUBLISHED).count() == 6


# --- channels ---------------------------------------------------------------------------------------------


def test_deliveries_follow_each_leaders_channels(rnd, webhook):
    hook = webhook()
    preference_set(user=rnd.deputy, email_mode="digest")
    preference_set(user=rnd.other_leader, email_mode="off")
    no_email = factories.user("phochutich", memberships=[(rnd.other_commune, "leader")])
    User.objects.filter(pk=no_email.pk).update(email="")
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    day = back(deadline, 3, calendar)
    these = targets(rnd, deadline)
    these[1] = dataclasses.replace(these[1], recipient_ids=(rnd.other_leader.pk, no_email.pk))
    assert cycle(rnd, at_day(day, 8), deadline, these=these) == 4

    def channels(user):
        return sorted(Delivery.objects.filter(notification__recipient=user).values_list("channel", "state"))

    assert channels(rnd.leader) == [("email", "pending"), ("webhook", "pending")]
    assert channels(rnd.deputy) == [("email", "digest"), ("webhook", "pending")]
    assert channels(rnd.other_leader) == [("webhook", "pending")]
    assert channels(no_email) == [("webhook", "pending")]

    services.deliveries_send(now=at_day(day, 8, 1))
    path = due_path(rnd)
    (email,) = mail.outbox
    assert email.to == ["truongphuong@example.vn"]
    assert email.subject.startswith("Còn 3 ngày làm việc đến hạn tự đánh giá Chỉ số CCHC cấp xã")
    assert f"Tự đánh giá: https://cchc.example.vn{path}" in email.body
    assert len(hook.requests) == 4
    payloads = {json.loads(body)["recipient"]["username"]: json.loads(body) for _h, body in hook.requests}
    p = payloads["truongphuong"]
    assert (p["kind"], p["task"], p["plan"]) == (SELF, None, None)
    assert (p["criteria_set"], p["unit"], p["offset"]) == (rnd.cs.pk, rnd.commune.pk, 3)
    assert p["due_date"] == deadline.isoformat() and p["url"] == f"https://cchc.example.vn{path}"
    assert payloads["chutichxa"]["unit"] == rnd.other_commune.pk
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent", "digest"}

    # The deputy's digest, the next working morning, carries it.
    next_day = calendar.add_working_days(day, 1)
    mail.outbox = []
    services.digests_send(now=at_day(next_day, 7, 30))
    services.deliveries_send(now=at_day(next_day, 7, 31))
    (digest,) = mail.outbox
    assert digest.to == ["phophuong@example.vn"]
    assert "1. Còn 3 ngày làm việc đến hạn tự đánh giá Chỉ số CCHC cấp xã" in digest.body


def test_the_delivery_job_is_asked_to_run_after_the_commit(
    rnd, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks as notification_tasks

    asked = []
    monkeypatch.setattr(notification_tasks.deliver_job, "delay", lambda *a, **k: asked.append(a))
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    with django_capture_on_commit_callbacks(execute=True):
        cycle(rnd, at_day(back(deadline, 3, calendar), 8), deadline)
    assert len(asked) == 1
    with django_capture_on_commit_callbacks(execute=True):
        cycle(rnd, at_day(back(deadline, 3, calendar), 9), deadline)  # nothing new: no kick
        publish(rnd, 1, rnd.today)
    assert len(asked) == 2


# --- in the app -------------------------------------------------------------------------------------------


def test_the_api_and_the_page_show_round_notices_with_their_link_and_no_task(rnd, api, web):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    cycle(rnd, at_day(back(deadline, 1, calendar), 8), deadline)
    publish(rnd, 1, rnd.today, now=at_day(back(deadline, 1, calendar), 9))
    due, ranking = due_path(rnd), ranking_path(rnd)

    rows = api.as_(rnd.leader).get("/api/notifications/").json()["results"]
    assert [r["kind"] for r in rows] == [PUBLISHED, SELF]  # newest first
    for row in rows:
        assert (row["task"], row["plan"], row["criteria_set"], row["unit"]) == (
            None,
            None,
            rnd.cs.pk,
            rnd.commune.pk,
        )
    assert rows[1]["kind_display"] == "Nhắc hạn tự đánh giá" and rows[1]["offset"] == 1
    assert rows[1]["url"] == f"https://cchc.example.vn{due}"
    assert rows[0]["url"] == f"https://cchc.example.vn{ranking}"
    assert api.get(f"/api/notifications/?kind={SELF}").json()["count"] == 1

    client = web.as_(rnd.leader)
    html = client.get("/notifications/").content.decode()
    assert "Còn 1 ngày làm việc đến hạn tự đánh giá Chỉ số CCHC cấp xã" in html
    assert "Đã công bố kết quả Chỉ số CCHC cấp xã" in html
    assert f'href="{due}"' in html and f'href="{ranking}"' in html
    assert html.count('class="notification kind-') == 2 and 'data-unread="2"' in html
    # Opening one marks it read and goes to its page; the API agrees.
    nid = rows[1]["id"]
    r = client.post(f"/notifications/{nid}/read/", {"open": "1"})
    assert r.status_code == 302 and r["Location"] == due
    assert client.get(due).status_code == 200  # a page the leader may open
    r = api.post(f"/api/notifications/{rows[0]['id']}/read/")
    assert r.status_code == 200 and r.json()["read_at"] and r.json()["task"] is None
    assert api.get("/api/notifications/unread-count/").json() == {"unread": 0}
    # Another leader's notice is theirs only.
    theirs = Notification.objects.filter(recipient=rnd.other_leader).first()
    assert api.get(f"/api/notifications/{theirs.pk}/").status_code == 404


@pytest.mark.urls("tests.notifications.urls_without_scoring")
def test_without_any_scoring_page_the_link_is_the_home_page(rnd, api):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    cycle(rnd, at_day(deadline, 8), deadline)
    publish(rnd, 1, rnd.today)
    for n in Notification.objects.filter(recipient=rnd.leader):
        assert n.url_path == "/" and n.url == "https://cchc.example.vn/"
    rows = api.as_(rnd.leader).get("/api/notifications/").json()["results"]
    assert {r["url"] for r in rows} == {"https://cchc.example.vn/"}


def test_the_links_go_to_the_sheet_and_the_ranking_in_body_and_url(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    cycle(rnd, at_day(deadline, 8), deadline)
    publish(rnd, 3, rnd.today)
    due = Notification.objects.get(recipient=rnd.leader, kind=SELF)
    assert due.url_path == f"/round/{rnd.cs.pk}/units/{rnd.commune.pk}/" == due_path(rnd)
    assert f"https://cchc.example.vn{due.url_path}" in due.body and due.url.endswith(due.url_path)
    published = Notification.objects.get(recipient=rnd.leader, kind=PUBLISHED)
    assert published.url_path == f"/ranking/?set={rnd.cs.pk}" == ranking_path(rnd)
    assert f"Xem kết quả: https://cchc.example.vn/ranking/?set={rnd.cs.pk}" in published.body


def test_the_admin_ledger_lists_round_notices(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)
    cycle(rnd, at_day(deadline, 8), deadline)
    client = factories_client(rnd.admin)
    html = client.get("/admin/notifications/notification/").content.decode()
    assert f"XA-{rnd.today.year} — Phường Đồng Tâm" in html
    n = Notification.objects.get(recipient=rnd.leader)
    assert client.get(f"/admin/notifications/notification/{n.pk}/change/").status_code == 200
    assert client.get(f"/admin/notifications/notification/?q=XA-{rnd.today.year}").status_code == 200


def factories_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# --- at scale ---------------------------------------------------------------------------------------------


def test_planning_is_bulk_not_a_query_per_unit(rnd):
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)

    def many(n):
        units = [factories.unit(parent=rnd.city) for _ in range(n)]
        return [
            RoundTarget(
                criteria_set_id=rnd.cs.pk,
                unit_id=u.pk,
                kind=SELF,
                deadline=deadline,
                recipient_ids=tuple(factories.user(memberships=[(u, "leader")]).pk for _ in range(2)),
            )
            for u in units
        ]

    small, large = many(3), many(30)
    cycle(rnd, at_day(back(deadline, 7, calendar), 7), deadline, these=small)  # warm: nothing due yet
    counts = []
    for these, moment in ((small, back(deadline, 7, calendar)), (large, back(deadline, 3, calendar))):
        with CaptureQueriesContext(connection) as ctx:
            assert cycle(rnd, at_day(moment, 8), deadline, these=these) == 2 * len(these)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    # An idle cycle only reads.
    with CaptureQueriesContext(connection) as ctx:
        assert cycle(rnd, at_day(back(deadline, 3, calendar), 9), deadline, these=large) == 0
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]


@pytest.mark.django_db(transaction=True)
def test_two_cycles_at_once_plan_each_notice_once(world, monkeypatch):
    from notifications import tasks as notification_tasks

    monkeypatch.setattr(notification_tasks.deliver_job, "delay", lambda *a, **k: None)
    today = timezone.localdate()
    # Straight into the table: importing would queue scoring's first computation on the real broker.
    cs = CriteriaSet.objects.create(
        code="XA-CONCURRENT",
        name="Chỉ số CCHC cấp xã",
        year=today.year,
        unit_kind="commune",
        period_start=dt.date(today.year, 1, 1),
        period_end=dt.date(today.year, 12, 31),
    )
    units = [factories.unit(parent=world.city) for _ in range(6)]
    leaders = {u.pk: factories.user(memberships=[(u, "leader")]).pk for u in units}
    calendar = get_calendar()
    deadline = calendar.add_working_days(today + dt.timedelta(days=30), 0)
    these = [RoundTarget(cs.pk, u, SELF, deadline, (leader,)) for u, leader in leaders.items()]
    moment = at_day(back(deadline, 3, calendar), 8)
    barrier = threading.Barrier(4)
    errors, created = [], []

    def planner():
        try:
            barrier.wait(timeout=10)
            created.append(len(services.round_deadlines_plan(targets=these, now=moment)))
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
    assert sum(created) == 6  # each planner reports only what it created
    assert Notification.objects.count() == Delivery.objects.count() == 6


# --- the ledger's rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": SELF, "task": True, "due_date": True, "offset": 3},  # a round notice with a task
        {"kind": SELF, "criteria_set": True, "due_date": True, "offset": 3},  # … without its unit
        {"kind": "due_3", "criteria_set": True, "unit": True, "due_date": True, "offset": 3},  # a task kind
        {"kind": PUBLISHED, "criteria_set": True, "unit": True, "offset": 1},  # no decision date
        {
            "kind": "due_3",
            "task": True,
            "no_plan": True,
            "due_date": True,
            "offset": 3,
        },  # a reminder, no plan
    ],
)
def test_each_row_is_exactly_one_kind_of_notice(rnd, fields):
    from django.db import IntegrityError, transaction

    task = rnd.task("in_progress", due=rnd.today + dt.timedelta(days=30), lead=rnd.official)
    row = Notification(
        recipient=rnd.leader,
        kind=fields["kind"],
        title="x",
        task=task if fields.get("task") else None,
        plan=task.plan if fields.get("task") and not fields.get("no_plan") else None,
        criteria_set=rnd.cs if fields.get("criteria_set") else None,
        unit=rnd.commune if fields.get("unit") else None,
        due_date=rnd.today if fields.get("due_date") else None,
        offset=fields.get("offset"),
    )
    with pytest.raises(IntegrityError, match="notifications_reminder_or_notice"), transaction.atomic():
        row.save()
    # The well-formed round notice is accepted, once.
    ok = dict(recipient=rnd.leader, kind=SELF, title="x", criteria_set=rnd.cs, unit=rnd.commune)
    Notification.objects.create(**ok, due_date=rnd.today, offset=3)
    with pytest.raises(IntegrityError, match="notifications_round_notice_once"), transaction.atomic():
        Notification.objects.create(**ok, due_date=rnd.today, offset=3)


# --- with scoring's round ---------------------------------------------------------------------------------


def test_scorings_round_cycle_and_publication_reach_the_leaders(
    rnd, monkeypatch, django_capture_on_commit_callbacks
):
    """The contract end to end: scoring's own round steps and cycle send the signals; its debtors are
    reminded, a submitted unit is not, and the publication reaches every scored unit's leaders."""
    from notifications import tasks as notification_tasks
    from scoring.services import StepFields, round_cycle, round_step, self_assessment_submit

    monkeypatch.setattr(notification_tasks.deliver_job, "delay", lambda *a, **k: None)
    CriteriaSet.objects.filter(pk=rnd.cs.pk).update(owner_unit=rnd.city)  # the city scores its communes
    cs = CriteriaSet.objects.get(pk=rnd.cs.pk)
    calendar = get_calendar()
    deadline = calendar.add_working_days(rnd.today + dt.timedelta(days=30), 0)

    def step(action, moment, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            round_step(actor=None, criteria_set=cs, action=action, fields=StepFields(**fields), now=moment)

    step("open_self_assessment", timezone.now(), self_assessment_until=deadline)
    round_cycle(now=at_day(back(deadline, 7, calendar), 8))
    assert [
        (n.recipient.username, n.offset) for n in Notification.objects.order_by("recipient__username")
    ] == [
        ("chutichxa", 7),
        ("phophuong", 7),
        ("truongphuong", 7),
    ]
    self_assessment_submit(
        actor=rnd.leader, criteria_set=cs, unit=rnd.commune, now=at_day(back(deadline, 5, calendar), 9)
    )
    round_cycle(now=at_day(back(deadline, 3, calendar), 8))
    assert [k for k, _d in ledger(rnd.other_leader)] == [7, 3]
    assert [k for k, _d in ledger(rnd.leader)] == [7]  # submitted: no more reminders

    after = at_day(calendar.add_working_days(deadline, 1), 9)
    step("start_appraisal", after)
    step("open_explanation", after, explanation_until=calendar.add_working_days(deadline, 6))
    step("start_final_appraisal", after)
    step("publish", after, decision_number="215/QĐ-UBND", decided_on=after.date())
    # The publication is announced by a job, and by the next round cycle should that job be lost.
    assert not Notification.objects.filter(kind=PUBLISHED).exists()
    assert round_cycle(now=after + dt.timedelta(minutes=15))["announced"] == 1
    published = Notification.objects.filter(kind=PUBLISHED)
    assert sorted(published.values_list("recipient__username", "offset")) == [
        ("chutichxa", 1),
        ("phophuong", 1),
        ("truongphuong", 1),
    ]
    assert published.first().title.endswith(f"Quyết định số 215/QĐ-UBND ngày {after.date():%d/%m/%Y}")
