"""Who may do what to a task (SPEC §1). Plain predicates over (task, user), also attached to the state
machine's transitions so `get_available_user_state_transitions(user)` lists what a user may do now."""

from __future__ import annotations

from org.selectors import user_has_role, user_is_member


def is_owner_leader(task, user) -> bool:
    """Leaders of the plan's owner unit (or above it) assign, approve, return, cancel and reopen."""
    return user_has_role(user, "leader", task.plan.owner_unit)


def is_assignee_member(task, user) -> bool:
    """Members of the assignee unit work on the task."""
    return user_is_member(user, task.assignee_unit)


TRANSITION_RULES = {
    "assign": is_owner_leader,
    "start": is_assignee_member,
    "submit": is_assignee_member,
    "approve": is_owner_leader,
    "return": is_owner_leader,
    "cancel": is_owner_leader,
    "reopen": is_owner_leader,
}
