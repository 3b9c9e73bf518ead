"""The calendar feed per user (issue 13): a secret address that calendars fetch without a session, listing
the deadlines of the user's own open tasks as RFC 5545 all-day events. The text is parsed back here by a
strict reader (physical lines of at most 75 octets, CRLF, unfolding, TEXT unescaping) and each VEVENT
checked; the UID of a task stays the same; a revoked or unknown token answers 404; one user's token never
shows another's tasks; tokens are long and random."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import services
from notifications.ical import AllDayEvent, calendar, escape_text, fold
from notifications.models import CalendarFeed
from tests import factories

# --- A strict reader of what the feed writes --------------------------------------------------------------


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            nxt = value[i + 1]
            out.append({"n": "\n", "N": "\n", "\\": "\\", ";": ";", ",": ","}[nxt])
            i += 2
            continue
        assert ch not in ";,", f"an unescaped {ch!r} in a TEXT value: {value!r}"
        out.append(ch)
        i += 1
    return "".join(out)


def parse(text: str) -> tuple[dict, list[dict]]:
    """(calendar properties, events): each a dict name → (params, raw value)."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode("utf-8")) <= 75, line
    logical: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    assert logical[0] == "BEGIN:VCALENDAR" and logical[-1] == "END:VCALENDAR"
    cal, events, current = {}, [], None
    for line in logical[1:-1]:
        head, value = line.split(":", 1)
        name, *params = head.split(";")
        if line == "BEGIN:VEVENT":
            current = {}
            continue
        if line == "END:VEVENT":
            events.append(current)
            current = None
            continue
        (current if current is not None else cal)[name] = (params, value)
    assert current is None
    return cal, events


# --- The writer -------------------------------------------------------------------------------------------


def test_text_is_escaped_per_rfc_5545():
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert unescape(escape_text("Kế hoạch 36/KH-UBND; hạn, \\ ghi chú\nDòng 2")) == (
        "Kế hoạch 36/KH-UBND; hạn, \\ ghi chú\nDòng 2"
    )
    assert escape_text("x\x00y\x07z") == "xyz"  # control characters are not allowed in TEXT


@pytest.mark.parametrize("n", [10, 74, 75, 76, 200, 1000])
def test_folding_keeps_lines_within_75_octets_and_never_splits_a_character(n):
    line = "SUMMARY:" + ("Rà soát thủ tục hành chính ờ ữ ỹ " * 40)[:n]
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == line
    for p in parts:
        p.encode("utf-8").decode("utf-8")  # whole characters only


def test_a_calendar_parses_back_to_its_events():
    stamp = timezone.now()
    day = timezone.localdate()
    text = calendar(
        [AllDayEvent("task-1@x", day, "Hạn: A, B; C", "Dòng 1\nDòng 2", "https://x/tasks/1/", stamp)],
        name="Lịch",
        prodid="-//T//T//VI",
    )
    cal, (event,) = parse(text)
    assert cal["VERSION"][1] == "2.0" and cal["PRODID"][1] == "-//T//T//VI"
    assert "METHOD" not in cal
    assert unescape(event["SUMMARY"][1]) == "Hạn: A, B; C"
    assert unescape(event["DESCRIPTION"][1]) == "Dòng 1\nDòng 2"
    assert event["DTSTART"] == (["VALUE=DATE"], day.strftime("%Y%m%d"))
    assert event["DTEND"] == (["VALUE=DATE"], (day + dt.timedelta(days=1)).strftime("%Y%m%d"))
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"][1])


# --- The feed ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_cached_feeds():
    cache.clear()
    yield
    cache.clear()


def _events(client, token) -> dict[str, dict]:
    r = client.get(f"/notifications/calendar/{token}.ics")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/calendar; charset=utf-8"
    _cal, events = parse(r.content.decode("utf-8"))
    return {unescape(e["SUMMARY"][1]): e for e in events}


