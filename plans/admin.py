"""The plans admin writes through `plans.services` (who may act, the rules, the audit entry), like every
other entry point; "History" shows the plan's audit entries."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.admin import AuditHistoryMixin

from . import services
from .models import Plan
from .permissions import can_manage_plan

#: What the admin form may change; the state moves only through the actions below.
_EDITABLE = ["owner_unit", "number", "title", "year", "issued_on", "criteria_set"]


class PlanAdminForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = _EDITABLE

    def clean(self):
        data = super().clean()
        plan = self.instance
        if plan.pk and "criteria_set" in self.changed_data and services.plan_criteria_set_locked(plan):
            self.add_error("criteria_set", services.CRITERIA_SET_LOCKED)
        if plan.pk and "owner_unit" in self.changed_data:
            self.add_error("owner_unit", services.OWNER_UNIT_FIXED)
        return data


@admin.register(Plan)
class PlanAdmin(AuditHistoryMixin, admin.ModelAdmin):
    form = PlanAdminForm
    list_display = ["number", "title", "owner_unit", "year", "state", "issued_on", "criteria_set"]
    list_filter = ["state", "year", "owner_unit__kind"]
    search_fields = ["number", "title", "owner_unit__code", "owner_unit__name"]
    autocomplete_fields = ["owner_unit"]
    readonly_fields = ["state", "created_by", "created_at", "updated_at"]
    actions = ["issue_plans", "close_plans"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or can_manage_plan(request.user, obj)
        )

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in _EDITABLE if name in form.cleaned_data}
        if change:
            fields.pop("owner_unit", None)
            services.plan_update(actor=request.user, plan=Plan.objects.get(pk=obj.pk), **fields)
        else:
            created = services.plan_create(actor=request.user, **fields)
            obj.pk = created.pk
        obj.refresh_from_db()

    def _transition(self, request, queryset, service, done: str) -> None:
        count = 0
        for plan in queryset:
            try:
                service(actor=request.user, plan=plan)
                count += 1
            except (PermissionDenied, ValidationError, services.PlanTransitionError) as exc:
                self.message_user(request, f"{plan.number}: {' '.join(_messages(exc))}", messages.ERROR)
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Ban hành các kế hoạch đã chọn"))
    def issue_plans(self, request, queryset):
        self._transition(request, queryset, services.plan_issue, _("Đã ban hành %(count)d kế hoạch."))

    @admin.action(description=gettext_lazy("Kết thúc các kế hoạch đã chọn"))
    def close_plans(self, request, queryset):
        self._transition(request, queryset, services.plan_close, _("Đã kết thúc %(count)d kế hoạch."))


def _messages(exc) -> list[str]:
    return exc.messages if isinstance(exc, ValidationError) else [str(exc)]
