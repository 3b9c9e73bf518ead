"""The printed progress report of a plan (Báo cáo tiến độ thực hiện kế hoạch, PDF through `org.documents`):
the plan's owner unit's letterhead, a report number and the day it was made, the totals, each assignee unit's
tasks by state with its overdue count and percent done, and the task list.

It shows what the plan page shows its reader and nothing more: every count and row starts from
`Task.objects.visible_to(user)` (through `task_list`), and the caller has found the plan through
`Plan.objects.visible_to(user)` (404 otherwise). A constant number of queries, however many tasks and units.
The document is Vietnamese whatever the reader's language (`org.documents.DOCUMENT_LANGUAGE`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from org.documents import DOCUMENT_LANGUAGE, render_pdf, vn_date_line, vn_place_name
from org.models import Unit

from .choices import TaskState, TaskTone
from .selectors import StatusCounts, due_soon_until, task_list, with_tone

TEMPLATE = "plans/documents/plan_progress.html"
#: The states a report counts, in the order of its columns: drafts are not assigned to anyone yet and
#: cancelled tasks count nowhere (SPEC §2), as on the plan page.
COUNTED_STATES = (
    TaskState.ASSIGNED,
    TaskState.IN_PROGRESS,
    TaskState.SUBMITTED,
    TaskState.RETURNED,
    TaskState.APPROVED,
)


@dataclass
class UnitRow:
    """One assignee unit of the report: its tasks by state, and by status (overdue, done on time…)."""

    code: str
    name: str
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED_STATES, 0))
    status: StatusCounts = field(default_factory=StatusCounts)

    @property
    def by_state(self) -> list[int]:
        return [self.states[s] for s in COUNTED_STATES]

    @property
    def total(self) -> int:
        return sum(self.states.values())

    def add(self, other: UnitRow) -> None:
        for state, n in other.states.items():
            self.states[state] += n
        self.status = self.status + other.status


def report_number(plan) -> str:
    """The report's number: the plan's id, BC (báo cáo) and the owner unit's code ("12/BC-C01"). One report
    per plan; the date printed beside it tells one printing from the next."""
    return f"{plan.pk}/BC-{plan.owner_unit.code}"


def report_filename(plan, today: dt.date) -> str:
    return f"bao-cao-tien-do-{slugify(f'{plan.number}-{plan.year}') or plan.pk}-{today:%Y%m%d}.pdf"


def unit_rows(*, user, plan, today: dt.date) -> list[UnitRow]:
    """The assignee units of the plan's tasks the user may see, by unit code: counts by state and by
    status. One grouped query."""
    counts = (
        task_list(user=user, today=today)
        .filter(plan=plan, state__in=COUNTED_STATES)
        .values("assignee_unit__code", "assignee_unit__name", "state", "status_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows: dict[str, UnitRow] = {}
    for c in counts:
        code = c["assignee_unit__code"]
        row = rows.setdefault(code, UnitRow(code=code, name=c["assignee_unit__name"]))
        row.states[c["state"]] += c["n"]
        row.status.add(c["status_code"], c["n"])
    return [rows[code] for code in sorted(rows)]


def report_tasks(*, user, plan, today: dt.date):
    """The plan's tasks the user may see, drafts left out (nobody's work yet), by unit, due date and id,
    with their tone (the status words of the lists): one query."""
    qs = with_tone(task_list(user=user, today=today), soon_until=due_soon_until(today))
    return (
        qs.filter(plan=plan)
        .exclude(state=TaskState.DRAFT)
        .order_by("assignee_unit__code", "effective_due_date", "id")
    )


def plan_progress_context(*, user, plan, today: dt.date, now: dt.datetime) -> dict:
    """What the report prints (see the module's docstring). `plan` comes with its owner unit loaded."""
    owner = plan.owner_unit
    parent = Unit.objects.filter(pk=owner.parent_id).values_list("name", flat=True).first()
    units = unit_rows(user=user, plan=plan, today=today)
    total = UnitRow(code="", name="")
    for row in units:
        total.add(row)
    with translation.override(DOCUMENT_LANGUAGE):
        return {
            "authority_parent": parent or "",
            "authority": owner.name,
            "number": report_number(plan),
            "date_line": vn_date_line(vn_place_name(owner.name), today),
            "title": _("Báo cáo tiến độ thực hiện kế hoạch"),
            "subtitle": _("Kế hoạch số %(number)s: %(title)s") % {"number": plan.number, "title": plan.title},
            "plan": plan,
            "state_labels": [str(s.label) for s in COUNTED_STATES],
            "units": units,
            "total": total,
            "tasks": report_tasks(user=user, plan=plan, today=today),
            "generated_at": now,
            "tone_labels": {t.value: str(t.label) for t in TaskTone},
        }


def plan_progress_pdf(*, user, plan, today: dt.date, now: dt.datetime) -> bytes:
    """The plan's progress report as PDF bytes (A4 landscape)."""
    context = plan_progress_context(user=user, plan=plan, today=today, now=now)
    return render_pdf(TEMPLATE, context, language=DOCUMENT_LANGUAGE)
