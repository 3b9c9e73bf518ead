"""The checks every write on one leaf of one unit starts with (appraisals, self-assessments, answers)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet, Criterion
from org.models import Unit

from ..selectors import is_scored_on


def scored_leaf(criteria_set: CriteriaSet, unit: Unit, code: str, *, field: str = "code") -> Criterion:
    """The set's leaf `code`, for a unit scored on the set; else ValidationError naming `field` (the code)
    or `unit`."""
    criterion = criteria_set.criteria.filter(code=code, rule__isnull=False).first()
    if criterion is None:
        message = _("'%(code)s' không phải tiêu chí thành phần (cấp cuối) của %(set)s.") % {
            "code": code,
            "set": criteria_set.code,
        }
        raise ValidationError({field: [message]})
    if not is_scored_on(criteria_set, unit):
        raise ValidationError({"unit": [_("Đơn vị này không được chấm theo bộ tiêu chí này.")]})
    return criterion
