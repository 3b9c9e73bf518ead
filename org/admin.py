from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import CalendarDay, Membership, Unit, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]

    def save_model(self, request, obj, form, change):
        if change:
            services.unit_update(actor=request.user, unit=obj, parent=form.cleaned_data.get("parent"))
        else:
            created = services.unit_create(
                actor=request.user, code=obj.code, name=obj.name, kind=obj.kind, parent=obj.parent
            )
            obj.pk, obj.path = created.pk, created.path


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "email", "is_active", "is_superuser"]
    search_fields = ["username", "full_name", "email"]
    list_filter = ["is_active", "is_superuser", "memberships__role"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Reform Tracker"), {"fields": ["full_name", "language"]}),
    ]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__full_name", "unit__code", "unit__name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "note"]
    list_filter = ["is_working"]
    date_hierarchy = "date"
    search_fields = ["note"]
