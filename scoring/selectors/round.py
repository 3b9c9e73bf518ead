"""Reads of the assessment round (SPEC §3a): the round with its per-state unit counts, the appraisers'
progress table, a unit's score sheet (every leaf: automatic points with their reason and tasks, self and
own points, explanation, evidence, appraisal, answer, final points) and the published versions.

A constant number of queries each, whatever the number of units or leaves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q

from criteria.models import CriteriaSet
from org.models import Unit

from ..models import (
    CriterionEvidence,
    LeafAssessment,
    PublishedResult,
    Round,
    RoundState,
    SelfAssessment,
    SelfAssessmentState,
)
from ..permissions import can_self_assess
from ..rules import below_own
from . import is_scored_on


def round_read(criteria_set: CriteriaSet) -> Round:
    """The set's round as it stands (an unsaved `tracking` round when none was started)."""
    return Round.objects.filter(criteria_set=criteria_set).first() or Round(criteria_set=criteria_set)


def round_unit_counts(criteria_set: CriteriaSet) -> dict[str, int]:
    """Units by self-assessment state: `draft`, `submitted`, of which `late`, and `not_started` (drafts
    with nothing entered yet). One query."""
    entered = LeafAssessment.objects.filter(criteria_set=criteria_set, unit_id=OuterRef("unit_id"))
    row = SelfAssessment.objects.filter(criteria_set=criteria_set).aggregate(
        draft=Count("pk", filter=Q(state=SelfAssessmentState.DRAFT)),
        submitted=Count("pk", filter=Q(state=SelfAssessmentState.SUBMITTED)),
        late=Count("pk", filter=Q(state=SelfAssessmentState.SUBMITTED, late=True)),
        not_started=Count("pk", filter=Q(state=SelfAssessmentState.DRAFT) & ~Q(Exists(entered))),
    )
    return {k: row[k] or 0 for k in ("draft", "submitted", "late", "not_started")}


@dataclass
class ProgressRow:
    unit: Unit
    state: str
    late: bool
    submitted_at: dt.datetime | None
    started: bool

    @property
    def status(self) -> str:
        if self.state == SelfAssessmentState.SUBMITTED:
            return "late" if self.late else "submitted"
        return "draft" if self.started else "not_started"


def round_progress(*, criteria_set: CriteriaSet, units) -> list[ProgressRow]:
    """The self-assessments of `units` (a Unit queryset: those the reader may see) on the set, by unit
    code: one query."""
    entered = LeafAssessment.objects.filter(criteria_set=criteria_set, unit_id=OuterRef("unit_id"))
    rows = (
        SelfAssessment.objects.filter(criteria_set=criteria_set, unit__in=units)
        .select_related("unit", "unit__parent")
        .annotate(started=Exists(entered))
        .order_by("unit__parent__code", "unit__code")
    )
    return [ProgressRow(r.unit, r.state, r.late, r.submitted_at, r.started) for r in rows]


def self_assessment_read(criteria_set: CriteriaSet, unit: Unit) -> SelfAssessment | None:
    return SelfAssessment.objects.filter(criteria_set=criteria_set, unit=unit).first()


@dataclass
class SheetLeaf:
    """One leaf of a unit's score sheet: the breakdown's node with the unit's and the appraisers' words."""

    node: object  # selectors.NodeScore: code, title, max, auto points, reason, tasks, appraisal
    self_points: Decimal | None = None
    explanation: str = ""
    answer: str = ""
    answered_at: dt.datetime | None = None
    evidence: list[CriterionEvidence] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.node.code

    @property
    def is_manual(self) -> bool:
        return self.node.rule_type == "manual"

    @property
    def own_points(self) -> Decimal:
        return self.node.own_points if self.node.computed else (self.self_points or Decimal(0))

    @property
    def awaiting_answer(self) -> bool:
        """Appraised below the unit's own points: the unit may answer it in the explanation."""
        return below_own(self.node.appraised_points, self.own_points)


@dataclass
class Sheet:
    """A unit's score sheet on a set (`self_assessment_sheet`)."""

    criteria_set: CriteriaSet
    unit: Unit
    round: Round
    assessment: SelfAssessment | None
    breakdown: object  # selectors.Breakdown
    leaves: list[SheetLeaf]

    @property
    def state(self) -> str:
        return self.assessment.state if self.assessment else SelfAssessmentState.DRAFT

    @property
    def late(self) -> bool:
        return bool(self.assessment and self.assessment.late)

    @property
    def explained(self) -> list[SheetLeaf]:
        """The leaves appraised below the unit's own points (what its explanation page lists)."""
        return [leaf for leaf in self.leaves if leaf.awaiting_answer]


