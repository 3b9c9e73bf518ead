from django.contrib import admin

from org.admin import ReadOnlyAdminMixin

from .models import Appraisal, LeafScore, SurveyResult, UnitScore


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