@pytest.fixture
def feed_world(world):
    """The official's open tasks (one with a title full of characters to escape), one approved, one of
    another commune, one of the colleague."""
    today = timezone.localdate()
    w = world
    w.open_task = w.task(
        "in_progress", due=today + dt.timedelta(days=10), lead=w.official, title="Rà soát TTHC"
    )
    w.tricky = w.task(
        "returned",
        # A month ago: overdue whatever day the session runs (a due date in Tết moves to the next working
        # day, which three days back may still be ahead).
        due=today - dt.timedelta(days=30),
        lead=w.official,
        title="Báo cáo; số liệu, quý IV \\ năm " + "dài " * 30,
    )
    w.done = w.task("approved", due=today + dt.timedelta(days=5), lead=w.official, title="Đã xong")
    w.other = w.task(
        "in_progress", due=today + dt.timedelta(days=8), unit=w.other_commune, title="Việc xã khác"
    )
    w.colleague_task = w.task(
        "assigned", due=today + dt.timedelta(days=4), lead=w.colleague, title="Của đồng nghiệp"
    )
    return w


@pytest.mark.django_db
def test_the_feed_lists_my_open_tasks_as_all_day_events_without_a_session(feed_world, settings):
    w = feed_world
    feed = services.calendar_feed_reset(user=w.official)
    events = _events(Client(), feed.token)  # no session at all
    assert set(events) == {f"Hạn: {w.open_task.title}", f"Hạn: {w.tricky.title}"}
    for task in (w.open_task, w.tricky):
        task.refresh_from_db()
        e = events[f"Hạn: {task.title}"]
        assert e["UID"][1] == f"task-{task.pk}@cchc.example.vn"
        assert e["DTSTART"] == (["VALUE=DATE"], task.effective_due_date.strftime("%Y%m%d"))
        assert e["URL"][1] == f"https://cchc.example.vn/tasks/{task.pk}/"
        assert e["DTSTAMP"][1] == task.updated_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        description = unescape(e["DESCRIPTION"][1])
        assert "36/KH-UBND" in description and "Phường Đồng Tâm" in description
        assert f"https://cchc.example.vn/tasks/{task.pk}/" in description
    assert "Quá hạn" in unescape(events[f"Hạn: {w.tricky.title}"]["DESCRIPTION"][1])


@pytest.mark.django_db
def test_the_uid_stays_when_the_deadline_moves_and_after_a_new_token(feed_world):
    from tasks import services as task_services

    w = feed_world
    token = services.calendar_feed_reset(user=w.official).token
    before = _events(Client(), token)[f"Hạn: {w.open_task.title}"]
    new_due = w.open_task.due_date + dt.timedelta(days=7)
    task_services.task_update(actor=w.city_leader, task=w.open_task, due_date=new_due)
    cache.clear()
    token2 = services.calendar_feed_reset(user=w.official).token
    after = _events(Client(), token2)[f"Hạn: {w.open_task.title}"]
    assert after["UID"] == before["UID"]
    assert after["DTSTART"] != before["DTSTART"]


