"""The approval inbox: submitted tasks and extension requests waiting for the user's decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, F, Value
from django.utils import timezone

from org.selectors import user_memberships

from ..choices import ExtensionState, TaskState
from ..models import Extension, Task
from .lists import _plans_owned_under, task_list
from .tone import due_soon_until, with_tone

#: `_decidable_plans` for a superuser: every plan.
ALL_PLANS = None


def _decidable_plans(user):
    """The plans whose tasks and requests the user decides (`permissions.is_owner_leader`: owned by a unit
    they lead or one under it), as `_plans_owned_under` gives them; `ALL_PLANS` for a superuser."""
    if user.is_superuser:
        return ALL_PLANS
    return _plans_owned_under([path for _u, path, role in user_memberships(user) if role == "leader"])


def awaiting_my_decision_extensions(*, user, plans=...):
    """Pending extension requests the user may decide (`permissions.can_decide_extension`: a leader of the
    plan's owner unit or above it), on tasks they see. `plans`: `_decidable_plans(user)`, if already read."""
    plans = _decidable_plans(user) if plans is ... else plans
    qs = Extension.objects.filter(
        state=ExtensionState.PENDING, task__in=Task.objects.visible_to(user).values("pk")
    )
    return qs if plans is ALL_PLANS else qs.filter(task__plan_id__in=plans)


def awaiting_my_approval_tasks(*, user, plans=...):
    """Submitted tasks the user may approve or return, among those they see (`awaiting_my_approval_q`).
    `plans`: `_decidable_plans(user)`, if already read."""
    plans = _decidable_plans(user) if plans is ... else plans
    qs = Task.objects.visible_to(user).filter(state=TaskState.SUBMITTED)
    return qs if plans is ALL_PLANS else qs.filter(plan_id__in=plans)


#: How the inbox orders its items: the most urgent (the earliest deadline, overdue first) or the newest.
INBOX_SORTS = ("urgent", "newest")


def inbox_rows(*, user, sort: str = "urgent"):
    """The approval inbox as ONE list: submitted tasks awaiting the user's approval and pending extension
    requests awaiting their decision, as rows of `kind` ("task" or "extension"), `item_id`, `task_ref`,
    `at` (submitted or asked) and `due` (the task's effective due date). One query (a UNION, after the
    ids of the plans the user decides), which pages: `inbox_items` then reads a page's objects."""
    plans = _decidable_plans(user)  # read once for both halves
    tasks = (
        awaiting_my_approval_tasks(user=user, plans=plans)
        .order_by()
        .annotate(
            kind=Value("task", output_field=models.CharField()),
            item_id=F("id"),
            task_ref=F("id"),
            at=F("submitted_at"),
            due=F("effective_due_date"),
        )
        .values_list("kind", "item_id", "task_ref", "at", "due")
    )
    extensions = (
        awaiting_my_decision_extensions(user=user, plans=plans)
        .order_by()
        .annotate(
            kind=Value("extension", output_field=models.CharField()),
            item_id=F("id"),
            task_ref=F("task_id"),
            at=F("requested_at"),
            due=F("task__effective_due_date"),
        )
        .values_list("kind", "item_id", "task_ref", "at", "due")
    )
    rows = tasks.union(extensions, all=True)
    if sort == "newest":
        return rows.order_by(F("at").desc(nulls_last=True), "kind", "item_id")
    return rows.order_by(F("due").asc(nulls_last=True), F("at").desc(nulls_last=True), "kind", "item_id")


def inbox_count(*, user) -> int:
    """How many items wait in the user's inbox (the menu's badge): one query."""
    return inbox_rows(user=user).order_by().count()


@dataclass
class InboxItem:
    """One row of the inbox: a submitted task, or an extension request with its task."""

    kind: str
    task: Task
    extension: Extension | None = None

    @property
    def key(self) -> str:
        return f"{'x' if self.extension else 't'}{self.extension.pk if self.extension else self.task.pk}"


def inbox_items(*, user, rows, today: dt.date | None = None) -> list[InboxItem]:
    """The objects of a page of `inbox_rows`, in its order: the tasks (with what the rows show and their
    evidence count) in one query, the extension requests in another."""
    rows = list(rows)
    today = today or timezone.localdate()
    task_ids = {r[2] for r in rows}
    ext_ids = [r[1] for r in rows if r[0] == "extension"]
    tasks = {
        t.pk: t
        for t in with_tone(
            task_list(user=user, today=today).filter(pk__in=task_ids), soon_until=due_soon_until(today)
        ).annotate(evidence_count=Count("evidence", distinct=True))
    }
    extensions = (
        {x.pk: x for x in Extension.objects.filter(pk__in=ext_ids).select_related("requested_by")}
        if ext_ids
        else {}
    )
    items = []
    for kind, item_id, task_id, _at, _due in rows:
        task = tasks.get(task_id)
        if task is None:  # gone between the two reads
            continue
        if kind == "extension":
            ext = extensions.get(item_id)
            if ext is not None:
                items.append(InboxItem(kind=kind, task=task, extension=ext))
        else:
            items.append(InboxItem(kind=kind, task=task))
    return items
