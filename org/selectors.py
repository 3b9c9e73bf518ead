"""Reads about units and who may do what where. Permission questions are answered here, once."""

from __future__ import annotations

from django.db.models import Q

from .models import Membership, Role, Unit, User
from .scoping import subtree_q
from .scoping import user_memberships as user_memberships  # with the scoping base (it needs it); read here


def user_has_role(user, role: str, unit: Unit, *, inherited: bool = True) -> bool:
    """Does the user hold `role` in `unit` (or, when inherited, in one of its ancestors)? Superusers hold
    every role everywhere."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    ids = set(unit.ancestor_ids()) if inherited else {unit.pk}
    return any(r == role and uid in ids for uid, _path, r in user_memberships(user))


def user_is_member(user, unit: Unit) -> bool:
    """Members of a unit (any role held in the unit itself) work on the unit's tasks."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(uid == unit.pk for uid, _path, _r in user_memberships(user))


def user_is_admin(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or any(r == Role.ADMIN for _u, _p, r in user_memberships(user))
    )


def user_roles(user) -> set[str]:
    if user.is_superuser:
        return set(Role.values)
    return {r for _u, _p, r in user_memberships(user)}


def user_can_see_unit(user, unit: Unit) -> bool:
    if user.is_superuser:
        return True
    return any(unit.path.startswith(p) for _u, p, _r in user_memberships(user))


def unit_members(*, unit_ids, roles) -> list[tuple[int, int]]:
    """(unit_id, user_id) pairs of active users holding one of `roles` in the given units."""
    return list(
        Membership.objects.filter(unit_id__in=unit_ids, role__in=roles, user__is_active=True)
        .values_list("unit_id", "user_id")
        .distinct()
    )


def units_with_role_q(user, role: str) -> Q:
    """Units in the subtree of a unit where the user holds `role` (superusers: every unit)."""
    if user.is_superuser:
        return Q()
    return subtree_q("", [path for _unit, path, r in user_memberships(user) if r == role])


def users_visible_to(user):
    """Users an account may list: for an administrator, those holding a membership in a subtree they
    administer, and themselves; for a superuser, everyone; for anyone else, themselves only."""
    from .permissions import administered_units_q

    if not user.is_authenticated:
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    if not user_is_admin(user):
        return User.objects.filter(pk=user.pk)
    holders = Membership.objects.filter(administered_units_q(user, "unit__")).values("user_id")
    return User.objects.filter(Q(pk__in=holders) | Q(pk=user.pk))
