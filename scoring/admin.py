from django.contrib import admin

from .models import CriteriaSet, Criterion


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
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "year", "unit_kind", "period_start", "period_end"]
    list_filter = ["year", "unit_kind"]
    search_fields = ["code", "name"]
    inlines = [CriterionInline]
