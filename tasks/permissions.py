"""Who may do what to a task (SPEC §1). Plain predicates over (task, user); `TRANSITION_RULES` is the one
declaration of who may take each step of the state machine: the services enforce it (`can_transition`),
the transitions carry it as their `permission` so `get_available_user_state_transitions(user)` lists what a
user may do now, and the views ask it to show a button.

The last section says what the task and plan pages offer a user now, besides the steps: who (the predicates
above) and when (the states in which the service accepts the write). The pages only ask them, to show a
form or a button; the services check both halves (403, then 409) and have the last word."""

from __future__ import annotations

from org.selectors import user_has_role, user_is_member, user_roles
from plans.models import PlanState
from plans.permissions import can_manage_plan, plan_reaches

from .choices import (
    EVIDENCE_STATES,
    EXTENSION_REQUEST_STATES,
    FROZEN_STATES,
    PROGRESS_STATES,
    TaskAction,
    TaskState,
)


def is_owner_leader(task, user) -> bool:
    """Leaders of the plan's owner unit (or above it) assign, approve, return, cancel and reopen."""
    return user_has_role(user, "leader", task.plan.owner_unit)


def is_assignee_member(task, user) -> bool:
    """Members of the assignee unit work on the task."""
    return user_is_member(user, task.assignee_unit)


def is_split_subtask(task) -> bool:
    """A sub-task a unit made for its officials by splitting a task it received (`task_split`): it belongs
    to the same unit as its parent and carries no criterion code (the received task is what is scored)."""
    return (
        task.parent_id is not None
        and not task.criterion_code
        and task.parent.assignee_unit_id == task.assignee_unit_id
    )


def is_split_leader(task, user) -> bool:
    """The leaders of the unit that split a received task (those `can_split` names: its leaders, or a
    leader above it) approve, return, cancel and reopen the sub-tasks they made: the unit's own work for
    its own officials, which the plan's owner need not review one by one."""
    return is_split_subtask(task) and user_has_role(user, "leader", task.assignee_unit)


def is_owner_or_split_leader(task, user) -> bool:
    """Leaders of the plan's owner unit decide on every task; on a split sub-task, so do the leaders of the
    unit that split it."""
    return is_owner_leader(task, user) or is_split_leader(task, user)


TRANSITION_RULES = {
    TaskAction.ASSIGN: is_owner_leader,
    TaskAction.START: is_assignee_member,
    TaskAction.SUBMIT: is_assignee_member,
    TaskAction.APPROVE: is_owner_or_split_leader,
    TaskAction.RETURN: is_owner_or_split_leader,
    TaskAction.CANCEL: is_owner_or_split_leader,
    TaskAction.REOPEN: is_owner_or_split_leader,
}


def can_transition(user, task, action: str) -> bool:
    """May `user` take the step `action` on `task`? Independent of the task's state, so a user without the
    right is refused (403) whatever the state, and a permitted user in a wrong state gets a conflict (409)."""
    return TRANSITION_RULES[action](task, user)


def transition_permission(action: str):
    """The `permission=` of a django-fsm transition, which calls it as (task, user)."""

    def permission(task, user) -> bool:
        return can_transition(user, task, action)

    permission.__name__ = f"can_{action}"
    return permission


#: The steps that need a reason (SPEC §2); the services refuse them without one.
REASON_REQUIRED = frozenset({TaskAction.RETURN, TaskAction.CANCEL, TaskAction.REOPEN})


# --- What the pages offer now ------------------------------------------------------------------------------


def can_edit(user, task) -> bool:
    """Change the task's details: a leader of the owner unit, until the task is approved or cancelled."""
    return task.state not in FROZEN_STATES and is_owner_leader(task, user)


def can_report_progress(user, task) -> bool:
    """Report progress: a member of the assignee unit, while the task is open (assigned, in progress,
    returned): not once submitted, nor after approval."""
    return task.state in PROGRESS_STATES and is_assignee_member(task, user)


def can_change_evidence(user, task) -> bool:
    """Add or remove evidence: a member of the assignee unit, while the task is open (not submitted)."""
    return task.state in EVIDENCE_STATES and is_assignee_member(task, user)


def can_request_extension(user, task, *, pending) -> bool:
    """Ask for a later due date: a member of the assignee unit, on an open task with no request pending."""
    return pending is None and task.state in EXTENSION_REQUEST_STATES and is_assignee_member(task, user)


def can_decide_extension(user, task, *, pending) -> bool:
    """Approve or reject the pending request: a leader of the owner unit."""
    return pending is not None and is_owner_leader(task, user)


def can_decide_any(user) -> bool:
    """Someone tasks and extension requests may wait for: a leader of some unit (or a superuser). The approval
    inbox is their landing page; whether they may decide a given item is still `is_owner_leader`'s."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or "leader" in user_roles(user)
    )


#: A cancelled task takes no more comments: it is closed for everyone (its reason is in the history), and
#: nobody would be told to act on it. An approved task still does: a question after approval is how a
#: reopening starts, and the leader who approved it is who is asked.
COMMENT_CLOSED_STATES = (TaskState.CANCELLED,)


def can_comment(user, task) -> bool:
    """Write a comment (ý kiến trao đổi): anyone who can see the task (`Task.objects.visible_to`: the
    assignee unit's members and the owner unit's, their ancestors' leaders and officials, superusers),
    whatever their role, on a task that is not cancelled. Seeing is all it takes: a comment changes
    nothing of the task, and who may be asked a question is who follows the task."""
    from .models import Task  # the models import this module for the transitions' permissions

    if task.state in COMMENT_CLOSED_STATES or not user.is_authenticated:
        return False
    return Task.objects.visible_to(user).filter(pk=task.pk).exists()


def can_add_task(user, plan) -> bool:
    """Add tasks to a plan (one by one or from a file): a leader of its owner unit, until the plan closes
    (the question `plans.services.plan_check_open` answers for the services)."""
    return plan.state != PlanState.CLOSED and can_manage_plan(user, plan)


def can_assign_to(user, plan, unit) -> bool:
    """Give a task of `plan` to `unit`: a leader who may add tasks to the plan, and only to a unit the plan
    reaches (SPEC §1: no unit pushes tasks onto a unit it does not govern)."""
    return can_add_task(user, plan) and plan_reaches(plan, unit)


def can_manage_series(user, series) -> bool:
    """Change, pause, resume or skip an occurrence of a recurring series: a leader of its plan's owner unit
    (what `tasks.services.recurrence` checks), until the plan closes."""
    return series.plan.state != PlanState.CLOSED and can_manage_plan(user, series.plan)
