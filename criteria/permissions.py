"""Who may do what with criteria sets (SPEC §1). Plain predicates: the services enforce them and raise; the
API, the admin and the pages ask them only to show or hide what a user may not do."""

from __future__ import annotations

from org.models import Membership, Role, Unit
from org.selectors import user_has_role

from .definitions import OWNER_KINDS

#: The kinds of unit that may own a set of some kind (province, district).
_OWNING_KINDS = sorted({kind for kinds in OWNER_KINDS.values() for kind in kinds})


def can_manage_criteria_set(user, criteria_set_or_owner=None) -> bool:
    """Criteria sets are run by the admins and appraisers of the set's owner unit (or a unit above it); a
    set with no owner, which scores every unit of its kind in the country, only by a superuser.

    `criteria_set_or_owner`: a set (its `owner_unit` decides), an owner unit (a set about to be imported
    for it), or None (a set with no owner)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if isinstance(criteria_set_or_owner, Unit):
        owner = criteria_set_or_owner
    else:
        owner = getattr(criteria_set_or_owner, "owner_unit", None)
    if owner is None:
        return False
    return user_has_role(user, Role.ADMIN, owner) or user_has_role(user, Role.APPRAISER, owner)


def may_import_criteria_sets(user) -> bool:
    """Could the user import some criteria set at all: a superuser, or an admin or appraiser of a unit that
    may own a set (a province or a district; `definitions.OWNER_KINDS`). Asked before a file is read, when
    its owner is not known yet; `can_manage_criteria_set` then decides for the owner it names. One query."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, role__in=[Role.ADMIN, Role.APPRAISER], unit__kind__in=_OWNING_KINDS
    ).exists()
