from django.utils import timezone
from rest_framework import serializers

from org.models import Unit, User
from plans.models import Plan
from tasks.models import COMMENT_MAX_LENGTH, Evidence, Extension, Priority, Task, TaskComment, TaskEvent
from tasks.services import ASSIGNEE_OUT_OF_REACH, BULK_MAX, LEAD_NOT_MEMBER

#: Read-only fields the state machine's steps set (and the computed status), last in a task's answer.
_SET_BY_THE_STEPS = (
    "state",
    "status",
    "assigned_at",
    "submitted_at",
    "approved_at",
    "created_at",
    "updated_at",
)


class TaskSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    status = serializers.SerializerMethodField()
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.none())
    parent = serializers.PrimaryKeyRelatedField(queryset=Task.objects.none(), allow_null=True, required=False)
    # A unit or user id that does not exist answers exactly as one the service refuses (outside the plan's
    # reach, not an active member of the unit): no answer tells what exists or who works where.
    assignee_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), error_messages={"does_not_exist": ASSIGNEE_OUT_OF_REACH}
    )
    lead = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": LEAD_NOT_MEMBER},
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    assignee_unit_code = serializers.CharField(source="assignee_unit.code", read_only=True)
    plan_number = serializers.CharField(source="plan.number", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            "plan_number",
            "parent",
            "title",
            "description",
            "assignee_unit",
            "assignee_unit_code",
            "lead",
            "assigned_by",
            "start_date",
            "due_date",
            "effective_due_date",
            "priority",
            "criterion_code",
            "progress",
            "metric_value",
            *_SET_BY_THE_STEPS,
        ]
        read_only_fields = ["id", "assigned_by", "effective_due_date", "metric_value", *_SET_BY_THE_STEPS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Anything the user cannot see answers as if it did not exist.
            self.fields["plan"].queryset = Plan.objects.visible_to(request.user)
            self.fields["parent"].queryset = Task.objects.visible_to(request.user)

    def get_status(self, obj) -> str:
        code = getattr(obj, "status_code", None)
        return code or obj.status(timezone.localdate())


class TaskUpdateSerializer(TaskSerializer):
    class Meta(TaskSerializer.Meta):
        read_only_fields = [*TaskSerializer.Meta.read_only_fields, "plan"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class BulkApproveSerializer(serializers.Serializer):
    """`POST /api/tasks/bulk-approve/`: the ids of the submitted tasks to approve."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=BULK_MAX,
        help_text=f"Task ids, at most {BULK_MAX}.",
    )


class BulkReturnSerializer(BulkApproveSerializer):
    """`POST /api/tasks/bulk-return/`: the ids of the submitted tasks to return, with one reason for all."""

    reason = serializers.CharField(max_length=4000, help_text="Why they are returned (required).")


class RefusalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.ChoiceField(
        choices=["not_found", "forbidden", "conflict", "invalid"],
        help_text="not_found: no such task among those you see; forbidden: not yours to decide; "
        "conflict: not in a state that allows it (e.g. approved meanwhile); invalid: bad input.",
    )
    reason = serializers.CharField(source="message")


class BulkResultSerializer(serializers.Serializer):
    """What a bulk decision did: the tasks done, and each refused with its reason (the others still done)."""

    done = serializers.ListField(child=serializers.IntegerField(), source="done_ids")
    refused = RefusalSerializer(many=True)


class ProgressSerializer(serializers.Serializer):
    progress = serializers.IntegerField(min_value=0, max_value=100)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class EvidenceSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True, max_length=255, allow_empty_file=True)
    download_url = serializers.SerializerMethodField()
    uploaded_by = serializers.StringRelatedField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "task",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "doc_number",
            "doc_date",
            "description",
            "metric_value",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = [
            "id",
            "task",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        extra_kwargs = {"metric_value": {"min_value": 0, "max_value": 10**9}}

    def get_download_url(self, obj) -> str:
        return f"/api/tasks/{obj.task_id}/evidence/{obj.pk}/download/"


class ExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = [
            "id",
            "task",
            "requested_by",
            "requested_at",
            "previous_due_date",
            "requested_due_date",
            "reason",
            "state",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = [
            "id",
            "task",
            "requested_by",
            "requested_at",
            "previous_due_date",
            "state",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        extra_kwargs = {"reason": {"required": True, "allow_blank": False}}


class TaskEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()
    actor_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = TaskEvent
        fields = ["id", "action", "from_state", "to_state", "actor", "actor_id", "at", "reason", "data"]


class CascadeSerializer(serializers.Serializer):
    """`POST /api/tasks/{id}/cascade/`: every unit of a kind in the plan's reach, or a list of unit ids."""

    unit_kind = serializers.ChoiceField(
        choices=[k for k, _label in Unit._meta.get_field("kind").choices], required=False
    )
    units = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=5000
    )
    assign = serializers.BooleanField(required=False, allow_null=True, default=None)


class CascadeResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    units = serializers.IntegerField()
    task_ids = serializers.ListField(child=serializers.IntegerField())


class SplitRowSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    description = serializers.CharField(required=False, allow_blank=True)
    # An id, judged by the service with one answer for a user who does not exist and one of another unit.
    lead = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    start_date = serializers.DateField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class SplitSerializer(serializers.Serializer):
    """`POST /api/tasks/{id}/split/`: the assignee unit's leaders split a received task into sub-tasks."""

    subtasks = SplitRowSerializer(many=True, allow_empty=False, max_length=200)


class TaskCommentSerializer(serializers.ModelSerializer):
    """A comment of `GET/POST /api/tasks/{id}/comments/`: who wrote it, when, and the usernames of the people
    its `@mentions` reached."""

    author = serializers.StringRelatedField()
    author_id = serializers.IntegerField(read_only=True, allow_null=True)
    mentions = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = TaskComment
        fields = ["id", "task", "author", "author_id", "body", "created_at", "mentions"]
        read_only_fields = fields


class TaskCommentCreateSerializer(serializers.Serializer):
    """`POST /api/tasks/{id}/comments/`: the text; `@username` mentions in it notify the people named who can
    see the task."""

    body = serializers.CharField(max_length=COMMENT_MAX_LENGTH, trim_whitespace=True)


class TaskCommentAddedSerializer(TaskCommentSerializer):
    """The comment written, and the `@names` in it that reached no one (no account of that name, or one that
    cannot see the task: the answer does not say which)."""

    not_notified = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(TaskCommentSerializer.Meta):
        fields = [*TaskCommentSerializer.Meta.fields, "not_notified"]
        read_only_fields = fields
