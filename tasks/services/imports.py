"""Adding a plan's tasks from an XLSX file, in three steps: read the rows (`tasks.xlsx`), check every row
against what the plan and the database hold, then write them all as drafts, or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Membership, Unit
from plans.models import Plan
from plans.permissions import reach_q

from .. import xlsx
from ..choices import TaskState
from ..models import Task
from .bulk import Content, Placement, _int_array, _text_array, tasks_write_bulk
from .crud import check_may_add_tasks

#: At most this many errors are listed; the rest are counted.
_ERRORS_SHOWN = 50


@transaction.atomic
def tasks_import_xlsx(*, actor, plan: Plan, data: bytes, now=None) -> Sequence[Task]:
    """Add a plan's tasks from an XLSX file (the template `tasks.xlsx.import_template` offers: unit code,
    title, dates, criterion code, priority, lead, description). Every row is checked first; any bad row
    refuses the whole file with the errors by row number, and nothing is written. The tasks are drafts,
    written by `tasks_write_bulk` (up to `TASK_IMPORT_MAX_ROWS` rows in a constant number of queries)."""
    now = now or timezone.now()
    check_may_add_tasks(actor, plan)
    rows = _read_rows(data)
    clean = _checked_rows(plan, rows)
    return _write_rows(actor=actor, plan=plan, clean=clean, now=now)


def _read_rows(data: bytes) -> list[tuple[int, dict]]:
    """(row number, raw cells by column) of the file's task rows; a file without any is refused."""
    rows = xlsx.read_task_rows(
        data, max_bytes=settings.TASK_IMPORT_MAX_BYTES, max_rows=settings.TASK_IMPORT_MAX_ROWS
    )
    if not rows:
        raise ValidationError({"file": [_("Tệp không có dòng nhiệm vụ nào dưới dòng tiêu đề.")]})
    return rows


@dataclass
class _Known:
    """Everything the rows refer to, read in a few queries for the whole file."""

    units: dict[str, Unit]  # by code, only units the plan reaches
    leads: dict[str, object]  # active users by username
    lead_units: dict[str, set[int]]  # username → ids of the units where they hold a membership
    scored_codes: set[str]  # codes of the scored criteria of the plan's set
    bound: bool  # is the plan bound to a criteria set?
    seen: set[tuple[str, str]]  # (unit code, title) of the plan's tasks and of the rows so far
    priorities: dict = field(default_factory=dict)  # a priority cell's value → its choice (or None)

    def priority(self, value):
        """The priority a cell names: each distinct value read once (a file repeats a few of them)."""
        try:
            return self.priorities[value]
        except KeyError:
            self.priorities[value] = found = xlsx.priority_from_cell(value)
            return found

    @classmethod
    def load(cls, plan: Plan, rows: list[tuple[int, dict]]) -> _Known:
        text = xlsx.cell_text
        codes = {text(r.get("unit_code")) for _n, r in rows}
        # Only units the plan reaches (SPEC §1); any other code answers as one that does not exist.
        units = {u.code: u for u in Unit.objects.filter(reach_q(plan), code__in=codes)}
        usernames = {text(r.get("lead")) for _n, r in rows} - {""}
        leads = {
            u.username: u for u in get_user_model().objects.filter(username__in=usernames, is_active=True)
        }
        lead_units: dict[str, set[int]] = {}
        for username, unit_id in Membership.objects.filter(user__username__in=usernames).values_list(
            "user__username", "unit_id"
        ):
            lead_units.setdefault(username, set()).add(unit_id)
        bound = plan.criteria_set_id is not None
        scored_codes = (
            set(plan.criteria_set.criteria.filter(rule__isnull=False).values_list("code", flat=True))
            if bound
            else set()
        )
        # Only the plan's tasks that a row could repeat: those of the file's units with one of its titles
        # (the titles as the rows give them, spaces collapsed as they are written).
        titles = {" ".join(text(r.get("title")).split()) for _n, r in rows} - {""}
        code_of = {u.pk: code for code, u in units.items()}
        seen = {(code_of[unit_id], title) for unit_id, title in _taken(plan, list(code_of), titles)}
        return cls(units, leads, lead_units, scored_codes, bound, seen)


def _taken(plan: Plan, unit_ids: list[int], titles: set[str]) -> list[tuple[int, str]]:
    """(unit id, title) of the plan's tasks, but cancelled ones, of these units with one of these titles:
    read from the (plan, assignee unit, title) index alone. On PostgreSQL the ids and titles travel as two
    array literals (the driver splices a list into the statement value by value)."""
    if not unit_ids or not titles:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT assignee_unit_id, title FROM tasks_task WHERE plan_id = %s "
                "AND assignee_unit_id = ANY(%s::bigint[]) AND title = ANY(%s::text[]) AND state <> %s",
                [plan.pk, _int_array(unit_ids), _text_array(titles), TaskState.CANCELLED],
            )
            return cursor.fetchall()
    return list(
        plan.tasks.filter(assignee_unit_id__in=unit_ids, title__in=titles)
        .exclude(state=TaskState.CANCELLED)
        .order_by()
        .values_list("assignee_unit_id", "title")
    )


