"""Recurring series (issue 15): occurrences created as ordinary assigned tasks by the periodic job, in bulk
and once (a second cycle creates nothing), a paused series creating nothing, an edited series changing only
what is not yet created, one occurrence skipped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from config.schedule import BEAT_SCHEDULE
from org.calendar import get_calendar
from tasks import schedule as sched
from tasks.choices import TaskState
from tasks.models import Outbox, Task
from tasks.services import (
    series_create,
    series_due_occurrences,
    series_generate_due,
    series_pause,
    series_skip,
    series_update,
)
from tests.factories import user

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(world):
    # Month ends, created 60 working days ahead: this month's and the next are due to be created today.
    return series_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Báo cáo tháng",
        schedule="monthly",
        starts_on=timezone.localdate(),
        lead_days=60,
        unit_kind="commune",
    )


def _expected_keys(s, today):
    return [o.key for o in series_due_occurrences(s, today)]


def test_the_job_creates_every_due_occurrence_once_for_every_unit(
    world, series, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    keys = _expected_keys(series, today)
    assert len(keys) >= 2
    with django_capture_on_commit_callbacks(execute=False):
        assert series_generate_due() == 2 * len(keys)  # two communes in the city plan's reach
    tasks = Task.objects.filter(series=series)
    assert {(t.period, t.assignee_unit_id) for t in tasks} == {
        (k, u) for k in keys for u in (world.commune.pk, world.other_commune.pk)
    }
    assert all(t.state == TaskState.ASSIGNED and t.title == "Báo cáo tháng" for t in tasks)
    for t in tasks:
        assert get_calendar().is_working_day(t.due_date) and t.effective_due_date == t.due_date
    assert Outbox.objects.filter(payload__task_ids__isnull=False).count() == 1  # one event for the batch
    # The next cycle, and one after a killed worker: nothing twice.
    assert series_generate_due() == 0
    assert Task.objects.filter(series=series).count() == 2 * len(keys)


def test_a_paused_series_creates_nothing_until_resumed(world, series):
    series_pause(actor=world.city_leader, series=series)
    assert series_generate_due() == 0 and not Task.objects.filter(series=series).exists()
    series_pause(actor=world.city_leader, series=series, paused=False)
    assert series_generate_due() > 0


def test_a_skipped_occurrence_is_never_created(world, series):
    first, *rest = _expected_keys(series, timezone.localdate())
    series_skip(actor=world.city_leader, series=series, period=first)
    series_generate_due()
    periods = set(Task.objects.filter(series=series).values_list("period", flat=True))
    assert first not in periods and periods == set(rest)


def test_an_edited_series_changes_only_the_occurrences_not_yet_created(world, series):
    today = timezone.localdate()
    series_generate_due()
    before = set(Task.objects.filter(series=series).values_list("period", flat=True))
    edited = series_update(
        actor=world.city_leader, series=series, lead_days=120, title="Báo cáo tháng (mẫu mới)"
    )
    later = set(_expected_keys(edited, today)) - before
    assert later, "120 working days ahead reach further month ends than 60"
    series_generate_due()
    titles = dict(
        Task.objects.filter(series=series, assignee_unit=world.commune).values_list("period", "title")
    )
    assert {k for k, t in titles.items() if t == "Báo cáo tháng"} == before
    assert {k for k, t in titles.items() if t == "Báo cáo tháng (mẫu mới)"} == later


def test_a_series_is_checked_and_kept_to_the_plan_s_leaders(world):
    with pytest.raises(ValidationError) as refused:
        series_create(
            actor=world.city_leader,
            plan=world.plan,
            title="X",
            schedule="rrule",
            rrule="FREQ=SECONDLY",
            starts_on=timezone.localdate(),
            units=[world.elsewhere_commune],
        )
    assert {"rrule", "assignee_units"} <= set(refused.value.message_dict)
    with pytest.raises(PermissionDenied):
        series_create(
            actor=world.stranger_leader,
            plan=world.plan,
            title="X",
            schedule="yearly",
            starts_on=timezone.localdate(),
            unit_kind="commune",
        )


def test_a_series_for_one_unit_with_its_lead_and_a_rule(world):
    today = timezone.localdate()
    s = series_create(
        actor=world.city_leader,
        plan=world.plan,
        title="Cập nhật hằng tuần",
        schedule="rrule",
        rrule="FREQ=WEEKLY;BYDAY=FR",
        starts_on=today,
        ends_on=today + dt.timedelta(days=20),
        lead_days=10,
        units=[world.commune],
        lead=world.official,
    )
    series_generate_due()
    tasks = list(Task.objects.filter(series=s))
    assert tasks and all(
        t.lead_id == world.official.pk and t.assignee_unit_id == world.commune.pk for t in tasks
    )
    assert all(t.due_date <= today + dt.timedelta(days=23) for t in tasks)
    assert {t.period for t in tasks} <= {
        o.key
        for o in sched.occurrences(
            schedule="rrule",
            due_day=None,
            lead_days=10,
            starts_on=today,
            ends_on=today + dt.timedelta(days=20),
            until=today + dt.timedelta(days=40),
            calendar=get_calendar(),
            rrule_text="FREQ=WEEKLY;BYDAY=FR",
        )
    }


def test_the_beat_runs_the_series_job():
    assert BEAT_SCHEDULE["tasks-series-generate"]["task"] == "tasks.series_generate_due"
    from celery import current_app

    import tasks.tasks  # noqa: F401  (registers the job)

    assert "tasks.series_generate_due" in current_app.tasks


def test_the_series_api(world, api):
    client = api.as_(world.city_leader)
    today = timezone.localdate().isoformat()
    body = {
        "plan": world.plan.pk,
        "title": "Báo cáo quý",
        "schedule": "reports",
        "due_day": 5,
        "starts_on": today,
    }
    r = client.post("/api/series/", {**body, "assignee_units": [world.elsewhere_commune.pk]}, format="json")
    assert r.status_code == 400 and "assignee_units" in r.json(), r.content
    r = client.post(
        "/api/series/",
        {**body, "schedule": "rrule", "rrule": "FREQ=MINUTELY", "unit_kind": "commune"},
        format="json",
    )
    assert r.status_code == 400 and "rrule" in r.json(), r.content
    r = client.post(
        "/api/series/",
        {**body, "assignee_units": [world.commune.pk], "lead": world.official.pk},
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["assignee_units"] == [world.commune.pk] and r.json()["lead"] == world.official.pk
    assert client.post(f"/api/series/{pk}/pause/").json()["paused"] is True
    assert client.post(f"/api/series/{pk}/resume/").json()["paused"] is False
    r = client.post(f"/api/series/{pk}/skip/", {"period": "2099-BC1"}, format="json")
    assert r.json()["skipped"] == ["2099-BC1"]
    r = client.patch(f"/api/series/{pk}/", {"title": "Báo cáo quý (sửa)"}, format="json")
    assert r.status_code == 200 and r.json()["title"] == "Báo cáo quý (sửa)", r.content
    # Seen by the plan's viewers; changed only by the owner's leaders; hidden from others.
    viewer = user("chuyenvien.city", memberships=[(world.city, "official")])
    assert api.as_(viewer).get(f"/api/series/{pk}/").status_code == 200
    assert api.as_(viewer).post(f"/api/series/{pk}/pause/").status_code == 403
    assert api.as_(world.stranger).get(f"/api/series/{pk}/").status_code == 404
