"""Writes for scoring, by sub-domain: survey results (`surveys`), appraisals and bonus/penalty
(`appraisals`), the assessment round (`round`: its steps and bulk rows; `round_cycle`: the periodic job
and who is told), a unit's side of it (`self_assessment`), the improvement plan (`improvement`),
recomputing scores (`recompute`, which reads its inputs through `_inputs`, scores them into rows with
`_rows` and writes them through `_upsert`, the one module that knows the database vendor) and ranking
(`ranking`). Criteria sets are imported by `criteria.services`.

Callers import the services from here. To patch one in a test, patch the module that defines and calls
it (e.g. `scoring.services.recompute._recompute_batch`): a name set on this package changes nobody's
globals.
"""

from ._rows import score_memo_clear
from .appraisals import adjustment_set, appraisal_set, unit_own_points
from .improvement import improvement_plan_create
from .ranking import ranks_recompute
from .recompute import (
    SNAPSHOT_FIELDS,
    score_snapshot,
    scored_units,
    scores_recompute,
    scores_recompute_chunks,
    scores_reconcile,
    scores_request,
    scores_requests_batched,
)
from .round import (
    ROUND_DENIED,
    RoundError,
    StepFields,
    deadline_end,
    is_past,
    results_freeze,
    round_of,
    round_step,
    self_assessments_close,
    self_assessments_open,
)
from .round_cycle import awaiting_answer_q, results_announce, round_cycle, round_targets
from .self_assessment import (
    criterion_evidence_add,
    explanation_answer,
    self_assessment_leaf_save,
    self_assessment_submit,
)
from .surveys import (
    POINTS_PLACES,
    SURVEY_HEADER,
    SURVEY_MAX_BYTES,
    SURVEY_MAX_ROWS,
    SurveyImportResult,
    survey_import,
    survey_parse,
)

__all__ = [
    "ROUND_DENIED",
    "RoundError",
    "StepFields",
    "adjustment_set",
    "awaiting_answer_q",
    "criterion_evidence_add",
    "deadline_end",
    "explanation_answer",
    "improvement_plan_create",
    "is_past",
    "results_announce",
    "results_freeze",
    "round_cycle",
    "round_of",
    "round_step",
    "round_targets",
    "self_assessment_leaf_save",
    "self_assessment_submit",
    "self_assessments_close",
    "self_assessments_open",
    "unit_own_points",
    "POINTS_PLACES",
    "SNAPSHOT_FIELDS",
    "SURVEY_HEADER",
    "SURVEY_MAX_BYTES",
    "SURVEY_MAX_ROWS",
    "SurveyImportResult",
    "appraisal_set",
    "ranks_recompute",
    "score_memo_clear",
    "score_snapshot",
    "scored_units",
    "scores_recompute",
    "scores_recompute_chunks",
    "scores_reconcile",
    "scores_request",
    "scores_requests_batched",
    "survey_import",
    "survey_parse",
]
