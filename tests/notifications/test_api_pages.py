"""The in-app channel: `/api/notifications/` and the pages (list, mark read, preferences, the bell), and the
admin (policy validation, the ledger with its failures)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient

from notifications import services
from notifications.models import Delivery, Notification, NotificationPreference, ReminderPolicySetting
from notifications.policy import ReminderPolicy
from notifications.selectors import reminder_policies

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def reminded(world):
    """The official has three reminders (due_3, due_1, due_0); the colleague two (another task)."""
    task = world.task("in_progress", due=dt.date(2020, 2, 5), now=at(2020, 1, 20, 9), lead=world.official)
    other = world.task("in_progress", due=dt.date(2020, 1, 31), now=at(2020, 1, 20, 9), lead=world.colleague)
    for moment in (at(2020, 1, 31), at(2020, 2, 4), at(2020, 2, 5)):
        services.reminders_plan(now=moment)
    world.reminded_task, world.other_task = task, other
    return world


def test_my_list_filters_and_unread_count(reminded, api):
    client = api.as_(reminded.official)
    r = client.get("/api/notifications/")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [n["kind"] for n in rows] == ["due_0", "due_1", "due_3"]  # newest first
    first = rows[0]
    assert set(first) >= {"id", "kind", "task", "title", "body", "created_at", "read_at"}
    assert first["task"] == reminded.reminded_task.pk and first["read_at"] is None
    assert first["url"] == f"https://cchc.example.vn/tasks/{reminded.reminded_task.pk}/"
    assert client.get("/api/notifications/?kind=due_1").json()["count"] == 1
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 3}
    assert client.get("/api/notifications/?unread=maybe").status_code == 400


def test_mark_read_one_and_all(reminded, api):
    client = api.as_(reminded.official)
    nid = client.get("/api/notifications/?kind=due_3").json()["results"][0]["id"]
    r = client.post(f"/api/notifications/{nid}/read/")
    assert r.status_code == 200 and r.json()["read_at"]
    first_read = r.json()["read_at"]
    assert client.post(f"/api/notifications/{nid}/read/").json()["read_at"] == first_read
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 2}
    assert [n["kind"] for n in client.get("/api/notifications/?unread=true").json()["results"]] == [
        "due_0",
        "due_1",
    ]
    assert client.get("/api/notifications/?unread=false").json()["count"] == 1
    assert client.post("/api/notifications/read-all/").json() == {"marked": 2}
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 0}
    # The colleague's stay unread.
    assert Notification.objects.filter(recipient=reminded.colleague, read_at__isnull=True).count() == 2


def test_someone_elses_notification_is_404(reminded, api):
    theirs = Notification.objects.filter(recipient=reminded.colleague).first()
    client = api.as_(reminded.official)
    assert client.get(f"/api/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert APIClient().get("/api/notifications/").status_code == 401


def test_preferences_through_the_api(world, api):
    client = api.as_(world.official)
    assert client.get("/api/notifications/preferences/").json() == {"email_mode": "immediate"}
    r = client.put("/api/notifications/preferences/", {"email_mode": "digest"}, format="json")
    assert r.status_code == 200 and r.json() == {"email_mode": "digest"}
    assert NotificationPreference.objects.get(user=world.official).email_mode == "digest"
    r = client.put("/api/notifications/preferences/", {"email_mode": "weekly"}, format="json")
    assert r.status_code == 400 and "email_mode" in r.json()


def test_the_page_lists_marks_read_and_shows_the_bell(reminded):
    web = Client()
    web.force_login(reminded.official)
    r = web.get("/notifications/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "[Nhắc việc] Rà soát TTHC — đến hạn hôm nay" in html
    assert f'href="/tasks/{reminded.reminded_task.pk}/"' in html
    assert 'data-unread="3"' in html
    assert html.count('class="notification kind-') == 3
    nid = Notification.objects.get(recipient=reminded.official, kind="due_0").pk
    r = web.post(f"/notifications/{nid}/read/", {"next": "/notifications/?unread=1"})
    assert r.status_code == 302 and r["Location"] == "/notifications/?unread=1"
    html = web.get("/notifications/?unread=1").content.decode()
    assert html.count('class="notification kind-') == 2 and 'data-unread="2"' in html
    r = web.post("/notifications/read-all/")
    assert r.status_code == 302
    assert not Notification.objects.filter(recipient=reminded.official, read_at__isnull=True).exists()
    # Another user's notification: 404, unchanged.
    theirs = Notification.objects.filter(recipient=reminded.colleague).first()
    assert web.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert web.get("/notifications/").context["notifications_unread"] == 0


def test_the_preferences_page(world):
    web = Client()
    web.force_login(world.official)
    html = web.get("/notifications/preferences/").content.decode()
    assert 'value="immediate"' in html and "checked" in html
    r = web.post("/notifications/preferences/", {"email_mode": "off"})
    assert r.status_code == 302
    assert NotificationPreference.objects.get(user=world.official).email_mode == "off"
    r = web.post("/notifications/preferences/", {"email_mode": "sometimes"})
    assert (
        r.status_code == 200 and NotificationPreference.objects.get(user=world.official).email_mode == "off"
    )
    assert Client().get("/notifications/").status_code == 302  # to the sign-in page


def test_admin_policy_form_names_the_bad_field(world):
    web = Client()
    web.force_login(world.admin)
    r = web.post(
        "/admin/notifications/reminderpolicysetting/add/",
        {"plan": "", "data": '{"overdue_every": 0, "before_offsets": [7, 3, 1, 0]}'},
    )
    assert r.status_code == 200  # the form again, with the error
    assert "overdue_every" in r.content.decode()
    assert not ReminderPolicySetting.objects.exists()
    r = web.post(
        "/admin/notifications/reminderpolicysetting/add/",
        {"plan": world.plan.pk, "data": '{"before_offsets": [5, 2, 0]}'},
    )
    assert r.status_code == 302
    assert ReminderPolicySetting.objects.get(plan=world.plan).policy().before_offsets == (5, 2, 0)


def test_a_broken_global_policy_neither_fails_the_admin_nor_stops_reminders(world, caplog):
    """A global row edited outside the admin into something invalid: the defaults stand in, logged."""
    ReminderPolicySetting.objects.create(plan=None, data={"overdue_every": 0})  # no clean(): as a raw edit
    per_plan = ReminderPolicySetting.objects.create(plan=world.plan, data={"before_offsets": [5, 2, 0]})
    web = Client()
    web.force_login(world.admin)
    r = web.get(f"/admin/notifications/reminderpolicysetting/{per_plan.pk}/change/")
    assert r.status_code == 200
    assert "[5, 2, 0]" in r.content.decode()
    base, overrides = reminder_policies()
    assert base == ReminderPolicy()
    assert overrides[world.plan.pk].before_offsets == (5, 2, 0)
    assert "global reminder policy is invalid" in caplog.text


def test_admin_ledger_shows_failures(world, smtp):
    smtp()
    world.task("in_progress", due=dt.date(2020, 2, 5), now=at(2020, 1, 2, 9), lead=world.official)
    services.reminders_plan(now=at(2020, 2, 11, 8, 0))
    services.deliveries_send(now=at(2020, 2, 11, 8, 0))
    Delivery.objects.update(state="failed")
    web = Client()
    web.force_login(world.admin)
    html = web.get("/admin/notifications/delivery/?state__exact=failed&channel__exact=email").content.decode()
    assert "421" in html and "Official" in html and "Thất bại" in html
    html = web.get("/admin/notifications/notification/?kind=overdue&delivery_state=failed").content.decode()
    assert "quá hạn 4 ngày làm việc" in html
    assert web.get("/admin/notifications/digest/").status_code == 200
