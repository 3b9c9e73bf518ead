"""Who may do what in scoring (SPEC §1, §3). Plain predicates: the services enforce them and raise; the
API, the pages, the admin and the templates ask them only to show or hide what a user may not do. Who may
run a criteria set (import, edit, delete it) is `criteria.permissions`."""

from __future__ import annotations

from org.models import Role, Unit
from org.selectors import user_has_role, user_memberships


def user_is_appraiser(user) -> bool:
    """Does the user hold the appraiser role anywhere (superusers do everywhere)? Opens the appraiser pages;
    which units they may appraise is `can_appraise`."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(r == Role.APPRAISER for _u, _p, r in user_memberships(user))


def can_appraise(user, unit: Unit) -> bool:
    """Appraisers import surveys and enter appraisals for units in their subtree (superusers: every unit).
    The one answer to "may this user appraise this unit", for the survey import and the appraisals alike."""
    return user_has_role(user, Role.APPRAISER, unit)
