"""The steps of a task's state machine (assign, start, submit, approve, return, cancel, reopen), and
assigning a plan's drafts at once. Each step: lock, check the actor's right (403) and the state (409), take
the transition, save, write the history row and announce the change, in one transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from plans.models import Plan, PlanState
from plans.permissions import can_manage_plan

from ..choices import TaskAction, TaskState
from ..models import Task
from ..permissions import can_transition
from .common import TaskTransitionError, _announce, _lock, _log, tasks_announce_bulk, tasks_log_bulk

# Steps that change what scoring reads: a task counts once assigned, and by its state from then on.
SCORED_ACTIONS = frozenset(
    {TaskAction.ASSIGN, TaskAction.APPROVE, TaskAction.RETURN, TaskAction.CANCEL, TaskAction.REOPEN}
)


def _step_method(task: Task, action: TaskAction):
    return getattr(task, "return_" if action == TaskAction.RETURN else action)


def check_step(*, actor, task: Task, action: TaskAction, reason: str = "", require_reason=False) -> str:
    """The rules of a step, on a task read with its plan's owner unit and its assignee unit: the actor's
    right (PermissionDenied, 403), the state (TaskTransitionError, 409), the reason where one is needed
    (ValidationError, 400). Returns the reason, trimmed. The one check of a step, taken alone or in bulk
    (`tasks.services.decisions`)."""
    if not can_transition(actor, task, action):
        raise PermissionDenied(
            _("Bạn không được thực hiện thao tác “%(action)s” với nhiệm vụ này.") % {"action": action}
        )
    if not can_proceed(_step_method(task, action)):
        raise TaskTransitionError(
            _("Không thể thực hiện thao tác “%(action)s” với nhiệm vụ đang ở trạng thái “%(state)s”.")
            % {"action": action, "state": task.get_state_display()}
        )
    reason = (reason or "").strip()
    if require_reason and not reason:
        raise ValidationError({"reason": [_("Cần nêu lý do.")]})
    return reason


def take_step(task: Task, action: TaskAction) -> str:
    """Take the transition (fields only, nothing saved); returns the state it left."""
    from_state = task.state
    _step_method(task, action)()
    return from_state


def _transition(
    *, actor, task: Task, action: TaskAction, now=None, reason: str = "", require_reason=False, before=None
) -> Task:
    now = now or timezone.now()
    task = _lock(task)
    reason = check_step(actor=actor, task=task, action=action, reason=reason, require_reason=require_reason)
    if before:
        before(task)
    from_state = take_step(task, action)
    task.save()
    _log(task, action=action, actor=actor, now=now, reason=reason, from_state=from_state, to_state=task.state)
    _announce(task, action, actor, affects_score=action in SCORED_ACTIONS)
    return task


def mark_approved(task: Task, now) -> None:
    """What approving sets besides the state: the moment, and the progress (approval says it is done)."""
    task.approved_at = now
    task.progress = 100


@transaction.atomic
def task_assign(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Assign a draft task: needs an issued plan, an assignee unit and a due date."""
    now = now or timezone.now()

    def check(t: Task) -> None:
        if t.plan.state != PlanState.ISSUED:
            raise TaskTransitionError(_("Hãy ban hành kế hoạch trước khi giao nhiệm vụ."))
        if t.due_date is None:
            raise ValidationError({"due_date": [_("Cần có hạn hoàn thành để giao nhiệm vụ.")]})
        t.assigned_at = now
        t.assigned_by = actor

    return _transition(actor=actor, task=task, action=TaskAction.ASSIGN, now=now, reason=reason, before=check)


@transaction.atomic
def task_start(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """The assignee unit starts work on the task."""
    return _transition(actor=actor, task=task, action=TaskAction.START, now=now, reason=reason)


@transaction.atomic
def task_submit(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Submit the task for approval: needs at least one evidence file. The submission time decides whether
    the task is done on time."""
    now = now or timezone.now()

    def check(t: Task) -> None:
        if not t.evidence.exists():
            raise ValidationError(
                {"evidence": [_("Hãy tải lên ít nhất một tài liệu kiểm chứng trước khi trình.")]}
            )
        t.submitted_at = now

    return _transition(actor=actor, task=task, action=TaskAction.SUBMIT, now=now, reason=reason, before=check)


@transaction.atomic
def task_approve(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Approve a submitted task; its evidence is frozen from now on."""
    now = now or timezone.now()
    return _transition(
        actor=actor,
        task=task,
        action=TaskAction.APPROVE,
        now=now,
        reason=reason,
        before=lambda t: mark_approved(t, now),
    )


@transaction.atomic
def task_return(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Return a submitted task to its assignee unit, with the reason."""
    return _transition(
        actor=actor, task=task, action=TaskAction.RETURN, now=now, reason=reason, require_reason=True
    )


@transaction.atomic
def task_cancel(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Cancel a task that is not approved; it then counts nowhere."""
    return _transition(
        actor=actor, task=task, action=TaskAction.CANCEL, now=now, reason=reason, require_reason=True
    )


@transaction.atomic
def task_reopen(*, actor, task: Task, reason: str = "", now=None) -> Task:
    """Reopen an approved task (back to in progress); its approval no longer counts."""

    def check(t: Task) -> None:
        t.approved_at = None

    return _transition(
        actor=actor,
        task=task,
        action=TaskAction.REOPEN,
        now=now,
        reason=reason,
        require_reason=True,
        before=check,
    )


#: The step services by action (the pages and the API look a step up here).
TRANSITIONS = {
    TaskAction.ASSIGN: task_assign,
    TaskAction.START: task_start,
    TaskAction.SUBMIT: task_submit,
    TaskAction.APPROVE: task_approve,
    TaskAction.RETURN: task_return,
    TaskAction.CANCEL: task_cancel,
    TaskAction.REOPEN: task_reopen,
}


@transaction.atomic
def tasks_assign_drafts(*, actor, plan: Plan, now=None) -> list[Task]:
    """Assign every draft task of an issued plan that has a due date, in bulk (e.g. right after an XLSX
    import): the drafts locked and updated in one statement, one history row each written in bulk, and ONE
    outbox event for the batch (scoring recomputes the batch's units once, notifications plan the assigned
    notices in bulk). Drafts without a due date stay drafts."""
    now = now or timezone.now()
    if not can_manage_plan(actor, plan):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị ban hành kế hoạch được giao nhiệm vụ."))
    if Plan.objects.filter(pk=plan.pk).values_list("state", flat=True).first() != PlanState.ISSUED:
        raise TaskTransitionError(_("Hãy ban hành kế hoạch trước khi giao nhiệm vụ."))
    drafts = list(
        Task.objects.select_for_update(of=("self",))
        .filter(plan=plan, state=TaskState.DRAFT, due_date__isnull=False)
        .order_by("id")
        .only("id", "plan_id", "assignee_unit_id", "state")
    )
    if not drafts:
        return []
    assigned_by = actor if actor is not None and actor.pk else None
    Task.objects.filter(pk__in=[t.pk for t in drafts]).update(
        state=TaskState.ASSIGNED, assigned_at=now, assigned_by=assigned_by, updated_at=now
    )
    tasks = list(Task.objects.filter(pk__in=[t.pk for t in drafts]).order_by("id"))
    tasks_log_bulk(tasks, action=TaskAction.ASSIGN, actor=actor, now=now, from_state=TaskState.DRAFT)
    tasks_announce_bulk(tasks, plan_id=plan.pk, action=TaskAction.ASSIGN, actor=actor, affects_score=True)
    return tasks