@pytest.mark.django_db
def test_a_revoked_or_unknown_token_answers_404(feed_world):
    w = feed_world
    client = Client()
    old = services.calendar_feed_reset(user=w.official).token
    assert client.get(f"/notifications/calendar/{old}.ics").status_code == 200  # cached now
    new = services.calendar_feed_reset(user=w.official).token
    assert new != old
    assert client.get(f"/notifications/calendar/{old}.ics").status_code == 404  # the cache forgot it too
    assert client.get(f"/notifications/calendar/{new}.ics").status_code == 200
    services.calendar_feed_delete(user=w.official)
    assert client.get(f"/notifications/calendar/{new}.ics").status_code == 404
    assert client.get("/notifications/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert client.get("/notifications/calendar/.ics").status_code == 404


@pytest.mark.django_db
def test_a_deactivated_user_s_feed_answers_404(feed_world):
    w = feed_world
    token = services.calendar_feed_reset(user=w.official).token
    w.official.is_active = False
    w.official.save(update_fields=["is_active"])
    assert Client().get(f"/notifications/calendar/{token}.ics").status_code == 404


@pytest.mark.django_db
def test_another_user_s_token_shows_their_tasks_never_mine(feed_world):
    w = feed_world
    mine = services.calendar_feed_reset(user=w.official).token
    theirs = services.calendar_feed_reset(user=w.colleague).token
    assert mine != theirs
    their_events = _events(Client(), theirs)
    assert set(their_events) == {f"Hạn: {w.colleague_task.title}"}
    other = factories.user("otherfeed", memberships=[(w.other_commune, "official")])
    other_events = _events(Client(), services.calendar_feed_reset(user=other).token)
    assert set(other_events) == {f"Hạn: {w.other.title}"}
    # A signed-in user asking for someone else's address gets what the token says, not their own session's.
    client = Client()
    client.force_login(w.official)
    assert set(_events(client, theirs)) == {f"Hạn: {w.colleague_task.title}"}


@pytest.mark.django_db
def test_tokens_are_long_random_and_unique():
    users = [factories.user(f"tok{i}") for i in range(20)]
    tokens = [services.calendar_feed_reset(user=u).token for u in users]
    assert len(set(tokens)) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)  # 32 random bytes, URL-safe
    # The database refuses a short (guessable) token whatever writes it.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarFeed.objects.filter(user=users[0]).update(token="abc")


@pytest.mark.django_db
def test_the_feed_is_one_query_when_cached_and_a_few_otherwise(feed_world):
    w = feed_world
    for i in range(10):
        w.task(
            "in_progress", due=timezone.localdate() + dt.timedelta(days=i), lead=w.official, title=f"Việc {i}"
        )
    token = services.calendar_feed_reset(user=w.official).token
    client = Client()
    with CaptureQueriesContext(connection) as first:
        client.get(f"/notifications/calendar/{token}.ics")
    task_reads = [q for q in first.captured_queries if 'FROM "tasks_task"' in q["sql"]]
    assert len(task_reads) == 1
    assert len(first.captured_queries) <= 4  # token, memberships, the tasks (and a leader's plans)
    with CaptureQueriesContext(connection) as again:
        r = client.get(f"/notifications/calendar/{token}.ics")
    assert r.status_code == 200 and len(again.captured_queries) == 1  # the token


@pytest.mark.django_db
def test_the_preferences_page_shows_copies_and_revokes_the_address(world, web, settings):
    client = web.as_(world.official)
    page = client.get("/notifications/preferences/").content.decode()
    assert 'id="calendar-feed"' in page and "Tạo đường dẫn lịch" in page
    assert CalendarFeed.objects.count() == 0  # a visit makes nothing
    r = client.post("/notifications/calendar/reset/")
    assert r.status_code == 302 and r["Location"].endswith("/notifications/preferences/#calendar-feed")
    token = CalendarFeed.objects.get(user=world.official).token
    page = client.get("/notifications/preferences/").content.decode()
    assert f'value="https://cchc.example.vn/notifications/calendar/{token}.ics"' in page
    assert f'href="webcal://cchc.example.vn/notifications/calendar/{token}.ics"' in page
    client.post("/notifications/calendar/reset/")
    new = CalendarFeed.objects.get(user=world.official).token
    assert new != token
    page = client.get("/notifications/preferences/").content.decode()
    assert token not in page and new in page and "Đường dẫn cũ không còn dùng được" in page
    # The buttons' addresses answer a GET with the page, not a 405.
    assert client.get("/notifications/calendar/reset/").status_code == 302
    assert CalendarFeed.objects.get(user=world.official).token == new  # and change nothing
    client.post("/notifications/calendar/delete/")
    assert not CalendarFeed.objects.filter(user=world.official).exists()


@pytest.mark.django_db
def test_the_buttons_need_a_sign_in(client, world):
    for url in ("/notifications/calendar/reset/", "/notifications/calendar/delete/"):
        r = client.post(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert CalendarFeed.objects.count() == 0
