"""Who may act on plans, and which units a plan reaches (SPEC §1). Plain predicates: the services enforce
them where the write happens; views, forms, serializers and the admin only ask them."""

from __future__ import annotations

from django.db.models import Q

from org.models import Role, Unit, UnitKind, subtree_q
from org.selectors import units_with_role_q, user_has_role, user_memberships

from .models import PlanState


def can_manage_plan(user, plan_or_unit) -> bool:
    """Leaders of the owner unit (or of a unit above it) create, issue and close its plans, and create,
    assign, approve, return, cancel and reopen its tasks."""
    unit = plan_or_unit if isinstance(plan_or_unit, Unit) else plan_or_unit.owner_unit
    return user_has_role(user, "leader", unit)


def manageable_units(user):
    """Units whose plans the user may create: those they lead and the units below them (SPEC §1)."""
    return Unit.objects.filter(units_with_role_q(user, Role.LEADER))


def can_create_plan(user) -> bool:
    """Create a plan: a leader of some unit (the plan's owner is then one of `manageable_units`)."""
    return manageable_units(user).exists()


def can_edit_plan(user, plan) -> bool:
    """Change a plan's details: a leader of its owner unit, until the plan closes (the question
    `plans.services.plan_check_open` answers for the services)."""
    return plan.state != PlanState.CLOSED and can_manage_plan(user, plan)


def reach_root(owner_unit: Unit) -> Unit:
    """The top of a plan's reach: its owner unit, or for a department (Sở) the department's parent, since a
    Sở serves its whole province."""
    if owner_unit.kind == UnitKind.DEPARTMENT and owner_unit.parent_id:
        return owner_unit.parent
    return owner_unit


def reach_q(plan_or_owner, prefix: str = "") -> Q:
    """Q matching units (reached through `prefix`, e.g. "assignee_unit__") that the plan reaches."""
    owner = plan_or_owner if isinstance(plan_or_owner, Unit) else plan_or_owner.owner_unit
    return subtree_q(prefix, [reach_root(owner).path])


def plan_reaches(plan, unit: Unit | None) -> bool:
    """May a task of `plan` be assigned to `unit`? Only a unit in the plan's reach: no unit can push tasks,
    reminders or points lost onto a unit it does not govern."""
    if unit is None or unit.pk is None or not unit.path:
        return False
    return unit.path.startswith(reach_root(plan.owner_unit).path)


def can_see_drafts(user, plan_or_unit) -> bool:
    """Drafts (a draft plan, a task still in `draft`) are the owner's work in progress: visible only to
    members of the owner unit or of one of its ancestors, and to superusers."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    unit = plan_or_unit if isinstance(plan_or_unit, Unit) else plan_or_unit.owner_unit
    ancestors = set(unit.ancestor_ids())
    return any(uid in ancestors for uid, _path, _role in user_memberships(user))
