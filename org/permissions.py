"""Who may administer what (SPEC §1). Plain predicates over (user, unit): the org services enforce them
where the write happens; the API, admin and pages only ask them.

Administrators of a unit administer its subtree only: they list, create and edit the users holding
memberships there and the units below it; they never move their own unit, create a root unit, or grant a
membership outside their subtree. A superuser administers everything. `actor=None` in a service is the
operator running a management command on the server, who is trusted.
"""

from __future__ import annotations

from django.db.models import Q

from .models import Role, Unit
from .scoping import subtree_q, user_memberships


def administered_paths(user) -> list[str]:
    """Paths of the units where the user holds the admin role (their subtrees are what they administer)."""
    return sorted({path for _unit, path, role in user_memberships(user) if role == Role.ADMIN})


def administered_units_q(user, prefix: str = "") -> Q:
    """Units (reached through `prefix`) the user administers: every unit for a superuser."""
    if user.is_superuser:
        return Q()
    return subtree_q(prefix, administered_paths(user))


def can_administer(user, unit: Unit | None) -> bool:
    """Does the user administer `unit` (it lies in the subtree of a unit where they are admin)? Only a
    superuser administers "no unit" (the root of the tree)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if unit is None:
        return False
    return any(unit.path.startswith(p) for p in administered_paths(user))


def can_edit_unit(user, unit: Unit) -> bool:
    """A unit is edited by the administrators of a unit above it: an admin never edits (or moves) their own
    unit, only the units below it."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(unit.path.startswith(p) and unit.path != p for p in administered_paths(user))


def can_place_unit_under(user, parent: Unit | None) -> bool:
    """May the user create a unit under `parent`, or move one there? Under a unit they administer; a root
    unit (no parent) only for a superuser."""
    return can_administer(user, parent)
