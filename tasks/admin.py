from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _

from org.admin import ReadOnlyAdminMixin

from .models import Evidence, Extension, Task, TaskEvent
from .services import EDITABLE_FIELDS


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


class TaskAdminForm(forms.ModelForm):
    """Checks what the services check, so a refused change shows next to the field instead of failing."""

    class Meta:
        model = Task
        fields = ["plan", *EDITABLE_FIELDS]

    def clean(self):
        from .models import TaskState
        from .services import validate_task_links

        data = super().clean()
        task = self.instance
        if task.pk and task.state in (TaskState.APPROVED, TaskState.CANCELLED):
            raise forms.ValidationError(_("Nhiệm vụ đã duyệt hoặc đã hủy không sửa được; hãy mở lại trước."))
        plan = data.get("plan") or (task.plan if task.plan_id else None)
        if plan is None:
            return data
        if task.pk and task.state != TaskState.DRAFT and not data.get("due_date"):
            self.add_error("due_date", _("Nhiệm vụ đã giao phải có hạn hoàn thành."))
        try:
            validate_task_links(
                task=task if task.pk else None,
                changed=set(self.changed_data) if task.pk else None,
                plan=plan,
                parent=data.get("parent"),
                lead=data.get("lead"),
                assignee_unit=data.get("assignee_unit"),
                criterion_code=data.get("criterion_code") or "",
                start_date=data.get("start_date"),
                due_date=data.get("due_date"),
            )
        except DjangoValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data


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
    form = TaskAdminForm
    readonly_fields = [
        "state",
        "progress",
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

    def get_readonly_fields(self, request, obj=None):
        # The plan of an existing task never changes; everything else goes through the services below.
        return [*self.readonly_fields, "plan"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the services, like every other write: rights, freeze rules, history and score updates."""
        from .services import task_create, task_update

        data = {f: form.cleaned_data[f] for f in form.changed_data if f in EDITABLE_FIELDS}
        if change:
            original = Task.objects.get(pk=obj.pk)
            task = task_update(actor=request.user, task=original, **data) if data else original
        else:
            fields = {f: form.cleaned_data.get(f) for f in EDITABLE_FIELDS}
            fields["criterion_code"] = fields.get("criterion_code") or ""
            fields["priority"] = fields.get("priority") or "normal"
            task = task_create(actor=request.user, plan=form.cleaned_data["plan"], **fields)
        obj.pk = task.pk

    def has_delete_permission(self, request, obj=None):
        return False  # tasks are cancelled, never deleted: their history must stay


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
class TaskEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "task", "action", "from_state", "to_state", "actor"]
    list_filter = ["action"]
    search_fields = ["task__title", "reason"]
    readonly_fields = [f.name for f in TaskEvent._meta.fields]
