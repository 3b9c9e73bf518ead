"""Scoring's models: the live scores and their source rows (`scores`), and the assessment round with its
self-assessments, adjustments and published versions (`round`)."""

from .round import (
    LIVE_STATES,
    Adjustment,
    CriterionEvidence,
    EvidencePhase,
    LeafAssessment,
    PublishedLeaf,
    PublishedResult,
    PublishedScore,
    Round,
    RoundAction,
    RoundState,
    SelfAssessment,
    SelfAssessmentState,
)
from .scores import Appraisal, LeafScore, SurveyResult, UnitScore

__all__ = [
    "LIVE_STATES",
    "Adjustment",
    "Appraisal",
    "CriterionEvidence",
    "EvidencePhase",
    "LeafAssessment",
    "LeafScore",
    "PublishedLeaf",
    "PublishedResult",
    "PublishedScore",
    "Round",
    "RoundAction",
    "RoundState",
    "SelfAssessment",
    "SelfAssessmentState",
    "SurveyResult",
    "UnitScore",
]
