from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import services
from .audit import audit_record, snapshot
from .models import AuditAction, AuditEntry, CalendarDay, Membership, Unit, User


class AuditHistoryMixin:
    """The admin's "History" button shows the object's audit entries (`org.AuditEntry`): every change a
    service made, from the admin, the pages, the API or a command, not only the admin's own log."""

    def history_view(self, request, object_id, extra_context=None):
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Nhật ký thao tác: %s") % obj,
            "subtitle": None,
            "opts": self.model._meta,
            "object": obj,
            "entries": AuditEntry.objects.about(obj).select_related("actor", "unit")[:500],
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit_history.html", context)


class ReadOnlyAdminMixin:
    """An admin that only looks rows up: nothing is added, changed or deleted here.

    For rows that services write (they check who may act, write the history, recompute what the rows feed)
    and for records that must stay as written. Put it before `admin.ModelAdmin` in the bases. A record that
    may still be pruned by hand sets `allow_delete = True` (the Django delete permission then decides)."""

    allow_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and super().has_delete_permission(request, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(AuditHistoryMixin, admin.ModelAdmin):
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
class UserAdmin(AuditHistoryMixin, BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "email", "is_active", "is_superuser"]
    search_fields = ["username", "full_name", "email"]
    list_filter = ["is_active", "is_superuser", "memberships__role"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Theo dõi CCHC"), {"fields": ["full_name", "language"]}),
    ]

    def save_model(self, request, obj, form, change):
        # The admin's changeform runs in one transaction: the entry lands with the change or not at all.
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        before = snapshot(stored, services.USER_AUDITED) if stored else {}
        super().save_model(request, obj, form, change)
        changes = services.user_changes(before, obj)
        if changes:
            action = AuditAction.USER_CHANGED if change else AuditAction.USER_CREATED
            audit_record(actor=request.user, action=action, subject=obj, changes=changes)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Memberships go through the services (who may grant where, the audit entry), never straight in.
        for inline in formset.forms:
            stored = inline.instance if inline.instance.pk else None
            if inline in formset.deleted_forms:
                if stored is not None:
                    services.membership_remove(actor=request.user, membership=stored)
                continue
            if not inline.has_changed():
                continue
            if stored is not None:
                old = Membership.objects.select_related("unit", "user").get(pk=stored.pk)
                services.membership_remove(actor=request.user, membership=old)
            data = inline.cleaned_data
            services.membership_add(
                actor=request.user, user=form.instance, unit=data["unit"], role=data["role"]
            )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__full_name", "unit__code", "unit__name"]
    autocomplete_fields = ["user", "unit"]

    def save_model(self, request, obj, form, change):
        if change:
            services.membership_remove(actor=request.user, membership=Membership.objects.get(pk=obj.pk))
        created = services.membership_add(actor=request.user, user=obj.user, unit=obj.unit, role=obj.role)
        obj.pk = created.pk

    def delete_model(self, request, obj):
        services.membership_remove(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "unit"):
            services.membership_remove(actor=request.user, membership=membership)


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["date", "is_working", "note"]
    list_filter = ["is_working"]
    date_hierarchy = "date"
    search_fields = ["note"]

    def save_model(self, request, obj, form, change):
        if change and obj.date != CalendarDay.objects.values_list("date", flat=True).get(pk=obj.pk):
            services.calendar_day_remove(actor=request.user, day=CalendarDay.objects.get(pk=obj.pk))
        day = services.calendar_day_set(
            actor=request.user, date=obj.date, is_working=obj.is_working, note=obj.note
        )
        obj.pk = day.pk

    def delete_model(self, request, obj):
        services.calendar_day_remove(actor=request.user, day=obj)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            services.calendar_day_remove(actor=request.user, day=day)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The whole trail, read-only, scoped like every listing (`visible_to`)."""

    list_display = ["at", "action", "subject_repr", "unit", "actor"]
    list_filter = ["action", "subject_type"]
    search_fields = ["subject_repr", "actor__username", "unit__code", "unit__name", "note"]
    date_hierarchy = "at"
    list_select_related = ["actor", "unit"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields if f.name != "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
