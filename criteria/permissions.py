"""Who may do what with criteria sets (SPEC §1). Plain predicates: the services enforce them and raise; the
API, the admin and the pages ask them only to show or hide what a user may not do."""

from __future__ import annotations

from org.models import Role, Unit
from org.selectors import user_has_role


def can_manage_criteria_set(user, criteria_set_or_owner=None) -> bool:
    """Criteria sets are run by the admins and appraisers of the set's owner unit (or a unit above it); a
    set with no owner, which scores every unit of its kind in the country, only by a superuser.

    `criteria_set_or_owner`: a set, its owner unit, or None for a set with no owner (a new file names none
    yet: sets have no owner field today, so only superusers manage them)."""
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
