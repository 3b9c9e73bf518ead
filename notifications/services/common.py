"""What the planning and the event notices share: the planned row, the task fields they read, and who is
who for a batch of tasks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice

from org.models import Role, User
from org.selectors import unit_members

from ..policy import VN_TZ
from ..texts import TaskInfo


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(VN_TZ).date()


def _batched(items, size):
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


@dataclass(frozen=True)
class Planned:
    """A row a planner created: a task reminder or event notice (`task_id`), or a round notice
    (`criteria_set_id` and `unit_id`, no task)."""

    notification_id: int
    task_id: int | None
    recipient_id: int
    kind: str
    offset: int | None
    due_date: dt.date | None
    title: str
    criteria_set_id: int | None = None
    unit_id: int | None = None


@dataclass
class _People:
    """Who is who for a batch of tasks, read in bulk."""

    officials: dict[int, set[int]]  # unit id → user ids
    leaders: dict[int, set[int]]
    active_leads: set[int]

    @classmethod
    def load(cls, *, unit_ids, owner_unit_ids, lead_ids) -> _People:
        officials: dict[int, set[int]] = defaultdict(set)
        leaders: dict[int, set[int]] = defaultdict(set)
        for unit_id, user_id in unit_members(unit_ids=set(unit_ids), roles=[Role.OFFICIAL]):
            officials[unit_id].add(user_id)
        for unit_id, user_id in unit_members(
            unit_ids=set(unit_ids) | set(owner_unit_ids), roles=[Role.LEADER]
        ):
            leaders[unit_id].add(user_id)
        active = set(User.objects.filter(pk__in=set(lead_ids), is_active=True).values_list("pk", flat=True))
        return cls(officials=officials, leaders=leaders, active_leads=active)

    def task_people(self, lead_id, unit_id) -> set[int]:
        """SPEC §4: the task's lead official, or, where none is set, every official of the assignee unit."""
        if lead_id and lead_id in self.active_leads:
            return {lead_id}
        return set(self.officials.get(unit_id, ()))

    def for_reminder(self, kind: str, *, lead_id, unit_id, owner_unit_id) -> set[int]:
        if kind == "escalation":
            return set(self.leaders.get(owner_unit_id, ()))
        people = self.task_people(lead_id, unit_id)
        if kind == "overdue":
            people |= self.leaders.get(unit_id, set())
        return people


_TASK_FIELDS = (
    "id",
    "plan_id",
    "state",
    "assigned_at",
    "start_date",
    "effective_due_date",
    "progress",
    "lead_id",
    "assignee_unit_id",
    "plan__owner_unit_id",
    "title",
    "plan__number",
    "plan__title",
    "assignee_unit__name",
)


def _task_info(row: dict) -> TaskInfo:
    return TaskInfo(
        id=row["id"],
        title=row["title"],
        plan_number=row["plan__number"],
        plan_title=row["plan__title"],
        unit_name=row["assignee_unit__name"],
        due_date=row["effective_due_date"],
        progress=row["progress"],
    )
