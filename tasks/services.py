"""Writes for tasks: every step takes the acting user, checks their right (403) and the state (409), saves,
appends to the history in the same transaction, and announces the change after commit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from org.calendar import get_calendar
from org.models import Membership, Unit
from plans.models import Plan, PlanState
from plans.permissions import can_manage_plan, plan_reaches, reach_q
from plans.services import PlanTransitionError

from .events import TaskChange, task_event_after_commit
from .files import inspect_upload
from .models import OPEN_STATES, Evidence, Extension, ExtensionState, Task, TaskEvent, TaskState
from .permissions import can_transition, is_assignee_member, is_owner_leader


class TaskTransitionError(Exception):
    """A step not allowed from the task's current state (answers 409)."""


EDITABLE_FIELDS = (
    "title",
    "description",
    "assignee_unit",
    "lead",
    "start_date",
    "due_date",
    "priority",
    "criterion_code",
    "parent",
)
# Changing these changes what scoring reads.
SCORED_FIELDS = {"assignee_unit", "due_date", "criterion_code"}
# Steps that change what scoring reads: a task counts once assigned, and by its state from then on.
SCORED_ACTIONS = frozenset({"assign", "approve", "return", "cancel", "reopen"})


def effective_due_date(due_date: dt.date | None) -> dt.date | None:
    """SPEC §2: the due date, moved to the next working day when it falls on a non-working day."""
    return get_calendar().next_working_day(due_date) if due_date else None


def _lock(task: Task) -> Task:
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("plan__owner_unit", "assignee_unit")
        .get(pk=task.pk)
    )


