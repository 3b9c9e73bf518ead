"""Who sees what (SPEC §1): the one scoping base every queryset that reaches a user inherits, the way NetBox's
`RestrictedQuerySet.restrict(user, action)` is inherited, and the unit-subtree conditions it is built from.

A model's queryset subclasses `ScopedQuerySet` and says, in `scope_q(paths)`, which of its rows lie in the
subtrees of the units at `paths` (the units where the user holds a membership); `visible_to(user)` does the
rest, the same way for every model: nothing for an anonymous user, everything for a superuser.
"""

from __future__ import annotations

from typing import Self

from django.db import models
from django.db.models import Q


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """The rows `user` may see: none when signed out, all for a superuser, else those `scope_q` admits
        for the user's scope paths. Every query of this model that reaches a user goes through here."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(self.scope_q(user_scope_paths(user)))

    def scope_q(self, paths: list[str]) -> Q:
        """The rows visible to a member of the units at `paths` (materialised paths, maybe none)."""
        raise NotImplementedError(f"{type(self).__name__} must say which rows a unit's members see")


def subtree_q(prefix: str, paths: list[str]) -> Q:
    """Q matching rows whose unit (reached through `prefix`, e.g. "assignee_unit__") lies in one of the
    subtrees given by their materialised paths. No paths → matches nothing."""
    q = Q(pk__in=[])
    for path in _minimal_paths(paths):
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def _minimal_paths(paths: list[str]) -> list[str]:
    """Drop paths inside another path of the list: a province leader who is also a city official needs one
    prefix, not two."""
    result: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(r) for r in result):
            result.append(p)
    return result


def user_memberships(user) -> list[tuple[int, str, str]]:
    """(unit_id, unit_path, role) for each membership of the user, cached on the user object (one query per
    request, whatever asks: visibility here, roles in `org.selectors`)."""
    from .models import Membership  # the models module builds its querysets on this one

    cached = getattr(user, "_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).values_list("unit_id", "unit__path", "role"))
        user._memberships = cached
    return cached


def user_scope_paths(user) -> list[str]:
    """Paths of the units where the user holds a membership."""
    return sorted({path for _unit, path, _role in user_memberships(user)})
