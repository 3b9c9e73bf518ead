from django.contrib import admin

from org.admin import ReadOnlyAdminMixin

from .models import (
    Adjustment,
    Appraisal,
    LeafScore,
    PublishedResult,
    Round,
    SelfAssessment,
    SurveyResult,
    UnitScore,
)


class _LookupOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rows written only through the scoring services, which check who may write them and recompute the
    scores they feed; an edit or a delete here would leave the scores stale until the nightly run."""


@admin.register(SurveyResult)
class SurveyResultAdmin(_LookupOnlyAdmin):
    """Survey results are imported from their file (validated whole); here they are looked up."""

    list_display = ["criteria_set", "unit", "criterion", "points", "imported_at", "imported_by"]
    list_filter = ["criteria_set"]
    search_fields = ["unit__code", "unit__name", "criterion__code"]
    list_select_related = ["criteria_set", "unit", "criterion", "imported_by"]


@admin.register(Appraisal)
class AppraisalAdmin(_LookupOnlyAdmin):
    """Appraisals are entered through the API or the pages (which check who may appraise and recompute the
    scores); here they are looked up."""

    list_display = ["criteria_set", "unit", "criterion", "points", "appraiser", "updated_at"]
    list_filter = ["criteria_set"]
    search_fields = ["unit__code", "unit__name", "criterion__code", "note"]
    list_select_related = ["criteria_set", "unit", "criterion", "appraiser"]


class _DerivedAdmin(_LookupOnlyAdmin):
    """Derived rows: recomputed from source rows, never edited by hand (use `manage.py recompute_scores`)."""


@admin.register(UnitScore)
class UnitScoreAdmin(_DerivedAdmin):
    list_display = ["criteria_set", "unit", "parent_unit", *UnitScore.SCORE_FIELDS, "computed_at"]
    list_filter = ["criteria_set"]
    search_fields = ["unit__code", "unit__name"]
    list_select_related = ["criteria_set", "unit", "parent_unit"]
    ordering = ["criteria_set", "parent_unit", "rank"]


@admin.register(LeafScore)
class LeafScoreAdmin(_DerivedAdmin):
    list_display = ["criteria_set", "unit", "criterion", *LeafScore.SCORE_FIELDS]
    list_filter = ["criteria_set", "excluded"]
    search_fields = ["unit__code", "criterion__code"]
    list_select_related = ["criteria_set", "unit", "criterion"]


# --- The assessment round: moved by its services (the API and the pages), looked up here -----------------


@admin.register(Round)
class RoundAdmin(_LookupOnlyAdmin):
    """A set's round. Its steps check who may act and what each state needs, freeze the results and tell
    the units: they are taken on the round page or through the API, never by editing the row. Its history
    is the criteria set's (the set's History button)."""

    list_display = [
        "criteria_set",
        "state",
        "self_assessment_until",
        "explanation_until",
        "decision_number",
        "decided_on",
        "version",
    ]
    list_filter = ["state"]
    list_select_related = ["criteria_set"]


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(_LookupOnlyAdmin):
    list_display = ["criteria_set", "unit", "state", "late", "submitted_at", "submitted_by"]
    list_filter = ["criteria_set", "state", "late"]
    search_fields = ["unit__code", "unit__name"]
    list_select_related = ["criteria_set", "unit", "submitted_by"]


@admin.register(Adjustment)
class AdjustmentAdmin(_LookupOnlyAdmin):
    list_display = ["criteria_set", "unit", "bonus", "penalty", "note", "appraiser", "updated_at"]
    list_filter = ["criteria_set"]
    search_fields = ["unit__code", "unit__name", "note"]
    list_select_related = ["criteria_set", "unit", "appraiser"]


@admin.register(PublishedResult)
class PublishedResultAdmin(_LookupOnlyAdmin):
    """A published version: written once at publication, never changed (a correction adds the next)."""

    list_display = [
        "criteria_set",
        "version",
        "decision_number",
        "decided_on",
        "published_at",
        "published_by",
    ]
    list_filter = ["criteria_set"]
    list_select_related = ["criteria_set", "published_by"]
