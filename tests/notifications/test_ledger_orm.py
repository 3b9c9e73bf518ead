"""The ledger's ORM path, the one the demo's SQLite takes (`make run`; PostgreSQL takes one statement): each
kind of ledger row inserted once, the call returning exactly the rows it inserted in `kind.created`'s
columns, whether or not `created` holds every column of the key (an event notice's has no event id). Run
here on PostgreSQL through the same function the other databases call."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.services.ledger import EVENT_LEDGER, TASK_LEDGER, _ledger_insert_orm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", [EVENT_LEDGER, TASK_LEDGER], ids=["event", "reminder"])
def test_the_orm_path_inserts_each_row_once_and_returns_what_it_inserted(world, kind):
    task = world.task("assigned", title="Niêm yết thủ tục")
    due = task.effective_due_date or timezone.localdate()
    last = -task.pk if kind is EVENT_LEDGER else 0  # the event id, or the reminder's offset

    def row(recipient):
        return (
            recipient.pk,
            "assigned" if kind is EVENT_LEDGER else "due_3",
            task.pk,
            task.plan_id,
            "T",
            "B",
            due,
            last,
        )

    now = timezone.now()
    first = _ledger_insert_orm([row(world.official), row(world.colleague)], now, kind)
    assert sorted(r["recipient_id"] for r in first) == sorted([world.official.pk, world.colleague.pk])
    assert all(set(r) == set(kind.created) for r in first)
    # Planned again (a retried job), with one person more: only that one is new.
    again = _ledger_insert_orm([row(world.official), row(world.city_leader)], timezone.now(), kind)
    assert [r["recipient_id"] for r in again] == [world.city_leader.pk]
    assert Notification.objects.filter(task=task, **kind.predicate).count() == 3
