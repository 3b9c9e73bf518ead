"""A task's timeline (history rows and comments, one list) and who may be mentioned in its comments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q, Value
from django.db.models.functions import Lower

from org.models import User

from ..choices import TaskState
from ..models import Task, TaskComment, TaskEvent


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a task's timeline: a history row (`event`) or a comment (`comment`), newest first."""

    at: dt.datetime
    event: TaskEvent | None = None
    comment: TaskComment | None = None

    @property
    def is_comment(self) -> bool:
        return self.comment is not None


def task_timeline(task: Task):
    """The task's history rows and comments as one list, newest first, for a paginator: a UNION of the two
    tables' (kind, id, time), ordered and sliced in SQL. `timeline_entries(page.object_list)` then reads the
    rows of one page (two queries, whatever the page's size)."""
    events = (
        TaskEvent.objects.filter(task=task)
        .order_by()  # no ORDER BY inside a compound statement (SQLite refuses it; the UNION orders)
        .annotate(entry_kind=Value("event"), entry_id=F("id"), entry_at=F("at"))
        .values_list("entry_kind", "entry_id", "entry_at")
    )
    comments = (
        TaskComment.objects.filter(task=task)
        .order_by()
        .annotate(entry_kind=Value("comment"), entry_id=F("id"), entry_at=F("created_at"))
        .values_list("entry_kind", "entry_id", "entry_at")
    )
    return events.union(comments, all=True).order_by("-entry_at", "-entry_id")


def timeline_entries(rows) -> list[TimelineEntry]:
    """The entries of (kind, id, time) rows from `task_timeline`, in their order, with who wrote or did
    each and whom a comment mentions."""
    rows = list(rows)
    event_ids = [pk for kind, pk, _at in rows if kind == "event"]
    comment_ids = [pk for kind, pk, _at in rows if kind == "comment"]
    events = TaskEvent.objects.select_related("actor").in_bulk(event_ids) if event_ids else {}
    comments = (
        TaskComment.objects.select_related("author").prefetch_related("mentions").in_bulk(comment_ids)
        if comment_ids
        else {}
    )
    entries = []
    for kind, pk, at in rows:
        if kind == "comment" and pk in comments:
            entries.append(TimelineEntry(at=at, comment=comments[pk]))
        elif kind == "event" and pk in events:
            entries.append(TimelineEntry(at=at, event=events[pk]))
    return entries


def task_viewers_named(task: Task, usernames) -> list[User]:
    """The active users whose username is one of `usernames` (compared without case) and who can see
    `task`, in one query. The same rule as `Task.objects.visible_to` (SPEC §1), asked the other way round:
    a superuser, or a member of a unit on the path to the plan's owner unit, or, once the task is no longer
    a draft, on the path to its assignee unit."""
    wanted = sorted({name.lower() for name in usernames})
    if not wanted:
        return []
    unit_ids = set(task.plan.owner_unit.ancestor_ids())
    if task.state != TaskState.DRAFT:
        unit_ids |= set(task.assignee_unit.ancestor_ids())
    return list(
        User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=wanted, is_active=True)
        .filter(Q(is_superuser=True) | Q(memberships__unit_id__in=unit_ids))
        .distinct()
        .order_by("id")
    )
