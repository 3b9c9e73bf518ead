"""Who may do what to a task (SPEC §1). Plain predicates over (task, user); `TRANSITION_RULES` is the one
declaration of who may take each step of the state machine: the services enforce it (`can_transition`),
the transitions carry it as their `permission` so `get_available_user_state_transitions(user)` lists what a
user may do now, and the views ask it to show a button."""

from __future__ import annotations

from org.selectors import user_has_role, user_is_member

from .choices import TaskAction


def is_owner_leader(task, user) -> bool:
    """Leaders of the plan's owner unit (or above it) assign, approve, return, cancel and reopen."""
    return user_has_role(user, "leader", task.plan.owner_unit)


def is_assignee_member(task, user) -> bool:
    """Members of the assignee unit work on the task."""
    return user_is_member(user, task.assignee_unit)


TRANSITION_RULES = {
    TaskAction.ASSIGN: is_owner_leader,
    TaskAction.START: is_assignee_member,
    TaskAction.SUBMIT: is_assignee_member,
    TaskAction.APPROVE: is_owner_leader,
    TaskAction.RETURN: is_owner_leader,
    TaskAction.CANCEL: is_owner_leader,
    TaskAction.REOPEN: is_owner_leader,
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
