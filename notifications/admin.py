"""Admin: the reminder policy (validated, with the error named), preferences, the ledger with its
deliveries (filter by state, kind and channel; failures and their errors in plain sight), digests."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.admin import ReadOnlyAdminMixin

from .models import (
    Delivery,
    DeliveryState,
    Digest,
    Notification,
    NotificationPreference,
    ReminderPolicySetting,
)


@admin.register(ReminderPolicySetting)
class ReminderPolicySettingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "data", "updated_at"]
    autocomplete_fields = ["plan"]
    readonly_fields = ["effective_policy"]

    @admin.display(description=_("chính sách áp dụng"))
    def effective_policy(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        base = ReminderPolicySetting.global_policy() if obj.plan_id is not None else None
        try:
            return obj.policy(base).to_dict()
        except ValueError as exc:
            return str(exc)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_mode", "phone", "zalo_enabled", "sms_enabled", "updated_at"]
    list_filter = ["email_mode", "zalo_enabled", "sms_enabled"]
    search_fields = ["user__username", "user__full_name", "user__email"]
    autocomplete_fields = ["user"]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ["channel", "state", "attempts", "next_attempt_at", "sent_at", "last_error", "digest"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DeliveryStateFilter(admin.SimpleListFilter):
    title = _("trạng thái gửi")
    parameter_name = "delivery_state"

    def lookups(self, request, model_admin):
        return DeliveryState.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(deliveries__state=self.value()).distinct()
        return queryset


class ChannelFilter(admin.SimpleListFilter):
    title = _("kênh")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return Delivery._meta.get_field("channel").choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(deliveries__channel=self.value()).distinct()
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: every reminder and notice, read-only (it is a record of what was planned)."""

    list_display = [
        "created_at",
        "kind",
        "recipient",
        "subject",
        "due_date",
        "offset",
        "read_at",
        "delivery_states",
    ]
    list_filter = ["kind", DeliveryStateFilter, ChannelFilter, "created_at"]
    search_fields = [
        "title",
        "recipient__username",
        "recipient__full_name",
        "task__title",
        "criteria_set__code",
        "unit__name",
    ]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]
    list_select_related = ["recipient", "task", "criteria_set", "unit"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    allow_delete = True  # old ledger rows may still be deleted by hand, as before

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("deliveries")

    @admin.display(description=_("về"))
    def subject(self, obj):
        """The task, or for a round notice the criteria set and the unit."""
        if obj.task_id is not None:
            return obj.task
        if obj.criteria_set_id is not None:
            return f"{obj.criteria_set.code} — {obj.unit.name}"
        return "—"

    @admin.display(description=_("gửi"))
    def delivery_states(self, obj):
        return ", ".join(f"{d.channel}: {d.get_state_display()}" for d in obj.deliveries.all()) or "—"


@admin.action(description=_("Gửi lại ngay (các lượt đã thất bại)"))
def retry_now(modeladmin, request, queryset):
    n = queryset.filter(state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    modeladmin.message_user(request, _("Đã đưa %(n)d lượt gửi vào hàng chờ.") % {"n": n})


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Deliveries by channel and state; the failed ones show their last error and can be retried."""

    list_display = [
        "id",
        "channel",
        "state",
        "attempts",
        "recipient",
        "kind",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "channel", "notification__kind"]
    search_fields = ["notification__title", "notification__recipient__username", "last_error"]
    list_select_related = ["notification__recipient"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = [retry_now]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("người nhận"))
    def recipient(self, obj):
        return obj.notification.recipient

    @admin.display(description=_("loại"))
    def kind(self, obj):
        return obj.notification.get_kind_display()


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["day", "recipient", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "day"]
    search_fields = ["recipient__username", "last_error"]
    readonly_fields = [f.name for f in Digest._meta.fields]
    actions = [retry_now]

    def has_add_permission(self, request):
        return False
