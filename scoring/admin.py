from django.contrib import admin

from .models import Appraisal, CriteriaSet, Criterion, LeafScore, SurveyResult, UnitScore
from .permissions import can_manage_criteria_set


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["code", "title", "max_points", "part", "rule"]
    readonly_fields = fields
    can_delete = False
    ordering = ["order"]

    def has_add_permission(self, request, obj=None):
        return False  # criteria sets are imported from their YAML file, which is validated whole


class _LookupOnlyAdmin(admin.ModelAdmin):
    """Rows written only through the scoring services, which check who may write them and recompute the
    scores they feed; an edit or a delete here would leave the scores stale until the nightly run."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    """Imported from its YAML file (validated whole). Only the name may be edited here: the year, the unit
    kind and the period decide which units and tasks are scored, so they are changed by importing a set.
    Editing or deleting a set is for those who run it (`permissions.can_manage_criteria_set`: today, with
    no owner unit on any set, superusers), whatever Django permissions a staff account holds."""

    list_display = ["code", "name", "year", "unit_kind", "period_start", "period_end"]
    list_filter = ["year", "unit_kind"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "year", "unit_kind", "period_start", "period_end", "source"]
    inlines = [CriterionInline]

    def has_add_permission(self, request):
        return False  # `manage.py import_criteria` or the API, which validate the file

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_manage_criteria_set(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_manage_criteria_set(request.user, obj)


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
    list_display = [
        "criteria_set",
        "unit",
        "parent_unit",
        "total",
        "applicable_max",
        "percent",
        "rank",
        "delta",
        "projected_total",
        "computed_at",
    ]
    list_filter = ["criteria_set"]
    search_fields = ["unit__code", "unit__name"]
    list_select_related = ["criteria_set", "unit", "parent_unit"]
    ordering = ["criteria_set", "parent_unit", "rank"]


@admin.register(LeafScore)
class LeafScoreAdmin(_DerivedAdmin):
    list_display = [
        "criteria_set",
        "unit",
        "criterion",
        "on_time",
        "late",
        "overdue",
        "pending",
        "metric",
        "auto_points",
        "appraised_points",
        "points",
        "excluded",
    ]
    list_filter = ["criteria_set", "excluded"]
    search_fields = ["unit__code", "criterion__code"]
    list_select_related = ["criteria_set", "unit", "criterion"]
