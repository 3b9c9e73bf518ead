"""Sorting the task lists: the whitelist of sortable columns and the order each names."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, NullIf

from ..choices import TaskState


@dataclass(frozen=True)
class TaskSort:
    """The column a task list is sorted by, and which way: `?sort=unit` (ascending), `?sort=-unit`."""

    key: str
    descending: bool = False

    @property
    def param(self) -> str:
        """The query value that asks for this sort."""
        return f"-{self.key}" if self.descending else self.key

    @property
    def reversed(self) -> TaskSort:
        return TaskSort(self.key, not self.descending)


def _state_rank():
    """The states in the order of the workflow (draft first, cancelled last), not alphabetically."""
    return Case(
        *(When(state=state, then=Value(rank)) for rank, state in enumerate(TaskState)),
        output_field=models.IntegerField(),
    )


def _shown_progress():
    """`Task.shown_progress` in SQL: 100 once approved, else the last report."""
    return Case(
        When(state=TaskState.APPROVED, then=Value(100)),
        default=F("progress"),
        output_field=models.IntegerField(),
    )


#: The whitelist of sortable columns: each key and the expressions it orders by. Nothing else reaches
#: `order_by`: an unknown `sort` is no sort (the list's default order), never an error.
TASK_SORT_KEYS = {
    "deadline": lambda: [F("effective_due_date")],
    "unit": lambda: [F("assignee_unit__name"), F("assignee_unit__code")],
    "plan": lambda: [F("plan__year"), F("plan__number")],
    "state": lambda: [_state_rank()],
    "progress": lambda: [_shown_progress()],
    "lead": lambda: [Coalesce(NullIf(F("lead__full_name"), Value("")), F("lead__username"))],
}


def task_sort(raw: str | None) -> TaskSort | None:
    """The sort a query asks for ("unit", "-deadline"), or None for anything not in `TASK_SORT_KEYS`."""
    raw = (raw or "").strip()
    key = raw.removeprefix("-")
    return TaskSort(key, descending=raw.startswith("-")) if key in TASK_SORT_KEYS else None


def default_task_sort(tab: str) -> TaskSort | None:
    """The order of a tab when the query names none: by deadline; "done" (Đã duyệt) by the latest approval
    (a column the table does not show, so None)."""
    return None if tab == "done" else TaskSort("deadline")


def sorted_tasks(qs, *, sort: TaskSort | None):
    """`qs` in the order `sort` names (None: the latest approved first). Tasks without a value (no lead, no
    due date) come last either way; ties go by deadline, then id, so that pages never overlap."""
    if sort is None:
        return qs.order_by("-approved_at", "-id")
    exprs = TASK_SORT_KEYS[sort.key]()
    order = [e.desc(nulls_last=True) if sort.descending else e.asc(nulls_last=True) for e in exprs]
    if sort.key != "deadline":
        order.append(F("effective_due_date").asc(nulls_last=True))
    return qs.order_by(*order, "id")
