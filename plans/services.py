"""Writes for plans. Every action takes the acting user and checks their right to act."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from org.audit import audit_record, changes_between, snapshot
from org.models import AuditAction, Unit

from .models import Plan, PlanState
from .permissions import can_manage_plan


class PlanTransitionError(Exception):
    """A plan transition not allowed from the plan's current state (answers 409)."""


@transaction.atomic
def plan_create(
    *,
    actor,
    owner_unit: Unit,
    number: str,
    title: str,
    year: int,
    issued_on: dt.date | None = None,
    criteria_set=None,
) -> Plan:
    """Create a draft plan for `owner_unit`."""
    if not can_manage_plan(actor, owner_unit):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị mới được lập kế hoạch của đơn vị."))
    if Plan.objects.filter(owner_unit=owner_unit, number=number, year=year).exists():
        raise ValidationError({"number": [_duplicate_number(number, year)]})
    plan = Plan(
        owner_unit=owner_unit,
        number=number,
        title=title,
        year=year,
        issued_on=issued_on,
        criteria_set=criteria_set,
        created_by=actor,
    )
    plan.full_clean(exclude=["state"])
    plan.save()
    audit_record(
        actor=actor,
        action=AuditAction.PLAN_CREATED,
        subject=plan,
        unit=owner_unit,
        changes=changes_between({}, snapshot(plan, PLAN_AUDITED)),
    )
    return plan


OWNER_UNIT_FIXED = gettext_lazy("Không thể đổi đơn vị ban hành của kế hoạch.")
CRITERIA_SET_LOCKED = gettext_lazy("Kế hoạch đã có nhiệm vụ nên không đổi bộ tiêu chí.")


def plan_criteria_set_locked(plan: Plan) -> bool:
    """A plan's criteria set is fixed once it has tasks (their criterion codes belong to that set)."""
    return plan.tasks.exists()


#: The fields of a plan its audit entries compare.
PLAN_AUDITED = ("number", "title", "year", "issued_on", "criteria_set", "state")


@transaction.atomic
def plan_update(*, actor, plan: Plan, **fields) -> Plan:
    """Change a plan's details. A closed plan is frozen."""
    plan_check_open(
        actor=actor,
        plan=plan,
        denied=_("Chỉ lãnh đạo đơn vị ban hành kế hoạch mới được sửa kế hoạch này."),
        closed=_("Kế hoạch đã kết thúc, không thể sửa."),
    )
    if "owner_unit" in fields and fields["owner_unit"] != plan.owner_unit:
        raise ValidationError({"owner_unit": [OWNER_UNIT_FIXED]})
    if (
        "criteria_set" in fields
        and fields["criteria_set"] != plan.criteria_set
        and plan_criteria_set_locked(plan)
    ):
        raise ValidationError({"criteria_set": [CRITERIA_SET_LOCKED]})
    before = snapshot(Plan.objects.get(pk=plan.pk), PLAN_AUDITED)
    for name, value in fields.items():
        setattr(plan, name, value)
    if (
        Plan.objects.filter(owner_unit=plan.owner_unit, number=plan.number, year=plan.year)
        .exclude(pk=plan.pk)
        .exists()
    ):
        raise ValidationError({"number": [_duplicate_number(plan.number, plan.year)]})
    plan.full_clean(exclude=["state"])
    plan.save()
    changes = changes_between(before, snapshot(plan, PLAN_AUDITED))
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.PLAN_CHANGED,
            subject=plan,
            unit=plan.owner_unit_id,
            changes=changes,
        )
    return plan


def plan_check_open(*, actor, plan: Plan, denied: str, closed: str) -> None:
    """The one rule for changing a plan or its tasks, each caller in its own words: only who may manage the
    plan (else PermissionDenied, 403, saying `denied`), and never once it is closed (else
    PlanTransitionError, 409, saying `closed`)."""
    if not can_manage_plan(actor, plan):
        raise PermissionDenied(denied)
    if plan.state == PlanState.CLOSED:
        raise PlanTransitionError(closed)


#: Why a transition was refused: each starts from one state only.
_CANNOT = {
    "issue": gettext_lazy("Chỉ kế hoạch dự thảo mới ban hành được."),
    "close": gettext_lazy("Chỉ kế hoạch đã ban hành mới kết thúc được."),
}


def _duplicate_number(number: str, year: int) -> str:
    return _("Đơn vị đã có kế hoạch số %(number)s trong năm %(year)s.") % {"number": number, "year": year}


def _transition(*, actor, plan: Plan, name: str, now=None) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if not can_manage_plan(actor, plan):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị ban hành kế hoạch mới được làm việc này."))
    method = getattr(plan, name)
    if not can_proceed(method):
        raise PlanTransitionError(str(_CANNOT[name]))
    before = snapshot(plan, PLAN_AUDITED)
    method()
    if name == "issue" and plan.issued_on is None:
        plan.issued_on = timezone.localdate(now)
    plan.save()
    audit_record(
        actor=actor,
        action=_AUDIT_ACTION[name],
        subject=plan,
        unit=plan.owner_unit_id,
        changes=changes_between(before, snapshot(plan, PLAN_AUDITED)),
        now=now,
    )
    return plan


_AUDIT_ACTION = {"issue": AuditAction.PLAN_ISSUED, "close": AuditAction.PLAN_CLOSED}


@transaction.atomic
def plan_issue(*, actor, plan: Plan, now=None) -> Plan:
    """Issue a draft plan: its tasks may then be assigned."""
    return _transition(actor=actor, plan=plan, name="issue", now=now)


@transaction.atomic
def plan_close(*, actor, plan: Plan, now=None) -> Plan:
    """Close an issued plan at the end of its cycle."""
    return _transition(actor=actor, plan=plan, name="close", now=now)
