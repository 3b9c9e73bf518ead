from django.contrib import admin

from .models import Evidence, Extension, Task, TaskEvent


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = [
        "original_name",
        "doc_number",
        "doc_date",
        "content_type",
        "size",
        "metric_value",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the task page or the API, which check the file's content


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    fields = ["at", "action", "from_state", "to_state", "actor", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Read and correct task details; state changes go through the pages or the API (history and rights)."""

    list_display = [
        "title",
        "plan",
        "assignee_unit",
        "lead",
        "due_date",
        "effective_due_date",
        "state",
        "priority",
        "criterion_code",
        "progress",
    ]
    list_filter = ["state", "priority", "plan__year", "assignee_unit__kind"]
    search_fields = ["title", "plan__number", "assignee_unit__code", "assignee_unit__name", "criterion_code"]
    autocomplete_fields = ["plan", "parent", "assignee_unit", "lead", "assigned_by"]
    readonly_fields = [
        "state",
        "effective_due_date",
        "metric_value",
        "assigned_at",
        "submitted_at",
        "approved_at",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "due_date"
    inlines = [EvidenceInline, TaskEventInline]
    list_select_related = ["plan", "assignee_unit", "lead"]

    def save_model(self, request, obj, form, change):
        from .services import effective_due_date

        obj.effective_due_date = effective_due_date(obj.due_date)
        super().save_model(request, obj, form, change)


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "task",
        "doc_number",
        "doc_date",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    search_fields = ["original_name", "doc_number", "description", "task__title", "sha256"]
    list_filter = ["content_type"]
    readonly_fields = [f.name for f in Evidence._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["task", "previous_due_date", "requested_due_date", "state", "requested_by", "decided_by"]
    list_filter = ["state"]
    search_fields = ["task__title", "reason"]
    readonly_fields = [f.name for f in Extension._meta.fields]


@admin.register(TaskEvent)
class TaskEventAdmin(admin.ModelAdmin):
    list_display = ["at", "task", "action", "from_state", "to_state", "actor"]
    list_filter = ["action"]
    search_fields = ["task__title", "reason"]
    readonly_fields = [f.name for f in TaskEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