def _log(
    task: Task,
    *,
    action: str,
    actor,
    now,
    reason: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
) -> TaskEvent:
    return TaskEvent.objects.create(
        task=task,
        action=action,
        actor=actor if actor and actor.pk else None,
        at=now,
        reason=reason,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


def _announce(task: Task, action: str, actor, *, affects_score: bool, other_unit_ids=()) -> None:
    task_event_after_commit(
        TaskChange(
            task_id=task.pk,
            action=action,
            plan_id=task.plan_id,
            assignee_unit_id=task.assignee_unit_id,
            actor_id=actor.pk if actor and actor.pk else None,
            affects_score=affects_score,
            other_unit_ids=tuple(other_unit_ids),
        )
    )


def validate_task_links(
    *,
    plan: Plan,
    parent: Task | None,
    lead,
    assignee_unit: Unit | None,
    criterion_code: str,
    start_date,
    due_date,
    task: Task | None = None,
    changed: set[str] | None = None,
) -> None:
    """What a task refers to, checked wherever a task is written (API, pages, imports, admin): the parent in
    the same plan and never the task itself or one of its sub-tasks, an assignee unit the plan reaches
    (SPEC §1), a lead who is an active member of that unit, a criterion of the plan's set, dates in order.
    `changed` (on an update) limits the checks of links to the fields that change, so that a task whose lead
    has since left the unit can still have its title corrected."""

    def check(*names: str) -> bool:
        return changed is None or any(n in changed for n in names)

    errors: dict[str, list[str]] = {}
    if parent is not None and check("parent"):
        if parent.plan_id != plan.pk:
            errors["parent"] = [_("The parent task must belong to the same plan.")]
        elif task is not None and task.pk and _is_below(parent, task):
            errors["parent"] = [_("A task cannot be its own parent, nor a sub-task of one of its sub-tasks.")]
    if assignee_unit is not None and check("assignee_unit") and not plan_reaches(plan, assignee_unit):
        errors["assignee_unit"] = [str(ASSIGNEE_OUT_OF_REACH)]
    # The lead is judged only against a unit in reach: an answer about a unit out of reach must read exactly
    # like one about a unit that does not exist (the serializer stops there): nothing about its members.
    if (lead is not None and check("lead", "assignee_unit") and "assignee_unit" not in errors) and (
        assignee_unit is None
        or not lead.is_active
        or not Membership.objects.filter(user=lead, unit=assignee_unit).exists()
    ):
        errors["lead"] = [str(LEAD_NOT_MEMBER)]
    if criterion_code and check("criterion_code"):
        if plan.criteria_set_id is None:
            errors["criterion_code"] = [_("The plan is not bound to a criteria set.")]
        elif not plan.criteria_set.criteria.filter(code=criterion_code, rule__isnull=False).exists():
            errors["criterion_code"] = [
                _("'%(code)s' is not a scored criterion of %(set)s.")
                % {"code": criterion_code, "set": plan.criteria_set.code}
            ]
    if start_date and due_date and start_date > due_date:
        errors["due_date"] = [_("The due date is before the start date.")]
    if errors:
        raise ValidationError(errors)


#: One answer for a unit outside the plan's reach and for a unit id that does not exist, and one for a lead
#: who is not an active member of the unit and for a user id that does not exist: an error never tells
#: whether a unit or a user exists, or where a user works.
ASSIGNEE_OUT_OF_REACH = gettext_lazy(
    "Choose a unit this plan reaches: its owner unit or a unit under it "
    "(for a department's plan, a unit of its province)."
)
LEAD_NOT_MEMBER = gettext_lazy("Choose an active member of the assignee unit as the lead official.")

_MAX_DEPTH = 50


def _is_below(candidate: Task, task: Task) -> bool:
    """Is `candidate` the task itself or one of its sub-tasks (at any depth)? Walks up from the candidate:
    a task tree is shallow, one query per level, bounded."""
    seen = 0
    node_id = candidate.pk
    while node_id is not None and seen < _MAX_DEPTH:
        if node_id == task.pk:
            return True
        node_id = Task.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()
        seen += 1
    return node_id is not None  # deeper than any real plan: refuse rather than loop


@transaction.atomic
def task_create(
    *,
    actor,
    plan: Plan,
    title: str,
    assignee_unit: Unit,
    description: str = "",
    parent: Task | None = None,
    lead=None,
    start_date: dt.date | None = None,
    due_date: dt.date | None = None,
    priority: str = "normal",
    criterion_code: str = "",
    progress: int = 0,
    now=None,
) -> Task:
    """Add a draft task (or a sub-task under `parent`) to a plan."""
    now = now or timezone.now()
    if not can_manage_plan(actor, plan):
        raise PermissionDenied(_("Only a leader of the plan's owner unit may add tasks."))
    if plan.state == PlanState.CLOSED:
        raise PlanTransitionError(_("The plan is closed."))
    validate_task_links(
        plan=plan,
        parent=parent,
        lead=lead,
        assignee_unit=assignee_unit,
        criterion_code=criterion_code,
        start_date=start_date,
        due_date=due_date,
    )
    task = Task(
        plan=plan,
        parent=parent,
        title=title,
        description=description,
        assignee_unit=assignee_unit,
        lead=lead,
        start_date=start_date,
        due_date=due_date,
        priority=priority,
        criterion_code=criterion_code,
        progress=progress,
        effective_due_date=effective_due_date(due_date),
    )
    task.full_clean(exclude=["state"])
    task.save()
    _log(task, action="create", actor=actor, now=now, to_state=task.state)
    _announce(task, "create", actor, affects_score=False)
    return task


@transaction.atomic
def task_update(*, actor, task: Task, now=None, **fields) -> Task:
    """Change a task's details (leaders of the owner unit). Approved and cancelled tasks are frozen."""
    now = now or timezone.now()
    task = _lock(task)
    if not is_owner_leader(task, actor):
        raise PermissionDenied(_("Only a leader of the plan's owner unit may change this task."))
    if task.state in (TaskState.APPROVED, TaskState.CANCELLED):
        raise TaskTransitionError(_("An approved or cancelled task cannot be changed; reopen it first."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be changed here.")] for f in unknown})
    changes = {}
    old_unit_id = task.assignee_unit_id
    for name, value in fields.items():
        old = getattr(task, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(task, name, value)
    if not changes:
        return task
    if task.due_date is None and task.state != TaskState.DRAFT:
        raise ValidationError({"due_date": [_("An assigned task needs a due date.")]})
    if "assignee_unit" in changes and task.state != TaskState.DRAFT:
        raise ValidationError({"assignee_unit": [_("The assignee unit can only change before assignment.")]})
    validate_task_links(
        task=task,
        changed=set(changes),
        plan=task.plan,
        parent=task.parent,
        lead=task.lead,
        assignee_unit=task.assignee_unit,
        criterion_code=task.criterion_code,
        start_date=task.start_date,
        due_date=task.due_date,
    )
    task.effective_due_date = effective_due_date(task.due_date)
    task.full_clean(exclude=["state"])
    task.save()
    _log(task, action="update", actor=actor, now=now, data={"changes": changes})
    _announce(
        task,
        "update",
        actor,
        affects_score=bool(SCORED_FIELDS & set(changes)),
        other_unit_ids=(old_unit_id,) if old_unit_id != task.assignee_unit_id else (),
    )
    return task


def _plain(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def _transition(
    *, actor, task: Task, action: str, now=None, reason: str = "", require_reason=False, before=None
) -> Task:
    now = now or timezone.now()
    task = _lock(task)
    if not can_transition(actor, task, action):
        raise PermissionDenied(_("You may not %(action)s this task.") % {"action": action})
    method = getattr(task, "return_" if action == "return" else action)
    if not can_proceed(method):
        raise TaskTransitionError(
            _("Cannot %(action)s a task that is %(state)s.")
            % {"action": action, "state": task.get_state_display()}
        )
    reason = (reason or "").strip()
    if require_reason and not reason:
        raise ValidationError({"reason": [_("A reason is required.")]})
    if before:
        before(task)
    from_state = task.state
    method()
    task.save()
    _log(task, action=action, actor=actor, now=now, reason=reason, from_state=from_state, to_state=task.state)
    _announce(task, action, actor, affects_score=action in SCORED_ACTIONS)
    return task


@transaction.atomic
def task_assign(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Assign a draft task: needs an issued plan, an assignee unit and a due date."""
    now = now or timezone.now()

    def check(t: Task) -> None:
        if t.plan.state != PlanState.ISSUED:
            raise TaskTransitionError(_("Issue the plan before assigning its tasks."))
        if t.due_date is None:
            raise ValidationError({"due_date": [_("A due date is required to assign the task.")]})
        t.assigned_at = now
        t.assigned_by = actor

    return _transition(actor=actor, task=task, action="assign", now=now, reason=reason, before=check)


@transaction.atomic
def task_start(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """The assignee unit starts work on the task."""
    return _transition(actor=actor, task=task, action="start", now=now, reason=reason)


@transaction.atomic
def task_submit(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Submit the task for approval: needs at least one evidence file. The submission time decides whether
    the task is done on time."""
    now = now or timezone.now()

    def check(t: Task) -> None:
        if not t.evidence.exists():
            raise ValidationError({"evidence": [_("Upload at least one evidence file before submitting.")]})
        t.submitted_at = now

    return _transition(actor=actor, task=task, action="submit", now=now, reason=reason, before=check)


@transaction.atomic
def task_approve(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Approve a submitted task; its evidence is frozen from now on."""
    now = now or timezone.now()

    def check(t: Task) -> None:
        t.approved_at = now
        t.progress = 100

    return _transition(actor=actor, task=task, action="approve", now=now, reason=reason, before=check)


@transaction.atomic
def task_return(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Return a submitted task to its assignee unit, with the reason."""
    return _transition(actor=actor, task=task, action="return", now=now, reason=reason, require_reason=True)


@transaction.atomic
def task_cancel(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Cancel a task that is not approved; it then counts nowhere."""
    return _transition(actor=actor, task=task, action="cancel", now=now, reason=reason, require_reason=True)


@transaction.atomic
def task_reopen(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Reopen an approved task (back to in progress); its approval no longer counts."""

    def check(t: Task) -> None:
        t.approved_at = None

    return _transition(
        actor=actor, task=task, action="reopen", now=now, reason=reason, require_reason=True, before=check
    )


TRANSITIONS = {
    "assign": task_assign,
    "start": task_start,
    "submit": task_submit,
    "approve": task_approve,
    "return": task_return,
    "cancel": task_cancel,
    "reopen": task_reopen,
}


@transaction.atomic
def task_report_progress(*, actor, task: Task, progress: int, note: str = "", now=None) -> Task:
    """The assignee unit reports progress (0–100) on an open task."""
    now = now or timezone.now()
    task = _lock(task)
    if not is_assignee_member(task, actor):
        raise PermissionDenied(_("Only members of the assignee unit report progress."))
    if task.state not in (*OPEN_STATES, TaskState.SUBMITTED):
        raise TaskTransitionError(_("Progress can only be reported on an open task."))
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValidationError({"progress": [_("Progress is a whole number from 0 to 100.")]})
    old = task.progress
    task.progress = progress
    task.save(update_fields=["progress", "updated_at"])
    _log(task, action="progress", actor=actor, now=now, reason=note, data={"from": old, "to": progress})
    _announce(task, "progress", actor, affects_score=False)
    return task


EVIDENCE_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.RETURNED)


def _refresh_metric(task: Task) -> bool:
    """SPEC §2: the task's metric value is the one given with its latest evidence that carries one."""
    latest = (
        task.evidence.filter(metric_value__isnull=False)
        .order_by("-uploaded_at", "-id")
        .values_list("metric_value", flat=True)
        .first()
    )
    if latest != task.metric_value:
        task.metric_value = latest
        task.save(update_fields=["metric_value", "updated_at"])
        return True
    return False


@transaction.atomic
def evidence_add(
    *,
    actor,
    task: Task,
    file,
    doc_number: str = "",
    doc_date: dt.date | None = None,
    description: str = "",
    metric_value: Decimal | None = None,
    now=None,
) -> Evidence:
    """Attach an evidence file to an open task. The file is checked by content, hashed and stored under a
    generated name."""
    now = now or timezone.now()
    task = _lock(task)
    if not is_assignee_member(task, actor):
        raise PermissionDenied(_("Only members of the assignee unit upload evidence."))
    if task.state not in EVIDENCE_STATES:
        raise TaskTransitionError(
            _("Evidence can only be added while the task is open (it is %(state)s).")
            % {"state": task.get_state_display()}
        )
    info = inspect_upload(file)
    file.name = info.name
    evidence = Evidence(
        task=task,
        file=file,
        original_name=info.name,
        content_type=info.content_type,
        size=info.size,
        sha256=info.sha256,
        doc_number=doc_number,
        doc_date=doc_date,
        description=description,
        metric_value=metric_value,
        uploaded_by=actor,
        uploaded_at=now,
    )
    evidence.full_clean(exclude=["file"])
    evidence.save()
    try:
        metric_changed = _refresh_metric(task)
        _log(
            task,
            action="evidence_added",
            actor=actor,
            now=now,
            data={
                "evidence": evidence.pk,
                "name": info.name,
                "sha256": info.sha256,
                "metric_value": str(metric_value) if metric_value is not None else None,
            },
        )
    except BaseException:
        # The row will roll back: remove the stored file too, so nothing is half-written.
        evidence.file.storage.delete(evidence.file.name)
        raise
    _announce(task, "evidence", actor, affects_score=metric_changed)
    return evidence


@transaction.atomic
def evidence_delete(*, actor, evidence: Evidence, now=None) -> None:
    """Remove an evidence file from an open task (never once the task is approved)."""
    now = now or timezone.now()
    task = _lock(evidence.task)
    if not is_assignee_member(task, actor):
        raise PermissionDenied(_("Only members of the assignee unit remove evidence."))
    if task.state not in EVIDENCE_STATES:
        raise TaskTransitionError(
            _("Evidence of a task that is %(state)s cannot be removed.") % {"state": task.get_state_display()}
        )
    name, storage = evidence.file.name, evidence.file.storage
    data = {"evidence": evidence.pk, "name": evidence.original_name, "sha256": evidence.sha256}
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))
    metric_changed = _refresh_metric(task)
    _log(task, action="evidence_removed", actor=actor, now=now, data=data)
    _announce(task, "evidence", actor, affects_score=metric_changed)


@transaction.atomic
def extension_request(*, actor, task: Task, requested_due_date: dt.date, reason: str, now=None) -> Extension:
    """A member of the assignee unit asks for a later due date."""
    now = now or timezone.now()
    task = _lock(task)
    if not is_assignee_member(task, actor):
        raise PermissionDenied(_("Only members of the assignee unit may ask for an extension."))
    if task.state not in OPEN_STATES:
        raise TaskTransitionError(_("An extension can only be asked for an open task."))
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = [_("A reason is required.")]
    if task.due_date and requested_due_date <= task.due_date:
        errors["requested_due_date"] = [
            _("The new due date must be later than the current one (%(d)s).")
            % {"d": task.due_date.isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    if task.extensions.filter(state=ExtensionState.PENDING).exists():
        raise TaskTransitionError(_("An extension request for this task is already waiting for a decision."))
    ext = Extension.objects.create(
        task=task,
        requested_by=actor,
        requested_at=now,
        previous_due_date=task.due_date,
        requested_due_date=requested_due_date,
        reason=reason.strip(),
    )
    _log(
        task,
        action="extension_requested",
        actor=actor,
        now=now,
        reason=reason.strip(),
        data={"extension": ext.pk, "requested_due_date": requested_due_date.isoformat()},
    )
    _announce(task, "extension_requested", actor, affects_score=False)
    return ext


@transaction.atomic
def extension_decide(*, actor, extension: Extension, approve: bool, note: str = "", now=None) -> Extension:
    """A leader of the owner unit approves (the due date moves) or rejects an extension request."""
    now = now or timezone.now()
    task = _lock(extension.task)
    ext = Extension.objects.select_for_update().get(pk=extension.pk)
    if not is_owner_leader(task, actor):
        raise PermissionDenied(_("Only a leader of the plan's owner unit decides extensions."))
    if ext.state != ExtensionState.PENDING:
        raise TaskTransitionError(_("This request has already been decided."))
    if approve and task.state not in (*OPEN_STATES, TaskState.SUBMITTED):
        # Moving the deadline of a finished task would rewrite whether it was done on time.
        raise TaskTransitionError(
            _("The task is %(state)s: its due date can no longer move.") % {"state": task.get_state_display()}
        )
    if not approve and not (note or "").strip():
        raise ValidationError({"reason": [_("A reason is required to reject a request.")]})
    ext.state = ExtensionState.APPROVED if approve else ExtensionState.REJECTED
    ext.decided_by, ext.decided_at, ext.decision_note = actor, now, (note or "").strip()
    ext.save()
    data = {"extension": ext.pk, "approved": approve}
    if approve:
        data.update(from_due=str(task.due_date), to_due=ext.requested_due_date.isoformat())
        task.due_date = ext.requested_due_date
        task.effective_due_date = effective_due_date(task.due_date)
        task.save(update_fields=["due_date", "effective_due_date", "updated_at"])
    _log(task, action="extension_decided", actor=actor, now=now, reason=ext.decision_note, data=data)
    _announce(task, "extension_decided", actor, affects_score=approve)
    return ext


def tasks_refresh_effective_due_dates(*, since: dt.date | None = None) -> int:
    """Recompute effective due dates after the calendar changed (only rows that change are written)."""
    calendar = get_calendar()
    qs = Task.objects.filter(due_date__isnull=False)
    if since:
        qs = qs.filter(due_date__gte=since - dt.timedelta(days=31))
    changed = []
    fields = ("id", "due_date", "effective_due_date", "plan_id", "assignee_unit_id")
    for task in qs.only(*fields).iterator(chunk_size=5000):
        eff = calendar.next_working_day(task.due_date)
        if eff != task.effective_due_date:
            task.effective_due_date = eff
            changed.append(task)
    with transaction.atomic():
        Task.objects.bulk_update(changed, ["effective_due_date"], batch_size=1000)
        # Statuses (on time or late, overdue or pending) and reminders depend on the effective due date.
        for task in changed:
            _announce(task, "calendar", None, affects_score=True)
    return len(changed)


@transaction.atomic
def tasks_import_xlsx(*, actor, plan: Plan, data: bytes, now=None) -> list[Task]:
    """Add a plan's tasks from an XLSX file (the template `tasks.xlsx.import_template` offers: unit code,
    title, dates, criterion code, priority, lead, description). Every row is checked first; any bad row
    refuses the whole file with the errors by row number, and nothing is written. The tasks are drafts."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from org.models import Membership

    from . import xlsx

    now = now or timezone.now()
    if not can_manage_plan(actor, plan):
        raise PermissionDenied(_("Only a leader of the plan's owner unit may add tasks."))
    if plan.state == PlanState.CLOSED:
        raise PlanTransitionError(_("The plan is closed."))
    rows = xlsx.read_task_rows(
        data, max_bytes=settings.TASK_IMPORT_MAX_BYTES, max_rows=settings.TASK_IMPORT_MAX_ROWS
    )
    if not rows:
        raise ValidationError({"file": [_("The file has no task rows under the header.")]})

    text = xlsx.cell_text
    # Everything the rows refer to, in a few queries for the whole file.
    units = {
        u.code: u
        # Only units the plan reaches (SPEC §1); any other code answers as one that does not exist.
        for u in Unit.objects.filter(reach_q(plan), code__in={text(r.get("unit_code")) for _n, r in rows})
    }
    usernames = {text(r.get("lead")) for _n, r in rows} - {""}
    leads = {u.username: u for u in get_user_model().objects.filter(username__in=usernames, is_active=True)}
    lead_units: dict[str, set[int]] = {}
    for username, unit_id in Membership.objects.filter(user__username__in=usernames).values_list(
        "user__username", "unit_id"
    ):
        lead_units.setdefault(username, set()).add(unit_id)
    scored_codes = (
        set(plan.criteria_set.criteria.filter(rule__isnull=False).values_list("code", flat=True))
        if plan.criteria_set_id
        else set()
    )
    seen = set(plan.tasks.exclude(state=TaskState.CANCELLED).values_list("assignee_unit__code", "title"))

    errors: list[str] = []
    clean: list[tuple[int, dict]] = []
    for rownum, raw in rows:
        problems: list[str] = []
        code = text(raw.get("unit_code"))
        title = " ".join(text(raw.get("title")).split())
        unit = units.get(code)
        if not code:
            problems.append(_("the unit code is empty"))
        elif unit is None:
            problems.append(_("there is no unit with code '%(code)s' that you may assign") % {"code": code})
        if not title:
            problems.append(_("the task title is empty"))
        elif len(title) > 500:
            problems.append(_("the task title is longer than 500 characters"))
        dates = {}
        for key, label in (("start_date", _("start date")), ("due_date", _("due date"))):
            try:
                dates[key] = xlsx.date_from_cell(raw.get(key))
            except (ValueError, OverflowError):
                problems.append(
                    _("the %(field)s '%(value)s' is not a date (dd/mm/yyyy)")
                    % {"field": label, "value": text(raw.get(key))[:40]}
                )
                dates[key] = None
        if dates["due_date"] is None and not text(raw.get("due_date")):
            problems.append(_("the due date is empty"))
        if dates["start_date"] and dates["due_date"] and dates["start_date"] > dates["due_date"]:
            problems.append(_("the due date is before the start date"))
        criterion = text(raw.get("criterion_code"))
        if criterion and criterion not in scored_codes:
            problems.append(
                _("'%(code)s' is not a scored criterion of the plan's criteria set") % {"code": criterion}
                if plan.criteria_set_id
                else _("the plan is not bound to a criteria set, so the criterion code must be empty")
            )
        priority = xlsx.priority_from_cell(raw.get("priority"))
        if priority is None:
            problems.append(
                _("the priority '%(value)s' is not one of: normal, high, urgent")
                % {"value": text(raw.get("priority"))[:40]}
            )
        username = text(raw.get("lead"))
        lead = leads.get(username) if username else None
        # One answer for an unknown user, an inactive one and one of another unit (no oracle of who exists).
        if username and unit is not None and (lead is None or unit.pk not in lead_units.get(username, set())):
            problems.append(
                _("'%(name)s' is not an active member of unit %(code)s")
                % {"name": username[:60], "code": code}
            )
        if unit is not None and title:
            if (code, title) in seen:
                problems.append(
                    _("the task '%(title)s' for unit %(code)s is already in the plan or the file")
                    % {"title": title[:80], "code": code}
                )
            seen.add((code, title))
        description = text(raw.get("description"))
        errors.extend(_("Row %(row)d: %(message)s.") % {"row": rownum, "message": p} for p in problems)
        if not problems:
            clean.append(
                (
                    rownum,
                    {
                        "assignee_unit": unit,
                        "title": title,
                        "start_date": dates["start_date"],
                        "due_date": dates["due_date"],
                        "criterion_code": criterion,
                        "priority": priority,
                        "lead": lead,
                        "description": description,
                    },
                )
            )
    if errors:
        shown = errors[:50]
        if len(errors) > len(shown):
            shown.append(_("… and %(n)d more errors.") % {"n": len(errors) - len(shown)})
        raise ValidationError({"file": shown})

    created = []
    for rownum, fields in clean:
        try:
            created.append(task_create(actor=actor, plan=plan, now=now, **fields))
        except ValidationError as exc:  # checked above; kept so a missed case still names its row
            messages = [m for msgs in getattr(exc, "message_dict", {"": exc.messages}).values() for m in msgs]
            raise ValidationError(
                {"file": [_("Row %(row)d: %(message)s.") % {"row": rownum, "message": m} for m in messages]}
            ) from exc
    return created


@transaction.atomic
def tasks_assign_drafts(*, actor, plan: Plan, now=None) -> list[Task]:
    """Assign every draft task of an issued plan that has a due date, each as `task_assign` does (its own
    history row and announcement), e.g. right after an XLSX import. Drafts without a due date stay drafts."""
    if not can_manage_plan(actor, plan):
        raise PermissionDenied(_("Only a leader of the plan's owner unit may assign its tasks."))
    if plan.state != PlanState.ISSUED:
        raise TaskTransitionError(_("Issue the plan before assigning its tasks."))
    ids = (
        plan.tasks.filter(state=TaskState.DRAFT, due_date__isnull=False)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    return [task_assign(actor=actor, task=Task(pk=pk), now=now) for pk in list(ids)]
