"""Writes for appraisals: an appraiser's points for one leaf of one unit."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet
from org.audit import audit_record
from org.models import AuditAction, Unit

from ..models import Appraisal
from ..permissions import can_appraise
from .recompute import scores_request
from .surveys import POINTS_PLACES


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
    """Set (or, with points=None, clear) the appraised points of one leaf for one unit, with a note. The
    automatic points stay beside them; the unit's scores update after commit."""
    now = now or timezone.now()
    if not can_appraise(actor, unit):
        raise PermissionDenied(_("Chỉ thẩm định viên phụ trách đơn vị này được nhập điểm thẩm định."))
    criterion = criteria_set.criteria.filter(code=code, rule__isnull=False).first()
    if criterion is None:
        raise ValidationError(
            {
                "code": [
                    _("'%(code)s' không phải tiêu chí thành phần (cấp cuối) của %(set)s.")
                    % {"code": code, "set": criteria_set.code}
                ]
            }
        )
    if unit.kind != criteria_set.unit_kind:
        raise ValidationError({"unit": [_("Đơn vị này không được chấm theo bộ tiêu chí này.")]})
    before = Appraisal.objects.filter(criterion=criterion, unit=unit).values_list("points", flat=True).first()
    if points is None:
        Appraisal.objects.filter(criterion=criterion, unit=unit).delete()
        appraisal = None
    else:
        points = _checked_points(points, criterion)
        appraisal, _created = Appraisal.objects.update_or_create(
            criterion=criterion,
            unit=unit,
            defaults={
                "criteria_set": criteria_set,
                "points": points,
                "note": (note or "").strip(),
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
        raise ValidationError({"points": [_("Điểm phải từ 0 đến %(max)s.") % {"max": criterion.max_points}]})
    if points.as_tuple().exponent < -POINTS_PLACES:
        raise ValidationError(
            {"points": [_("Điểm có tối đa %(k)d chữ số thập phân.") % {"k": POINTS_PLACES}]}
        )
    return points
