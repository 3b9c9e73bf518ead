"""The assigned notices of a batch of tasks (a cascade, an import assigned at once, a series' occurrences),
planned in bulk: each recipient's text in their language, the same text a single task's notice says, one
insert through the ledger whatever the batch's size, and exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import texts
from notifications.models import Notification
from notifications.services import notices_for_event
from notifications.services.common import _TASK_FIELDS, _task_info
from tasks.choices import TaskAction
from tasks.events import TaskChange
from tasks.models import Task
from tasks.services.bulk import tasks_create_bulk
from tests.factories import user

pytestmark = pytest.mark.django_db


def _reference_notice_text(task, kind, language, *, actor="", reason="", approved=None, new_due=None):
    """The event notice's text as `notice_text` wrote it before its words were cached: everything
    translated and built on each call, through `_lines`."""
    with translation.override(language or "vi"):
        head = _(texts.NOTICE_TITLES[kind])
        extra = []
        if kind == "extension_decided" and approved is not None:
            if approved:
                head = _("Đề nghị gia hạn được chấp thuận")
                extra.append(_("Hạn mới: %(date)s") % {"date": texts._date(new_due)})
            else:
                head = _("Đề nghị gia hạn bị từ chối")
        if kind == "extension_requested" and new_due:
            extra.append(_("Hạn đề nghị: %(date)s") % {"date": texts._date(new_due)})
        if actor:
            extra.append(_(texts.ACTOR_LABELS[kind]) % {"name": actor})
        if reason:
            extra.append(_("Lý do, ý kiến: %(reason)s") % {"reason": reason})
        return f"{head}: {task.title}"[:500], texts._lines(task, "", extra)


INFO = texts.TaskInfo(
    id=4321,
    title="Niêm yết công khai TTHC " * 30,  # longer than a title holds
    plan_number="12/KH-UBND",
    plan_title="Kế hoạch CCHC 2026",
    unit_name="UBND xã Tân Lập",
    due_date=dt.date(2026, 12, 15),
    progress=40,
)


@pytest.mark.parametrize("language", ["vi", "en", ""])
@pytest.mark.parametrize("kind", sorted(texts.NOTICE_TITLES))
def test_an_event_notice_says_what_it_said_before_its_words_were_cached(kind, language):
    cases = [
        {},
        {"actor": "Nguyễn Văn A"},
        {"actor": "Trần Thị B", "reason": "Thiếu biên bản"},
        {"approved": True, "new_due": dt.date(2027, 1, 5), "actor": "C"},
        {"approved": False, "reason": "Không đủ căn cứ"},
        {"new_due": dt.date(2027, 2, 1)},
    ]
    for kw in cases:
        for _twice in range(2):  # the second call comes from the caches
            assert texts.notice_text(INFO, kind, language, **kw) == _reference_notice_text(
                INFO, kind, language, **kw
            )


def test_a_notice_links_to_the_task_on_the_site_of_the_moment():
    with override_settings(SITE_URL="https://cchc.example.vn/"):
        assert texts.notice_text(INFO, "assigned", "vi")[1].endswith("https://cchc.example.vn/tasks/4321/")
    with override_settings(SITE_URL="http://127.0.0.1:9000"):
        assert texts.notice_text(INFO, "assigned", "vi")[1].endswith("http://127.0.0.1:9000/tasks/4321/")


DAYS_30 = dt.timedelta(days=30)


def _batch(world, n: int, *, actor):
    rows = [
        {
            "title": f"Báo cáo quý {i}",
            "assignee_unit": unit,
            "due_date": timezone.localdate() + dt.timedelta(30),
        }
        for i in range(n)
        for unit in (world.commune, world.other_commune)
    ]
    created = tasks_create_bulk(actor=actor, plan=world.plan, rows=rows, assign=True).created
    return TaskChange(
        task_id=created[0].pk,
        action=TaskAction.ASSIGN,
        plan_id=world.plan.pk,
        assignee_unit_id=world.commune.pk,
        actor_id=actor.pk,
        affects_score=True,
        other_unit_ids=(world.other_commune.pk,),
        task_ids=tuple(t.pk for t in created),
        event_id=777,
    )


def test_each_recipient_of_a_batch_reads_the_task_s_notice_in_their_language(world, monkeypatch):
    monkeypatch.setattr("notifications.tasks.notices_for_event_job.delay", lambda *a: None)
    english = user("official_en", memberships=[(world.other_commune, "official")], language="en")
    change = _batch(world, 2, actor=world.city_leader)
    planned = notices_for_event(change=change)
    tasks = {t["id"]: t for t in Task.objects.filter(pk__in=change.task_ids).values(*_TASK_FIELDS)}
    other = [t for t in tasks.values() if t["assignee_unit_id"] == world.other_commune.pk]
    # The commune's two officials for 2 tasks; the other commune's two (one reads English) for 2.
    assert len(planned) == len(Notification.objects.filter(kind="assigned")) == 2 * 2 + 2 * 2
    assert {p.recipient_id for p in planned if p.task_id == other[0]["id"]} == {
        world.other_official.pk,
        english.pk,
    }
    for n in Notification.objects.filter(kind="assigned").select_related("recipient"):
        expected = _reference_notice_text(
            _task_info(tasks[n.task_id]),
            "assigned",
            n.recipient.language,
            actor=world.city_leader.display_name,
        )
        assert (n.title, n.body) == expected
        assert n.event_id == -n.task_id and n.due_date == tasks[n.task_id]["effective_due_date"]
    english_title = Notification.objects.get(recipient=english, task_id=other[0]["id"]).title
    assert english_title.startswith("New task assigned: Báo cáo quý")
    # Delivered again (at least once): the ledger's key leaves every row as it was.
    assert notices_for_event(change=change) == []
    assert Notification.objects.filter(kind="assigned").count() == 8


def test_a_batch_s_notices_take_as_many_queries_for_40_tasks_as_for_4(world, monkeypatch):
    monkeypatch.setattr("notifications.tasks.notices_for_event_job.delay", lambda *a: None)
    counts = []
    for n in (2, 20):
        change = _batch(world, n, actor=world.city_leader)
        with CaptureQueriesContext(connection) as ctx:
            planned = notices_for_event(change=change)
        assert len(planned) == 3 * n  # two officials in the commune, one in the other
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    inserts = [
        q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "notifications_notification"')
    ]
    assert len(inserts) == 1
