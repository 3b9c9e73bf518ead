"""The appraisers' writes: points for one leaf of one unit (appraisal), and a unit's bonus and penalty
(adjustment). Accepted in any round stage before publication; a published set changes only through a
correction (`round.round_step`)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet
from org.audit import audit_record
from org.formatting import points as points_text
from org.models import AuditAction, Unit

from ..models import Adjustment, Appraisal, LeafAssessment, LeafScore, RoundState
from ..permissions import can_appraise
from ..rules import needs_note, own_points
from ..selectors import is_scored_on
from ._leaves import scored_leaf
from .recompute import scores_request
from .round import RoundError, round_of
from .surveys import POINTS_PLACES


def _check_open(criteria_set: CriteriaSet) -> None:
    if round_of(criteria_set).state == RoundState.PUBLISHED:
        raise RoundError(
            _("Kết quả đã công bố: muốn sửa điểm, quản trị viên phải đính chính (mở lại thẩm định) trước.")
        )


def unit_own_points(criterion, unit) -> Decimal:
    """The unit's own points on a leaf now: its self points (a `manual` leaf) or its automatic points as
    last computed (0 before the first computation)."""
    auto = (
        LeafScore.objects.filter(criterion=criterion, unit=unit).values_list("auto_points", flat=True).first()
    )
    given = None
    if criterion.rule.get("type") == "manual":
        given = (
            LeafAssessment.objects.filter(criterion=criterion, unit=unit)
            .values_list("self_points", flat=True)
            .first()
        )
    return own_points(auto if auto is not None else Decimal(0), given)


@transaction.atomic
def appraisal_set(
    *,
    actor,
    criteria_set: CriteriaSet,
    unit: Unit,
    code: str,
    points: Decimal | None,
    note: str = "",
    now=None,
) -> Appraisal | None:
    """Set (or, with points=None, clear) the appraised points of one leaf for one unit, with a note, which
    is required when the points are below the unit's own points (SPEC §3a). The automatic and own points
    stay beside them; the unit's scores update after commit."""
    now = now or timezone.now()
    if not can_appraise(actor, unit):
        raise PermissionDenied(_("Chỉ thẩm định viên phụ trách đơn vị này được nhập điểm thẩm định."))
    _check_open(criteria_set)
    criterion = scored_leaf(criteria_set, unit, code)
    before = Appraisal.objects.filter(criterion=criterion, unit=unit).values_list("points", flat=True).first()
    if points is None:
        Appraisal.objects.filter(criterion=criterion, unit=unit).delete()
        appraisal = None
    else:
        points = _checked_points(points, criterion)
        note = (note or "").strip()
        if not note and needs_note(points, unit_own_points(criterion, unit)):
            raise ValidationError(
                {"note": [_("Điểm thẩm định thấp hơn điểm tự đánh giá của đơn vị: ghi rõ lý do.")]}
            )
        appraisal, _created = Appraisal.objects.update_or_create(
            criterion=criterion,
            unit=unit,
            defaults={
                "criteria_set": criteria_set,
                "points": points,
                "note": note,
                "appraiser": actor,
                "updated_at": now,
            },
        )
    after = appraisal.points if appraisal else None
    if before != after or appraisal is not None:
        audit_record(
            actor=actor,
            action=AuditAction.APPRAISAL_SAVED,
            subject=criteria_set,
            unit=unit,
            changes={code: [before, after]},
            note=appraisal.note if appraisal else "",
            now=now,
        )
    scores_request(criteria_set_id=criteria_set.pk, unit_ids=[unit.pk])
    return appraisal


def _checked_points(points, criterion) -> Decimal:
    points = Decimal(points)
    if not points.is_finite() or not Decimal(0) <= points <= criterion.max_points:
        raise ValidationError(
            {"points": [_("Điểm phải từ 0 đến %(max)s.") % {"max": points_text(criterion.max_points)}]}
        )
    if points.as_tuple().exponent < -POINTS_PLACES:
        raise ValidationError(
            {"points": [_("Điểm có tối đa %(k)d chữ số thập phân.") % {"k": POINTS_PLACES}]}
        )
    return points


def _adjustment_points(value, cap, field: str) -> Decimal:
    try:
        points = Decimal(str(value if value not in (None, "") else 0))
    except ArithmeticError:
        raise ValidationError({field: [_("Điểm phải là một số.")]}) from None
    if not points.is_finite() or points < 0:
        raise ValidationError({field: [_("Điểm không được âm.")]})
    if points and cap is None:
        raise ValidationError({field: [_("Bộ tiêu chí này không cho phép loại điểm này.")]})
    if cap is not None and points > cap:
        raise ValidationError(
            {field: [_("Tối đa %(max)s điểm theo bộ tiêu chí.") % {"max": points_text(cap)}]}
        )
    if points.as_tuple().exponent < -2:
        raise ValidationError({field: [_("Điểm có tối đa 2 chữ số thập phân.")]})
    return points


@transaction.atomic
def adjustment_set(
    *,
    actor,
    criteria_set: CriteriaSet,
    unit: Unit,
    bonus=0,
    penalty=0,
    note: str = "",
    now=None,
) -> Adjustment:
    """Set a unit's bonus and penalty points (điểm thưởng, điểm trừ) within the set's caps, with the reason
    (required when either is above 0). The total stays within 0..applicable max (`rules.adjusted`)."""
    now = now or timezone.now()
    if not can_appraise(actor, unit):
        raise PermissionDenied(_("Chỉ thẩm định viên phụ trách đơn vị này được cho điểm thưởng, điểm trừ."))
    _check_open(criteria_set)
    if not is_scored_on(criteria_set, unit):
        raise ValidationError({"unit": [_("Đơn vị này không được chấm theo bộ tiêu chí này.")]})
    if not criteria_set.allows_adjustments:
        raise ValidationError({"bonus": [_("Bộ tiêu chí này không có điểm thưởng, điểm trừ.")]})
    bonus = _adjustment_points(bonus, criteria_set.bonus_max, "bonus")
    penalty = _adjustment_points(penalty, criteria_set.penalty_max, "penalty")
    note = (note or "").strip()
    if (bonus or penalty) and not note:
        raise ValidationError({"note": [_("Ghi rõ lý do điểm thưởng, điểm trừ.")]})
    row = Adjustment.objects.select_for_update().filter(criteria_set=criteria_set, unit=unit).first()
    before = (row.bonus, row.penalty) if row else (Decimal(0), Decimal(0))
    row = row or Adjustment(criteria_set=criteria_set, unit=unit)
    row.bonus, row.penalty, row.note, row.appraiser, row.updated_at = bonus, penalty, note, actor, now
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction.ADJUSTMENT_SAVED,
        subject=criteria_set,
        unit=unit,
        changes={"bonus": [before[0], bonus], "penalty": [before[1], penalty]},
        note=note,
        now=now,
    )
    scores_request(criteria_set_id=criteria_set.pk, unit_ids=[unit.pk])
    return row
