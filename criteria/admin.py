"""The criteria sets in the admin: looked up, renamed, deleted by those who run them; never added or
changed criterion by criterion (a set is imported whole from its file)."""

from django.contrib import admin

from org.admin import AuditHistoryMixin

from . import services
from .models import CriteriaSet, Criterion
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


@admin.register(CriteriaSet)
class CriteriaSetAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Imported from its YAML file (validated whole). Only the name may be edited here: the year, the unit
    kind and the period decide which units and tasks are scored, so they are changed by importing a set.
    Editing or deleting a set is for those who run it (`permissions.can_manage_criteria_set`: the admins
    and appraisers of its owner unit or above; superusers for a set with no owner), whatever Django
    permissions a staff account holds."""

    list_display = ["code", "name", "year", "unit_kind", "owner_unit", "period_start", "period_end"]
    list_select_related = ["owner_unit"]
    list_filter = ["year", "unit_kind"]
    search_fields = ["code", "name"]
    readonly_fields = [
        "code",
        "year",
        "unit_kind",
        "owner_unit",
        "period_start",
        "period_end",
        "classes",
        "bonus_max",
        "penalty_max",
        "source",
    ]
    inlines = [CriterionInline]

    def has_add_permission(self, request):
        return False  # `manage.py import_criteria` or the API, which validate the file

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_manage_criteria_set(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_manage_criteria_set(request.user, obj)

    def save_model(self, request, obj, form, change):
        services.criteria_set_rename(actor=request.user, criteria_set=obj, name=obj.name)

    def delete_model(self, request, obj):
        services.criteria_set_delete(actor=request.user, criteria_set=obj)

    def delete_queryset(self, request, queryset):
        for cs in queryset:
            services.criteria_set_delete(actor=request.user, criteria_set=cs)
