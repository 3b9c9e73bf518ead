"""Writes for scoring, by sub-domain: survey results (`surveys`), appraisals (`appraisals`), recomputing
scores (`recompute`, which reads its inputs through `_inputs`, scores them into rows with `_rows` and writes
them through `_upsert`, the one module that knows the database vendor) and ranking (`ranking`). Criteria
sets are imported by `criteria.services`.

Callers import the services from here. To patch one in a test, patch the module that defines and calls
it (e.g. `scoring.services.recompute._recompute_batch`): a name set on this package changes nobody's
globals.
"""

from ._rows import score_memo_clear
from .appraisals import appraisal_set
from .ranking import ranks_recompute
from .recompute import (
    SNAPSHOT_FIELDS,
    score_snapshot,
    scored_units,
    scores_recompute,
    scores_recompute_chunks,
    scores_reconcile,
    scores_request,
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
    "survey_import",
    "survey_parse",
]