def _checked_rows(plan: Plan, rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """(row number, task fields) of every row, or a ValidationError listing each problem of each row."""
    known = _Known.load(plan, rows)
    errors: list[str] = []
    clean: list[tuple[int, dict]] = []
    for rownum, raw in rows:
        problems, fields = _check_row(raw, known)
        errors.extend(_("Dòng %(row)d: %(message)s.") % {"row": rownum, "message": p} for p in problems)
        if not problems:
            clean.append((rownum, fields))
    if errors:
        shown = errors[:_ERRORS_SHOWN]
        if len(errors) > len(shown):
            shown.append(_("… và %(n)d lỗi khác.") % {"n": len(errors) - len(shown)})
        raise ValidationError({"file": shown})
    return clean


def _check_row(raw: dict, known: _Known) -> tuple[list[str], dict]:
    """The problems of one row, in the order of its columns, and the task fields it gives. Marks the row's
    (unit, title) as seen, so that a later row repeating it is refused."""
    text = xlsx.cell_text
    problems: list[str] = []
    code = text(raw.get("unit_code"))
    title = " ".join(text(raw.get("title")).split())
    unit = known.units.get(code)
    if not code:
        problems.append(_("mã đơn vị bị trống"))
    elif unit is None:
        problems.append(_("không có đơn vị mã '%(code)s' trong phạm vi bạn được giao") % {"code": code})
    if not title:
        problems.append(_("tên nhiệm vụ bị trống"))
    elif len(title) > 500:
        problems.append(_("tên nhiệm vụ dài quá 500 ký tự"))
    dates = _row_dates(raw, problems)
    criterion = text(raw.get("criterion_code"))
    if criterion and criterion not in known.scored_codes:
        problems.append(
            _("'%(code)s' không phải tiêu chí được chấm điểm trong bộ tiêu chí của kế hoạch")
            % {"code": criterion}
            if known.bound
            else _("kế hoạch chưa gắn bộ tiêu chí nên phải để trống mã tiêu chí")
        )
    priority = known.priority(raw.get("priority"))
    if priority is None:
        problems.append(
            _("mức ưu tiên '%(value)s' không phải: Bình thường, Cao, Khẩn")
            % {"value": text(raw.get("priority"))[:40]}
        )
    lead = _row_lead(text(raw.get("lead")), unit, code, known, problems)
    if unit is not None and title:
        if (code, title) in known.seen:
            problems.append(
                _("nhiệm vụ '%(title)s' của đơn vị %(code)s đã có trong kế hoạch hoặc trong tệp")
                % {"title": title[:80], "code": code}
            )
        known.seen.add((code, title))
    fields = {
        "assignee_unit": unit,
        "title": title,
        **dates,
        "criterion_code": criterion,
        "priority": priority,
        "lead": lead,
        "description": text(raw.get("description")),
    }
    return problems, fields


def _row_dates(raw: dict, problems: list[str]) -> dict:
    """The row's start and due dates (None where empty or unreadable), adding their problems."""
    dates = {}
    for key, label in (("start_date", _("ngày bắt đầu")), ("due_date", _("hạn hoàn thành"))):
        try:
            dates[key] = xlsx.date_from_cell(raw.get(key))
        except (ValueError, OverflowError):
            problems.append(
                _("%(field)s '%(value)s' không phải là ngày (ngày/tháng/năm)")
                % {"field": label, "value": xlsx.cell_text(raw.get(key))[:40]}
            )
            dates[key] = None
    if dates["due_date"] is None and not xlsx.cell_text(raw.get("due_date")):
        problems.append(_("hạn hoàn thành bị trống"))
    if dates["start_date"] and dates["due_date"] and dates["start_date"] > dates["due_date"]:
        problems.append(_("hạn hoàn thành trước ngày bắt đầu"))
    return dates


def _row_lead(username: str, unit: Unit | None, code: str, known: _Known, problems: list[str]):
    """The row's lead official (None when the cell is empty), adding the problem when there is one."""
    lead = known.leads.get(username) if username else None
    # One answer for an unknown user, an inactive one and one of another unit (no oracle of who exists).
    if (
        username
        and unit is not None
        and (lead is None or unit.pk not in known.lead_units.get(username, set()))
    ):
        problems.append(
            _("'%(name)s' không phải cán bộ đang hoạt động của đơn vị %(code)s")
            % {"name": username[:60], "code": code}
        )
    return lead


def _write_rows(*, actor, plan: Plan, clean: list[tuple[int, dict]], now) -> Sequence[Task]:
    """Create the checked rows' tasks (in the import's transaction) in bulk: a constant number of queries
    for the whole file, one history row per task and one outbox event for the file. The rows were checked
    above against everything a task of the file may say (the unit in the plan's reach, the lead a member of
    it, a scored criterion code, the dates, the priority), so they go to `tasks_write_bulk` as they are."""
    contents = [
        Content(
            plan=plan,
            fields={k: v for k, v in fields.items() if k not in ("assignee_unit", "lead")},
            assign=False,
            row=rownum,
        )
        for rownum, fields in clean
    ]
    placements = [
        Placement(i, fields["assignee_unit"].pk, getattr(fields["lead"], "pk", None), rownum)
        for i, (rownum, fields) in enumerate(clean)
    ]
    return tasks_write_bulk(contents=contents, placements=placements, actor=actor, now=now).created
