from django.contrib import admin
from django_fsm.admin import FSMAdminMixin

from .models import Plan


@admin.register(Plan)
class PlanAdmin(FSMAdminMixin, admin.ModelAdmin):
    list_display = ["number", "title", "owner_unit", "year", "state", "issued_on", "criteria_set"]
    list_filter = ["state", "year", "owner_unit__kind"]
    search_fields = ["number", "title", "owner_unit__code", "owner_unit__name"]
    autocomplete_fields = ["owner_unit"]
    fsm_fields = ["state"]
    readonly_fields = ["state", "created_by", "created_at", "updated_at"]
