"""The round's periodic job and who is told (SPEC §3a): `round_cycle`, every 15 minutes, submits (late) the
self-assessments whose deadline has passed, hands every open deadline's debtors to notifications and
announces recent publications again; `results_announce` tells the scored units' leaders of a publication.
Notifications hear it through `criteria.events` (scoring and notifications never import each other) and
plan each notice once, so any repeat is harmless."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.events import RoundPublication, RoundTarget, round_deadlines, round_published
from criteria.models import CriteriaSet
from org.audit import audit_record
from org.models import AuditAction, Membership, Role

from ..models import (
    LeafAssessment,
    LeafScore,
    PublishedResult,
    Round,
    RoundState,
    SelfAssessment,
    SelfAssessmentState,
)
from ..selectors import scored_units
from .round import deadline_end, is_past, self_assessments_close


def _leaders_by_unit(unit_ids) -> dict[int, tuple[int, ...]]:
    """The active leaders of each unit (held in the unit itself): one query."""
    out: dict[int, list[int]] = {}
    for unit_id, user_id in (
        Membership.objects.filter(unit_id__in=unit_ids, role=Role.LEADER, user__is_active=True)
        .order_by("unit_id", "user_id")
        .values_list("unit_id", "user_id")
    ):
        out.setdefault(unit_id, []).append(user_id)
    return {u: tuple(ids) for u, ids in out.items()}


def _publication(rnd: Round) -> RoundPublication:
    units = scored_units(rnd.criteria_set).values("pk")
    return RoundPublication(
        criteria_set_id=rnd.criteria_set_id,
        version=rnd.version,
        decision_number=rnd.decision_number,
        decided_on=rnd.decided_on,
        recipients=_leaders_by_unit(units),
    )


#: How long after a publication the round cycle still announces it (for a job lost with the broker).
ANNOUNCE_DAYS = 7


def results_announce(*, criteria_set: CriteriaSet, now=None) -> bool:
    """Tell the leaders of every scored unit that the set's latest version is published (notifications
    plan each notice once per version, so a repeat tells no one twice). False when nothing is published."""
    now = now or timezone.now()
    rnd = Round.objects.filter(criteria_set=criteria_set, state=RoundState.PUBLISHED).first()
    if rnd is None or not rnd.version:
        return False
    rnd.criteria_set = criteria_set
    round_published.send(sender=CriteriaSet, publication=_publication(rnd), now=now)
    return True


def awaiting_answer_q() -> Q:
    """Leaf rows (LeafScore) appraised below the unit's own points: what a unit may explain."""
    return Q(appraised_points__isnull=False, appraised_points__lt=F("own_points"))


def _unanswered_units(cs: CriteriaSet) -> list[int]:
    """Units with a leaf appraised below their own points and not yet answered: one query."""
    answered = LeafAssessment.objects.filter(
        criteria_set=cs, unit_id=OuterRef("unit_id"), criterion_id=OuterRef("criterion_id")
    ).exclude(answer="")
    return list(
        LeafScore.objects.filter(awaiting_answer_q(), criteria_set=cs)
        .exclude(Exists(answered))
        .values_list("unit_id", flat=True)
        .distinct()
    )


def round_targets(*, now=None) -> list[RoundTarget]:
    """Every open round deadline's debtors as of `now`: units whose self-assessment is still a draft before
    `self_assessment_until`, units with an unanswered leaf before `explanation_until`. A few queries per
    open round."""
    now = now or timezone.now()
    targets: list[RoundTarget] = []
    rounds = Round.objects.filter(
        state__in=[RoundState.SELF_ASSESSMENT, RoundState.EXPLANATION]
    ).select_related("criteria_set")
    for rnd in rounds:
        cs = rnd.criteria_set
        if rnd.state == RoundState.SELF_ASSESSMENT:
            deadline, kind = rnd.self_assessment_until, "self_assessment_due"
            debtors = SelfAssessment.objects.filter(
                criteria_set=cs, state=SelfAssessmentState.DRAFT
            ).values_list("unit_id", flat=True)
        else:
            deadline, kind = rnd.explanation_until, "explanation_due"
            debtors = _unanswered_units(cs)
        if deadline is None or is_past(deadline, now):
            continue
        debtors = list(debtors)
        leaders = _leaders_by_unit(debtors)
        targets.extend(
            RoundTarget(cs.pk, unit_id, kind, deadline_end(deadline), leaders[unit_id])
            for unit_id in debtors
            if unit_id in leaders
        )
    return targets


def round_cycle(*, now=None) -> dict:
    """The round's periodic job: submit (late) the self-assessments whose deadline passed, then hand every
    open deadline's debtors to notifications, which plan each reminder once. Returns what it did."""
    now = now or timezone.now()
    late = 0
    for rnd in Round.objects.filter(state=RoundState.SELF_ASSESSMENT).select_related("criteria_set"):
        if is_past(rnd.self_assessment_until, now):
            with transaction.atomic():
                closed = self_assessments_close(criteria_set=rnd.criteria_set, now=now)
                if closed:
                    audit_record(
                        actor=None,
                        action=AuditAction.SELF_ASSESSMENT_SUBMITTED,
                        subject=rnd.criteria_set,
                        changes={"late_units": [None, closed]},
                        note=_("Hết hạn tự đánh giá: gửi tự động, ghi nhận nộp muộn."),
                        now=now,
                    )
                late += closed
    targets = round_targets(now=now)
    round_deadlines.send(sender=CriteriaSet, targets=targets, now=now)
    recent = PublishedResult.objects.filter(
        published_at__gte=now - dt.timedelta(days=ANNOUNCE_DAYS),
        criteria_set__round__state=RoundState.PUBLISHED,
    ).values_list("criteria_set_id", flat=True)
    announced = 0
    for cs in CriteriaSet.objects.filter(pk__in=recent):
        announced += results_announce(criteria_set=cs, now=now)
    return {"late": late, "targets": len(targets), "announced": announced}
