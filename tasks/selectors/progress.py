"""The tally of tasks done on time, done late, pending and overdue (SPEC §2): a plan's, by assignee unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from ..choices import TaskState, TaskStatus
from ..models import Task

#: The statuses that count (SPEC §2), in the order of the stacked bars: drafts and cancelled tasks count
#: nowhere.
COUNTED_STATUSES = (TaskStatus.ON_TIME, TaskStatus.LATE, TaskStatus.PENDING, TaskStatus.OVERDUE)


@dataclass
class StatusCounts:
    """How many tasks are done on time, done late, open in time (pending) and overdue, with the rates and
    the stacked bar the pages show. The one tally of the plan page, its export and the leader dashboard."""

    on_time: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0

    def add(self, status: str, n: int = 1) -> None:
        """Count `n` tasks of `status`; statuses that count nowhere (draft, cancelled) are ignored."""
        if status in COUNTED_STATUSES:
            setattr(self, status, getattr(self, status) + n)

    def __add__(self, other: StatusCounts) -> StatusCounts:
        return StatusCounts(**{s: getattr(self, s) + getattr(other, s) for s in COUNTED_STATUSES})

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.overdue + self.pending

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def completion_percent(self) -> float | None:
        return round(100 * self.done / self.total, 1) if self.total else None

    @property
    def on_time_percent(self) -> float | None:
        return round(100 * self.on_time / self.total, 1) if self.total else None

    @property
    def bar(self) -> dict[str, dict[str, float]]:
        """Each part's offset `x` and `width` in a 100-wide stacked bar, in `COUNTED_STATUSES` order."""
        total, x, parts = self.total, 0.0, {}
        for status in COUNTED_STATUSES:
            width = 100 * getattr(self, status) / total if total else 0
            parts[status.value] = {"x": round(x, 2), "width": round(width, 2)}
            x += width
        return parts


@dataclass(kw_only=True)
class UnitStatusCounts(StatusCounts):
    """The tally of one assignee unit."""

    unit_id: int
    code: str
    name: str


def plan_progress_by_unit(*, user, plan, today: dt.date | None = None) -> list[UnitStatusCounts]:
    """SPEC §2 by assignee unit for one plan, counting only the tasks the user may see, and neither the
    cancelled ones nor the drafts (they count nowhere): done on time, done late, open in time (pending),
    overdue. One grouped query."""
    today = today or timezone.localdate()
    rows = (
        Task.objects.visible_to(user)
        .filter(plan=plan)
        .exclude(state__in=(TaskState.CANCELLED, TaskState.DRAFT))
        .with_status(today)
        .values("assignee_unit_id", "assignee_unit__code", "assignee_unit__name", "status_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_unit: dict[int, UnitStatusCounts] = {}
    for row in rows:
        unit = by_unit.get(row["assignee_unit_id"])
        if unit is None:
            unit = by_unit[row["assignee_unit_id"]] = UnitStatusCounts(
                unit_id=row["assignee_unit_id"],
                code=row["assignee_unit__code"],
                name=row["assignee_unit__name"],
            )
        unit.add(row["status_code"], row["n"])
    return sorted(by_unit.values(), key=lambda r: r.code)


def progress_totals(rows: list[StatusCounts]) -> StatusCounts:
    """The sum of `plan_progress_by_unit` rows."""
    return sum(rows, StatusCounts())
