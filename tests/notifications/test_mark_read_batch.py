"""Who acts on a batch of tasks (a cascade's 68,000 copies) has seen what they were told about those tasks:
`notifications_mark_task_read` marks the same notices read whether the ids fit in its statement or not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.services import reading
from notifications.services.reading import notifications_mark_task_read

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("many", [False, True])
def test_the_actor_s_notices_of_the_batch_and_only_those_are_marked_read(world, monkeypatch, many):
    if many:  # the batch's ids no longer go in the statement
        monkeypatch.setattr(reading, "_IDS_IN_QUERY", 1)
    inside, outside = world.task("assigned"), world.task("assigned", title="Niêm yết TTHC")
    now = timezone.now()

    events = iter(range(1, 100))

    def notice(task, recipient, **kw):
        return Notification.objects.create(
            recipient=recipient,
            kind="assigned",
            task=task,
            plan_id=task.plan_id,
            title=task.title,
            event_id=next(events),
            **kw,
        )

    mine = notice(inside, world.official, created_at=now - dt.timedelta(hours=1))
    other_task = notice(outside, world.official, created_at=now - dt.timedelta(hours=1))
    someone_else = notice(inside, world.colleague, created_at=now - dt.timedelta(hours=1))
    later = notice(inside, world.official, created_at=now + dt.timedelta(hours=1))
    assert (
        notifications_mark_task_read(
            user_id=world.official.pk, task_ids=[inside.pk, inside.pk + 10**6], now=now
        )
        == 1
    )
    read = set(Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True))
    assert read == {mine.pk}
    assert {other_task.pk, someone_else.pk, later.pk}.isdisjoint(read)