def self_assessment_sheet(*, criteria_set: CriteriaSet, unit: Unit, breakdown) -> Sheet:
    """A unit's score sheet from its breakdown (`selectors.breakdown`, read by the caller) and three more
    queries: its self-assessment, its leaf assessments, its criterion evidence."""
    rows = {r.criterion_id: r for r in LeafAssessment.objects.filter(criteria_set=criteria_set, unit=unit)}
    files: dict[int, list[CriterionEvidence]] = {}
    for ev in CriterionEvidence.objects.filter(criteria_set=criteria_set, unit=unit).order_by(
        "uploaded_at", "id"
    ):
        files.setdefault(ev.criterion_id, []).append(ev)
    ids = dict(criteria_set.criteria.filter(rule__isnull=False).values_list("code", "pk"))
    leaves = []
    for node in breakdown.nodes:
        if not node.is_leaf:
            continue
        pk = ids.get(node.code)
        row = rows.get(pk)
        leaves.append(
            SheetLeaf(
                node=node,
                self_points=row.self_points if row else None,
                explanation=row.explanation if row else "",
                answer=row.answer if row else "",
                answered_at=row.answered_at if row else None,
                evidence=files.get(pk, []),
            )
        )
    return Sheet(
        criteria_set=criteria_set,
        unit=unit,
        round=round_read(criteria_set),
        assessment=self_assessment_read(criteria_set, unit),
        breakdown=breakdown,
        leaves=leaves,
    )


def published_results(criteria_set: CriteriaSet) -> list[PublishedResult]:
    """Every published version of the set, newest first (a correction keeps the old ones visible)."""
    return list(PublishedResult.objects.filter(criteria_set=criteria_set).order_by("-version"))


def published_result(criteria_set: CriteriaSet, version: int | None = None) -> PublishedResult | None:
    """One published version (the latest when `version` is None), or None."""
    qs = PublishedResult.objects.filter(criteria_set=criteria_set)
    if version is not None:
        return qs.filter(version=version).first()
    return qs.order_by("-version").first()


def round_history(criteria_set: CriteriaSet, *, limit: int = 50) -> list:
    """The round's steps as the audit trail has them (who moved it, when, with which dates, decision or
    reason, and the late submissions at the deadline), newest first."""
    from org.models import AuditAction, AuditEntry

    actions = [AuditAction.ROUND_STEP, AuditAction.RESULTS_PUBLISHED, AuditAction.SELF_ASSESSMENT_SUBMITTED]
    return list(
        AuditEntry.objects.about(criteria_set)
        .filter(action__in=actions)
        .filter(Q(unit__isnull=True) | ~Q(action=AuditAction.SELF_ASSESSMENT_SUBMITTED))
        .select_related("actor")[:limit]
    )


def round_sheets_owed(user, roots: list[Unit]) -> list[dict]:
    """What the rounds ask of the leader's own units now: for each round in self-assessment or explanation
    whose set scores one of the units they lead (themselves: `can_self_assess`), the link to its sheet, the
    deadline and whether it was sent. Two queries."""
    rounds = list(
        Round.objects.filter(state__in=[RoundState.SELF_ASSESSMENT, RoundState.EXPLANATION]).select_related(
            "criteria_set"
        )
    )
    pairs = [
        (rnd, unit)
        for rnd in rounds
        for unit in roots
        if is_scored_on(rnd.criteria_set, unit) and can_self_assess(user, unit)
    ]
    if not pairs:
        return []
    sheets = {
        (a.criteria_set_id, a.unit_id): a
        for a in SelfAssessment.objects.filter(
            criteria_set__in=[r.criteria_set_id for r, _u in pairs], unit__in=[u.pk for _r, u in pairs]
        )
    }
    return [
        {
            "round": rnd,
            "cs": rnd.criteria_set,
            "unit": unit,
            "explaining": rnd.state == RoundState.EXPLANATION,
            "deadline": rnd.explanation_until
            if rnd.state == RoundState.EXPLANATION
            else rnd.self_assessment_until,
            "sheet": sheets.get((rnd.criteria_set_id, unit.pk)),
        }
        for rnd, unit in pairs
    ]


def is_published(criteria_set: CriteriaSet) -> bool:
    return Round.objects.filter(criteria_set=criteria_set, state=RoundState.PUBLISHED).exists()


__all__ = [
    "ProgressRow",
    "Sheet",
    "SheetLeaf",
    "is_published",
    "published_result",
    "published_results",
    "round_progress",
    "round_read",
    "round_unit_counts",
    "self_assessment_read",
    "self_assessment_sheet",
]
