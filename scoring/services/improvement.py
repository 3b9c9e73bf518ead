"""The improvement plan (kế hoạch khắc phục, SPEC §3a): from a unit's breakdown on a set, its leader
creates in one step a draft plan of the unit with one task per leaf that lost points, "to review the criteria
that lost points and fix them", as the seed's city concluded. Written through the plans and tasks services,
so their rules (who may, numbers unique per year, the plan's reach) hold here too."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet
from org.formatting import points as points_text
from org.models import Unit
from plans import services as plan_services
from plans.models import Plan
from tasks import services as task_services

from ..permissions import can_see_breakdown, can_self_assess
from ..selectors import breakdown, is_scored_on

#: A plan's task titles are at most this long (the task model's limit).
TITLE_MAX = 500


def _lost_leaves(criteria_set: CriteriaSet, unit: Unit) -> list:
    """The unit's leaves below their max on the set (excluded leaves lose nothing), in document order."""
    bd = breakdown(criteria_set=criteria_set, unit=unit)
    return [n for n in bd.nodes if n.is_leaf and not n.excluded and n.computed and n.points < n.max_points]


def _task_fields(node, scored: CriteriaSet, target_leaves: set[str]) -> dict:
    title = _("Khắc phục tiêu chí %(code)s: %(title)s") % {"code": node.code, "title": node.title}
    description = _("Theo %(set)s: đạt %(points)s/%(max)s điểm. Lý do mất điểm: %(reason)s.") % {
        "set": scored.code,
        "points": points_text(node.points),
        "max": points_text(node.max_points),
        "reason": node.reason,
    }
    return {
        "title": title[:TITLE_MAX],
        "description": description,
        "criterion_code": node.code if node.code in target_leaves else "",
    }


@transaction.atomic
def improvement_plan_create(
    *,
    actor,
    unit: Unit,
    criteria_set: CriteriaSet,
    target_set: CriteriaSet | None,
    due_date: dt.date,
    number: str,
    now=None,
) -> Plan:
    """A draft plan of `unit` with one draft task per leaf that lost points on `criteria_set` (title from
    the criterion, its code kept where `target_set`, the set the plan is bound to, has the same leaf; the
    reason in the description), all due on `due_date`, assigned to the unit itself. Who may: a leader of
    the unit (who may see its breakdown); nothing is written when a check fails."""
    now = now or timezone.now()
    if not can_see_breakdown(actor, unit) or not can_self_assess(actor, unit):
        raise PermissionDenied(_("Chỉ lãnh đạo của đơn vị mới lập kế hoạch khắc phục cho đơn vị."))
    if not is_scored_on(criteria_set, unit):
        raise ValidationError({"criteria_set": [_("Đơn vị này không được chấm theo bộ tiêu chí này.")]})
    if target_set is not None and target_set.unit_kind != unit.kind:
        raise ValidationError({"target_set": [_("Bộ tiêu chí này không dành cho loại đơn vị của đơn vị.")]})
    if due_date is None:
        raise ValidationError({"due_date": [_("Chọn hạn hoàn thành.")]})
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": [_("Nhập số hiệu kế hoạch.")]})
    lost = _lost_leaves(criteria_set, unit)
    if not lost:
        raise ValidationError(
            {"criteria_set": [_("Đơn vị không mất điểm ở tiêu chí nào: không có gì để khắc phục.")]}
        )
    year = target_set.year if target_set is not None else timezone.localdate(now).year
    plan = plan_services.plan_create(
        actor=actor,
        owner_unit=unit,
        number=number,
        title=_("Kế hoạch khắc phục hạn chế, tồn tại theo kết quả Chỉ số CCHC (%(set)s)")
        % {"set": criteria_set.code},
        year=year,
        criteria_set=target_set,
    )
    target_leaves = set()
    if target_set is not None:
        target_leaves = set(target_set.criteria.filter(rule__isnull=False).values_list("code", flat=True))
    # One draft task per lost leaf, in one batch through the task service (its checks, history, outbox).
    rows = [
        {"assignee_unit": unit, "due_date": due_date, **_task_fields(node, criteria_set, target_leaves)}
        for node in lost
    ]
    task_services.tasks_create_bulk(actor=actor, plan=plan, rows=rows, now=now)
    return plan
