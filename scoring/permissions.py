"""Who may do what in scoring (SPEC §1, §3). Plain predicates: the services enforce them and raise; the
API, the pages, the admin and the templates ask them only to show or hide what a user may not do. Who may
run a criteria set (import, edit, delete it) is `criteria.permissions`."""

from __future__ import annotations

from django.db.models import Q

from criteria.permissions import can_manage_criteria_set
from org.models import Role, Unit
from org.selectors import units_with_role_q, user_can_see_unit, user_has_role, user_memberships


def can_see_breakdown(user, unit: Unit) -> bool:
    """SPEC §1: a unit's score breakdown is for users holding a membership (any role, appraisers included)
    in the unit or one of its ancestors, and for superusers. Ranking tables are for every signed-in user."""
    return bool(user and user.is_authenticated) and user_can_see_unit(user, unit)


def can_see_dashboard(user, unit: Unit) -> bool:
    """A unit's leader dashboard (its subtree's task progress and scores) is for the leaders of the unit or
    of a unit above it, and for superusers."""
    return user_has_role(user, Role.LEADER, unit)


def led_units_q(user) -> Q:
    """The units `can_see_dashboard` says yes to, as a filter: the subtrees of the units the user leads
    (superusers: every unit)."""
    return units_with_role_q(user, Role.LEADER)


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


def appraised_units_q(user) -> Q:
    """The units `can_appraise` says yes to, as a filter: the subtrees of the units where the user is an
    appraiser (superusers: every unit)."""
    return units_with_role_q(user, Role.APPRAISER)


# --- The assessment round (SPEC §3a) ---------------------------------------------------------------------


def can_run_round(user, criteria_set) -> bool:
    """The round is moved by the admins and appraisers of the set's owner unit (or a unit above it); a set
    with no owner only by a superuser: the same people who run the set (`criteria.permissions`)."""
    return can_manage_criteria_set(user, criteria_set)


def can_correct_round(user, criteria_set) -> bool:
    """A correction after publication (đính chính) reopens published results: a superuser, or an admin
    of the owner unit (or above); not an appraiser."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    owner = criteria_set.owner_unit
    return owner is not None and user_has_role(user, Role.ADMIN, owner)


def can_self_assess(user, unit: Unit) -> bool:
    """A unit's self-assessment is given by its own leaders (a leader of the unit itself: a city leader
    does not assess a ward in its place), and superusers."""
    return user_has_role(user, Role.LEADER, unit, inherited=False)


def can_see_round_progress(user, criteria_set) -> bool:
    """Who sees every unit's self-assessment progress on a set: those who run its round, and appraisers."""
    return can_run_round(user, criteria_set) or user_is_appraiser(user)
