"""A unit's score breakdown: criterion by criterion, the automatic and appraised points, the reason, the
points lost and still to win, and the tasks behind them. The XLSX score sheets of many units are the API's
export (`scoring.api.views`, `scoring.xlsx`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from criteria.models import CriteriaSet
from org.models import Unit
from tasks.choices import TaskStatus, TaskTone

from .. import permissions, selectors
from ..models import UnitScore

#: How a linked task's scoring status is coloured, in the tones of the task lists.
STATUS_TONES = {
    TaskStatus.ON_TIME: TaskTone.DONE_ON_TIME,
    TaskStatus.LATE: TaskTone.DONE_LATE,
    TaskStatus.OVERDUE: TaskTone.OVERDUE,
    TaskStatus.PENDING: TaskTone.IN_TIME,
}


@login_required
@require_GET
def unit_breakdown(request, set_id: int, unit_id: int):
    """A unit's score criterion by criterion: automatic and appraised points, the reason, the points lost
    and still to win, and the tasks behind them. Only for members of the unit or a unit above it."""
    user = request.user
    cs = get_object_or_404(CriteriaSet, pk=set_id)
    unit = Unit.objects.select_related("parent").filter(pk=unit_id).first()
    if unit is None or unit.kind != cs.unit_kind or not permissions.can_see_breakdown(user, unit):
        raise Http404
    bd = selectors.breakdown(criteria_set=cs, unit=unit, today=timezone.localdate())
    peers = UnitScore.objects.filter(criteria_set=cs, parent_unit_id=unit.parent_id).count()
    return render(
        request,
        "scoring/breakdown.html",
        {
            "cs": cs,
            "unit": unit,
            "bd": bd,
            "score": bd.score,
            "peers": peers,
            "losses": bd.losses[:10],
            "status_tones": STATUS_TONES,
            "can_appraise": permissions.can_appraise(user, unit),
        },
    )
