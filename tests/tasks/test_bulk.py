"""Many tasks at once (issue 15): the bulk service and the XLSX import on it. Every row checked in one
pass, nothing written when one row is bad, a constant number of queries whatever the number of rows, one
history row per task and one outbox event per batch, whose receivers request one recompute and plan the
`assigned` notices in bulk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notices_for_event
from tasks.choices import TaskAction, TaskState
from tasks.events import TaskChange
from tasks.models import Outbox, Task, TaskEvent
from tasks.services import tasks_import_xlsx
from tasks.services.bulk import tasks_create_bulk
from tests.factories import unit, user
from tests.security.hostile import xlsx

pytestmark = pytest.mark.django_db

HEADER = ["Mã đơn vị", "Tên nhiệm vụ", "Hạn hoàn thành", "Cán bộ chủ trì (tên đăng nhập)"]


def _due(days: int = 30) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _sheet(rows: list[list]) -> bytes:
    return xlsx([HEADER, *rows])


def _good_rows(n: int, code: str = "X01", name: str = "Nhiệm vụ") -> list[list]:
    return [[code, f"{name} số {i}", _due().strftime("%d/%m/%Y"), ""] for i in range(n)]


def test_a_file_with_one_bad_row_creates_nothing_and_names_the_row(world):
    rows = _good_rows(5)
    rows[2][0] = "X99"  # out of the city plan's reach (row 4 of the sheet)
    before = (Task.objects.count(), TaskEvent.objects.count(), Outbox.objects.count())
    with pytest.raises(ValidationError) as refused:
        tasks_import_xlsx(actor=world.city_leader, plan=world.plan, data=_sheet(rows))
    messages = refused.value.message_dict["file"]
    assert len(messages) == 1 and messages[0].startswith("Dòng 4:"), messages
    assert "X99" in messages[0]
    assert (Task.objects.count(), TaskEvent.objects.count(), Outbox.objects.count()) == before


def test_the_import_writes_one_history_row_per_task_and_one_outbox_event(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        created = tasks_import_xlsx(actor=world.city_leader, plan=world.plan, data=_sheet(_good_rows(7)))
    assert len(created) == 7 and all(t.pk and t.state == TaskState.DRAFT for t in created)
    assert TaskEvent.objects.filter(task__in=created, action=TaskAction.CREATE).count() == 7
    [row] = Outbox.objects.all()
    assert sorted(row.payload["task_ids"]) == sorted(t.pk for t in created)
    assert row.payload["action"] == TaskAction.CREATE and row.payload["affects_score"] is False


# Titles that an array literal must quote: quotes, a backslash, braces, commas, the word NULL, an empty
# description, and one line breaks.
AWKWARD = [
    ('Báo cáo "quý" {I}, II', 'Mô tả có \\ và "ngoặc"\nxuống dòng'),
    ("NULL", ""),
    ("C:\\thư mục\\báo cáo, {}", "{a,b}"),
    ("Đánh giá 'mức độ' hài lòng", "NULL"),
]


def test_awkward_titles_and_descriptions_are_written_as_they_are(world):
    rows = [
        {"title": t, "description": d, "assignee_unit": world.commune, "due_date": _due()} for t, d in AWKWARD
    ]
    created = tasks_create_bulk(actor=world.city_leader, plan=world.plan, rows=rows).created
    stored = list(Task.objects.filter(pk__in=[t.pk for t in created]).order_by("pk"))
    assert [(t.title, t.description) for t in stored] == AWKWARD
    assert all(t.description is not None for t in stored)


def test_the_import_finds_an_awkward_title_the_plan_has(world):
    title = AWKWARD[0][0]
    tasks_import_xlsx(actor=world.city_leader, plan=world.plan, data=_sheet([["X01", title, _due(), ""]]))
    with pytest.raises(ValidationError) as refused:
        tasks_import_xlsx(
            actor=world.city_leader,
            plan=world.plan,
            data=_sheet([["X02", title, _due(), ""], ["X01", title, _due(), ""]]),
        )
    [message] = refused.value.message_dict["file"]
    assert message.startswith("Dòng 3:") and "X01" in message  # the other unit's row is not a repeat


def _import_queries(world, n: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        created = tasks_import_xlsx(
            actor=world.city_leader, plan=world.plan, data=_sheet(_good_rows(n, code="X02", name=f"Đợt {n}"))
        )
    assert len(created) == n
    return [q["sql"][:60] for q in ctx.captured_queries]


def test_the_import_takes_as_many_queries_for_200_rows_as_for_10(world):
    ten = _import_queries(world, 10)
    two_hundred = _import_queries(world, 200)
    assert len(two_hundred) == len(ten), (ten, two_hundred)
    assert len(ten) < 20


def test_every_bad_row_is_named_with_its_field(world):
    rows = [
        {"title": "Tốt", "assignee_unit": world.commune, "due_date": _due()},
        {"title": "", "assignee_unit": world.elsewhere_commune, "due_date": _due()},
        {"title": "Chủ trì sai", "assignee_unit": world.commune, "lead": world.other_official},
        {"title": "Tiêu chí", "assignee_unit": world.commune, "criterion_code": "1.1"},
        {"title": "Ngày", "assignee_unit": world.commune, "start_date": _due(9), "due_date": _due(1)},
    ]
    with pytest.raises(ValidationError) as refused:
        tasks_create_bulk(actor=world.city_leader, plan=world.plan, rows=rows)
    text = "\n".join(refused.value.message_dict["rows"])
    for expected in (
        "Dòng 2, title",
        "Dòng 2, assignee_unit",
        "Dòng 3, lead",
        "Dòng 4, criterion_code",
        "Dòng 5, due_date",
    ):
        assert expected in text, text
    assert "Dòng 1" not in text
    assert not Task.objects.exists()


def test_a_batch_created_assigned_requests_one_recompute_and_plans_every_assigned_notice(world, monkeypatch):
    second = user("official2", memberships=[(world.other_commune, "official")])
    queued = []
    monkeypatch.setattr(
        "scoring.tasks.recompute_for_task_change.delay",
        lambda plan_id, units: queued.append((plan_id, units)),
    )
    monkeypatch.setattr("notifications.tasks.notices_for_event_job.delay", lambda *a: None)
    rows = [
        {"title": "Báo cáo quý", "assignee_unit": world.commune, "due_date": _due(), "lead": world.official},
        {"title": "Báo cáo quý", "assignee_unit": world.other_commune, "due_date": _due()},
        {
            "title": "Niêm yết TTHC",
            "assignee_unit": world.commune,
            "due_date": _due(),
            "lead": world.official,
        },
    ]
    from tasks.events import dispatch

    result = tasks_create_bulk(actor=world.city_leader, plan=world.plan, rows=rows, assign=True)
    assert [t.state for t in result.created] == [TaskState.ASSIGNED] * 3
    [row] = Outbox.objects.all() or [None]
    if (
        row is not None
    ):  # the on-commit dispatch of a test transaction does not run: send it as the beat would
        dispatch(row.pk)
    assert queued == [(world.plan.pk, sorted({world.commune.pk, world.other_commune.pk}))]
    change = TaskChange(
        task_id=result.created[0].pk,
        action=TaskAction.ASSIGN,
        plan_id=world.plan.pk,
        assignee_unit_id=world.commune.pk,
        actor_id=world.city_leader.pk,
        affects_score=True,
        other_unit_ids=(world.other_commune.pk,),
        task_ids=tuple(t.pk for t in result.created),
        event_id=12345,
    )
    planned = notices_for_event(change=change)
    got = sorted((p.task_id, p.recipient_id) for p in planned)
    assert got == sorted(
        [
            (result.created[0].pk, world.official.pk),
            (result.created[1].pk, world.other_official.pk),
            (result.created[1].pk, second.pk),
            (result.created[2].pk, world.official.pk),
        ]
    )
    assert Notification.objects.filter(kind="assigned").count() == 4
    assert "Báo cáo quý" in Notification.objects.get(task=result.created[0]).title
    # Delivered again (at least once): nothing new.
    assert notices_for_event(change=change) == []
    assert Notification.objects.filter(kind="assigned").count() == 4


def test_the_bulk_service_refuses_a_stranger(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        tasks_create_bulk(
            actor=world.stranger_leader,
            plan=world.plan,
            rows=[{"title": "X", "assignee_unit": world.commune, "due_date": _due()}],
        )
    assert not Task.objects.exists()


def test_a_unit_in_reach_below_a_new_unit_is_accepted(world):
    ward = unit("X03", parent=world.city)
    result = tasks_create_bulk(
        actor=world.city_leader, plan=world.plan, rows=[{"title": "Mới", "assignee_unit": ward.pk}]
    )
    assert [t.assignee_unit_id for t in result.created] == [ward.pk]


def test_assigning_a_plan_s_drafts_is_one_batch(world, django_capture_on_commit_callbacks):
    rows = [{"title": f"Việc {i}", "assignee_unit": world.commune, "due_date": _due()} for i in range(30)]
    rows.append({"title": "Chưa có hạn", "assignee_unit": world.commune})
    tasks_create_bulk(actor=world.city_leader, plan=world.plan, rows=rows)
    Outbox.objects.all().delete()
    from tasks.services import tasks_assign_drafts

    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=False):
        assigned = tasks_assign_drafts(actor=world.city_leader, plan=world.plan)
    assert len(assigned) == 30 and all(t.state == TaskState.ASSIGNED and t.assigned_at for t in assigned)
    assert len(ctx.captured_queries) < 15
    assert TaskEvent.objects.filter(action=TaskAction.ASSIGN, from_state="draft").count() == 30
    [row] = Outbox.objects.all()
    assert len(row.payload["task_ids"]) == 30 and row.payload["affects_score"] is True
    assert Task.objects.get(title="Chưa có hạn").state == TaskState.DRAFT


def test_a_calendar_edit_is_one_outbox_event_per_plan(world, django_capture_on_commit_callbacks):
    from org.calendar import calendar_changed
    from org.models import CalendarDay
    from tasks.services import tasks_refresh_effective_due_dates

    day = _due(30)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    rows = [{"title": f"Việc {i}", "assignee_unit": world.commune, "due_date": day} for i in range(5)]
    tasks_create_bulk(actor=world.city_leader, plan=world.plan, rows=rows, assign=True)
    Outbox.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        CalendarDay.objects.create(date=day, is_working=False)
    calendar_changed()
    with django_capture_on_commit_callbacks(execute=False):
        assert tasks_refresh_effective_due_dates(since=day) == 5
    [row] = Outbox.objects.all()
    assert row.payload["action"] == TaskAction.CALENDAR and len(row.payload["task_ids"]) == 5
    assert all(t.effective_due_date > day for t in Task.objects.all())
