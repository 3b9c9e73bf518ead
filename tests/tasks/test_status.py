"""Deadlines and status (SPEC §2): the effective due date follows the working calendar (and the admin's
changes to it); a task is on time, late, overdue, pending or cancelled, computed the same way in Python and
in SQL; and the task list filters on all of it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from org import services as org_services
from org.models import CalendarDay, Role
from plans import services as plan_services
from tasks import selectors, services
from tasks.models import Task, status_conditions, task_status
from tests import factories
from tests.factories import pdf_file

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args) -> dt.datetime:
    """An aware local time in Asia/Ho_Chi_Minh."""
    return dt.datetime(*args, tzinfo=VN)


# ---- effective due date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "effective"),
    [
        ("2020-01-25", "2020-01-30"),  # Tết 2020: 23–29/1 off
        ("2020-01-22", "2020-01-22"),  # the Wednesday before is a working day
        ("2020-04-30", "2020-05-04"),  # 30/4 and 1/5, then the weekend
        ("2026-11-28", "2026-11-30"),  # a Saturday
        ("2026-11-29", "2026-11-30"),  # a Sunday
        ("2026-12-15", "2026-12-15"),  # a Tuesday
    ],
)
def test_effective_due_date_moves_to_the_next_working_day(world, api, fresh_calendar, due, effective):
    r = api.as_(world.city_leader).post(
        "/api/tasks/",
        {"plan": world.plan.pk, "title": "Báo cáo", "assignee_unit": world.commune.pk, "due_date": due},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["due_date"] == due and r.json()["effective_due_date"] == effective
    # A changed due date moves it too.
    r = api.as_(world.city_leader).patch(
        f"/api/tasks/{r.json()['id']}/", {"due_date": "2020-01-25"}, format="json"
    )
    assert r.json()["effective_due_date"] == "2020-01-30"


def test_an_admin_day_off_moves_existing_tasks_after_commit(
    world, api, fresh_calendar, django_capture_on_commit_callbacks
):
    task = world.task("assigned", due=dt.date(2026, 12, 15))
    untouched = world.task("assigned", due=dt.date(2026, 12, 17), title="Khác")
    with django_capture_on_commit_callbacks(execute=True):
        org_services.calendar_day_set(date=dt.date(2026, 12, 15), is_working=False, note="Nghỉ bù")
        # Not before the change is committed.
        assert Task.objects.get(pk=task.pk).effective_due_date == dt.date(2026, 12, 15)
    assert Task.objects.get(pk=task.pk).effective_due_date == dt.date(2026, 12, 16)
    assert Task.objects.get(pk=untouched.pk).effective_due_date == dt.date(2026, 12, 17)
    assert api.as_(world.official).get(f"/api/tasks/{task.pk}/").json()["effective_due_date"] == "2026-12-16"
    # New tasks use it at once.
    assert world.task("draft", due=dt.date(2026, 12, 15), title="Mới").effective_due_date == dt.date(
        2026, 12, 16
    )

    # Making it a working day again moves the task back.
    with django_capture_on_commit_callbacks(execute=True):
        org_services.calendar_day_set(date=dt.date(2026, 12, 15), is_working=True)
    assert Task.objects.get(pk=task.pk).effective_due_date == dt.date(2026, 12, 15)
    # And removing the override entirely leaves the national calendar.
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.filter(date=dt.date(2026, 12, 15)).delete()
    assert Task.objects.get(pk=task.pk).effective_due_date == dt.date(2026, 12, 15)


def test_a_working_saturday_keeps_the_due_date(world, fresh_calendar, django_capture_on_commit_callbacks):
    task = world.task("assigned", due=dt.date(2026, 11, 28))
    assert task.effective_due_date == dt.date(2026, 11, 30)
    with django_capture_on_commit_callbacks(execute=True):
        org_services.calendar_day_set(date=dt.date(2026, 11, 28), is_working=True, note="Làm bù")
    assert Task.objects.get(pk=task.pk).effective_due_date == dt.date(2026, 11, 28)


def test_an_extra_day_off_within_tet_pushes_further(
    world, fresh_calendar, django_capture_on_commit_callbacks
):
    task = world.task("draft", due=dt.date(2020, 1, 25))
    assert task.effective_due_date == dt.date(2020, 1, 30)
    with django_capture_on_commit_callbacks(execute=True):
        org_services.calendar_day_set(date=dt.date(2020, 1, 30), is_working=False)
    assert Task.objects.get(pk=task.pk).effective_due_date == dt.date(2020, 1, 31)


# ---- status ------------------------------------------------------------------------------------------


def approved_task(world, *, due: dt.date, submitted: dt.datetime, title: str = "Đã duyệt") -> Task:
    task = world.task("in_progress", due=due, title=title)
    services.evidence_add(actor=world.official, task=task, file=pdf_file())
    services.task_submit(actor=world.official, task=task, now=submitted)
    return services.task_approve(actor=world.city_leader, task=task, now=submitted + dt.timedelta(days=3))


def status_everywhere(task: Task, today: dt.date) -> tuple[str, str]:
    task = Task.objects.get(pk=task.pk)
    python = task_status(
        state=task.state,
        effective_due_date=task.effective_due_date,
        submitted_at=task.submitted_at,
        today=today,
    )
    sql = Task.objects.with_status(today).get(pk=task.pk).status_code
    # The per-status conditions (counting by status) must pick out exactly that one status.
    matching = [
        status
        for status, condition in status_conditions(today).items()
        if Task.objects.filter(condition, pk=task.pk).exists()
    ]
    assert matching == [sql], (task.title, matching, sql)
    return python, sql


@pytest.mark.parametrize(
    ("state", "due", "submitted", "want"),
    [
        ("in_progress", None, None, "pending"),  # no due date: never overdue
        ("approved", None, None, "on_time"),  # no due date: on time whenever submitted
        ("approved", dt.date(2026, 12, 1), None, "late"),  # no submission time recorded
        ("cancelled", None, None, "cancelled"),
    ],
)
def test_status_without_a_due_date_or_a_submission_time(world, state, due, submitted, want):
    """Rows the services never leave behind but the database allows: the three definitions still agree."""
    task = world.task("in_progress", title=f"{state} {due}")
    Task.objects.filter(pk=task.pk).update(state=state, effective_due_date=due, submitted_at=submitted)
    assert status_everywhere(task, dt.date(2026, 12, 7)) == (want, want)


def test_status_in_python_and_sql_agree_for_every_case(world, api, fresh_calendar):
    due = dt.date(2026, 12, 15)  # a Tuesday
    cases = {
        "approved, submitted in the last minutes of the due day": (
            approved_task(world, due=due, submitted=at(2026, 12, 15, 23, 59)),
            "on_time",
        ),
        # 00:30 on the 16th in Hà Nội is still the 15th in UTC: the local date decides.
        "approved, submitted just after midnight local time": (
            approved_task(world, due=due, submitted=at(2026, 12, 16, 0, 30)),
            "late",
        ),
        "approved, submitted on the Monday after a Saturday due date": (
            approved_task(world, due=dt.date(2026, 11, 28), submitted=at(2026, 11, 30, 16, 0)),
            "on_time",
        ),
        "approved, submitted across Tết on the first working day": (
            approved_task(world, due=dt.date(2020, 1, 25), submitted=at(2020, 1, 30, 10, 0)),
            "on_time",
        ),
        "approved, submitted a day after Tết's effective due date": (
            approved_task(world, due=dt.date(2020, 1, 25), submitted=at(2020, 1, 31, 10, 0)),
            "late",
        ),
        "in progress, due date passed": (world.task("in_progress", due=dt.date(2026, 12, 1)), "overdue"),
        "in progress, due today": (world.task("in_progress", due=dt.date(2026, 12, 10)), "pending"),
        "in progress, due later": (world.task("in_progress", due=due), "pending"),
        # A draft is the owner's work in progress, assigned to no one: never overdue (SPEC §1).
        "draft, due date passed": (world.task("draft", due=dt.date(2026, 12, 1)), "draft"),
        "submitted, due date passed, not yet approved": (
            world.task("submitted", due=dt.date(2026, 12, 1)),
            "overdue",
        ),
        "returned, not yet due": (world.task("returned", due=due), "pending"),
        "cancelled, due date passed": (world.task("cancelled", due=dt.date(2026, 12, 1)), "cancelled"),
        "assigned, due on a Saturday two days ago (effective Monday, today)": (
            world.task("assigned", due=dt.date(2026, 12, 5), title="Thứ bảy"),
            "pending",
        ),
    }
    today = dt.date(2026, 12, 7)  # a Monday
    cases["in progress, due today"] = (world.task("in_progress", due=today), "pending")
    cases["in progress, due yesterday (a Sunday → today)"] = (
        world.task("in_progress", due=dt.date(2026, 12, 6)),
        "pending",
    )
    cases["in progress, due Friday"] = (world.task("in_progress", due=dt.date(2026, 12, 4)), "overdue")

    got = {name: status_everywhere(task, today) for name, (task, _want) in cases.items()}
    want = {name: (w, w) for name, (_task, w) in cases.items()}
    assert got == want

    # The API shows the same, on that day.
    with time_machine.travel(at(2026, 12, 7, 9, 0), tick=False):
        client = api.as_(world.city_leader)
        shown = {t["id"]: t["status"] for t in client.get("/api/tasks/?page_size=100").json()["results"]}
        for name, (task, w) in cases.items():
            assert shown[task.pk] == w, name
            assert client.get(f"/api/tasks/{task.pk}/").json()["status"] == w, name


def test_a_reopened_task_no_longer_counts_as_done(world):
    task = approved_task(world, due=dt.date(2026, 12, 15), submitted=at(2026, 12, 10, 9, 0))
    assert status_everywhere(task, dt.date(2026, 12, 20)) == ("on_time", "on_time")
    services.task_reopen(actor=world.city_leader, task=task, reason="Sai số liệu")
    assert status_everywhere(task, dt.date(2026, 12, 20)) == ("overdue", "overdue")
    assert status_everywhere(task, dt.date(2026, 12, 14)) == ("pending", "pending")


def test_status_moves_with_time(world, api):
    task = world.task("in_progress", due=dt.date(2026, 12, 15))
    client = api.as_(world.official)
    with time_machine.travel(at(2026, 12, 15, 23, 59), tick=False):
        assert client.get(f"/api/tasks/{task.pk}/").json()["status"] == "pending"
    with time_machine.travel(at(2026, 12, 16, 0, 1), tick=False):
        assert client.get(f"/api/tasks/{task.pk}/").json()["status"] == "overdue"


# ---- the task list and its filters -------------------------------------------------------------------


@pytest.fixture
def listing(world):
    """Tasks across two plans, three units and several states and dates."""
    second = plan_services.plan_create(
        actor=world.city_leader, owner_unit=world.city, number="50/KH-UBND", title="Kế hoạch 50", year=2026
    )
    plan_services.plan_issue(actor=world.city_leader, plan=second)
    t = {
        "a": world.task("in_progress", due=dt.date(2026, 12, 1), title="A"),  # overdue on 7/12
        "b": world.task("submitted", due=dt.date(2026, 12, 10), title="B"),
        "c": world.task("approved", due=dt.date(2026, 12, 2), title="C"),
        "d": world.task("assigned", due=dt.date(2026, 12, 20), unit=world.other_commune, title="D"),
        "e": world.task("draft", due=dt.date(2026, 11, 30), unit=world.other_commune, title="E"),  # a draft
        "f": world.task("cancelled", due=dt.date(2026, 11, 2), title="F"),
        "g": world.task("assigned", due=dt.date(2026, 12, 8), lead=world.colleague, title="G"),
    }
    t["h"] = services.task_create(
        actor=world.city_leader,
        plan=second,
        title="H",
        assignee_unit=world.commune,
        due_date=dt.date(2026, 12, 3),
    )
    return second, t


def ids(client, query=""):
    r = client.get(f"/api/tasks/?page_size=100&{query}")
    assert r.status_code == 200, r.content
    return {x["title"] for x in r.json()["results"]}


def test_filters(world, api, listing):
    second, t = listing
    leader = api.as_(world.city_leader)
    with time_machine.travel(at(2026, 12, 7, 9, 0), tick=False):
        assert ids(leader) == set("abcdefgh".upper())
        assert ids(leader, f"plan={second.pk}") == {"H"}
        assert ids(leader, f"plan={world.plan.pk}") == set("ABCDEFG")
        assert ids(leader, "state=assigned") == {"D", "G"}
        assert ids(leader, "state=assigned&state=draft") == {"D", "G", "E", "H"}
        assert ids(leader, f"assignee_unit={world.other_commune.pk}") == {"D", "E"}
        # Drafts E and H are past their due dates but never overdue: they are not assigned yet.
        assert ids(leader, "overdue=true") == {"A"}
        assert ids(leader, "overdue=false") == {"B", "C", "D", "E", "F", "G", "H"}
        assert ids(leader, "due_before=2026-12-03") == {"A", "C", "E", "F"}
        assert ids(leader, f"overdue=true&assignee_unit={world.commune.pk}") == {"A"}
    with time_machine.travel(at(2026, 12, 9, 9, 0), tick=False):
        # Two days later G is overdue too.
        assert ids(leader, "overdue=true") == {"A", "G"}


def test_mine(world, api, listing):
    _second, t = listing
    # The leader's own work: tasks of the plans they own waiting for their decision.
    assert ids(api.as_(world.city_leader), "mine=true") == {"B"}
    # An official: tasks they lead, and tasks of their unit with no lead set.
    # Drafts (E, H) stay on the owner's side: the assignee unit sees them once assigned (SPEC §1).
    assert ids(api.as_(world.official), "mine=true") == {"A", "B", "C", "F"}
    assert ids(api.as_(world.colleague), "mine=true") == {"A", "B", "C", "F", "G"}
    assert ids(api.as_(world.other_official), "mine=true") == {"D"}
    assert ids(api.as_(world.official), "mine=false") == set("ABCFG")


def test_mine_for_a_leader_of_many_plans_reads_them_by_subquery(world, api, listing, monkeypatch):
    """Past PLAN_IDS_INLINE_MAX plans, the plan ids are not inlined: same tasks either way."""
    monkeypatch.setattr(selectors.lists, "PLAN_IDS_INLINE_MAX", 0)
    assert ids(api.as_(world.city_leader), "mine=true") == {"B"}


@pytest.mark.parametrize("query", ["plan=abc", "state=finished", "assignee_unit=x", "due_before=15/12/2026"])
def test_a_bad_filter_value_is_a_400_not_a_500(world, api, query):
    r = api.as_(world.city_leader).get(f"/api/tasks/?{query}")
    assert r.status_code == 400
    assert query.split("=")[0] in r.json()


def test_pagination(world, api, listing):
    leader = api.as_(world.city_leader)
    r = leader.get("/api/tasks/?page_size=3")
    body = r.json()
    assert body["count"] == 8 and len(body["results"]) == 3 and body["next"] and body["previous"] is None
    seen = [x["id"] for x in body["results"]]
    while body["next"]:
        body = leader.get(body["next"]).json()
        seen += [x["id"] for x in body["results"]]
    assert len(seen) == len(set(seen)) == 8
    # Ordered by effective due date.
    dates = [Task.objects.get(pk=i).effective_due_date for i in seen]
    assert dates == sorted(dates)
    assert leader.get("/api/tasks/?page=99").status_code == 404


def test_a_province_official_filters_by_unit_across_the_subtree(world, api, listing):
    po = factories.user("po", memberships=[(world.province, Role.OFFICIAL)])
    assert ids(api.as_(po), f"assignee_unit={world.other_commune.pk}") == {"D", "E"}
    assert ids(api.as_(world.stranger), f"assignee_unit={world.other_commune.pk}") == set()
