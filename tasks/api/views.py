from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tasks import services
from tasks.files import evidence_file_response
from tasks.filters import TaskFilterSet
from tasks.models import Evidence, Extension, Task, TaskComment
from tasks.selectors import task_list

from .serializers import (
    BulkApproveSerializer,
    BulkResultSerializer,
    BulkReturnSerializer,
    CascadeResultSerializer,
    CascadeSerializer,
    EvidenceSerializer,
    ExtensionSerializer,
    ProgressSerializer,
    ReasonSerializer,
    SplitSerializer,
    TaskCommentAddedSerializer,
    TaskCommentCreateSerializer,
    TaskCommentSerializer,
    TaskEventSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
)


class TaskViewSet(viewsets.ModelViewSet):
    """Tasks the signed-in user may see. Transitions are POSTs on the task."""

    filterset_class = TaskFilterSet  # the task lists' pages filter with it too
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return task_list(user=self.request.user).order_by("effective_due_date", "id")

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return TaskUpdateSerializer
        return TaskSerializer

    def perform_create(self, serializer):
        serializer.instance = services.task_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        progress = data.pop("progress", None)
        task = serializer.instance
        if data:
            task = services.task_update(actor=self.request.user, task=task, **data)
        if progress is not None and progress != task.progress:
            task = services.task_report_progress(actor=self.request.user, task=task, progress=progress)
        serializer.instance = task

    def _respond(self, task):
        task = self.get_queryset().get(pk=task.pk)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    def _transition(self, request, name):
        task = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.TRANSITIONS[name](
            actor=request.user, task=task, reason=body.validated_data.get("reason", "")
        )
        return self._respond(task)

    @extend_schema(request=ReasonSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, **kwargs):
        return self._transition(request, "assign")

    @extend_schema(request=ReasonSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None, **kwargs):
        return self._transition(request, "start")

    @extend_schema(request=ReasonSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, **kwargs):
        return self._transition(request, "submit")

    @extend_schema(request=ReasonSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, **kwargs):
        return self._transition(request, "approve")

    @extend_schema(request=ReasonSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None, **kwargs):
        return self._transition(request, "return")

    @extend_schema(request=ReasonSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):
        return self._transition(request, "cancel")

    @extend_schema(request=ReasonSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None, **kwargs):
        return self._transition(request, "reopen")

    @extend_schema(
        request=BulkApproveSerializer,
        responses={
            200: BulkResultSerializer,
            400: OpenApiResponse(description="Bad input: {field: [message]}"),
            403: OpenApiResponse(description="The caller leads no unit: they may approve nothing"),
        },
    )
    @action(detail=False, methods=["post"], url_path="bulk-approve", filter_backends=[])
    def bulk_approve(self, request, **kwargs):
        """Approve many submitted tasks at once, each by the rule of `approve`; a task that cannot be
        approved (not yours, not submitted any more, not found) is listed in `refused` with its reason and
        the others are still approved."""
        body = BulkApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.tasks_approve_bulk(actor=request.user, task_ids=body.validated_data["ids"])
        return Response(BulkResultSerializer(result).data)

    @extend_schema(
        request=BulkReturnSerializer,
        responses={
            200: BulkResultSerializer,
            400: OpenApiResponse(description="Bad input: {field: [message]} (no ids, no reason)"),
            403: OpenApiResponse(description="The caller leads no unit: they may return nothing"),
        },
    )
    @action(detail=False, methods=["post"], url_path="bulk-return", filter_backends=[])
    def bulk_return(self, request, **kwargs):
        """Return many submitted tasks at once with one reason, each by the rule of `return`; refusals as
        for `bulk-approve`."""
        body = BulkReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.tasks_return_bulk(
            actor=request.user, task_ids=body.validated_data["ids"], reason=body.validated_data["reason"]
        )
        return Response(BulkResultSerializer(result).data)

    @extend_schema(request=ProgressSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None, **kwargs):
        task = self.get_object()
        body = ProgressSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.task_report_progress(actor=request.user, task=task, **body.validated_data)
        return self._respond(task)

    @extend_schema(request=CascadeSerializer, responses=CascadeResultSerializer)
    @action(detail=True, methods=["post"])
    def cascade(self, request, pk=None, **kwargs):
        """Issue a copy of the task to every unit of `unit_kind` in the plan's reach, or to `units`; a
        retry creates only the missing copies. 201 when some were created, 200 when all were there."""
        task = self.get_object()
        body = CascadeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.task_cascade(actor=request.user, task=task, **body.validated_data)
        data = {**result.summary(), "task_ids": result.task_ids}
        return Response(data, status=201 if result.created else 200)

    @extend_schema(request=SplitSerializer, responses=TaskSerializer(many=True))
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None, **kwargs):
        """The assignee unit's leaders split the received task into sub-tasks for their officials."""
        task = self.get_object()
        body = SplitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.task_split(actor=request.user, task=task, rows=body.validated_data["subtasks"])
        tasks = self.get_queryset().filter(pk__in=[t.pk for t in created])
        return Response(
            TaskSerializer(tasks, many=True, context=self.get_serializer_context()).data, status=201
        )

    @extend_schema(responses=TaskEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None, **kwargs):
        task = self.get_object()
        events = task.events.select_related("actor").order_by("at", "id")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(TaskEventSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="The task's comments (ý kiến trao đổi), oldest first",
        responses={200: TaskCommentSerializer(many=True), 404: OpenApiResponse(description="Not visible")},
    )
    @extend_schema(
        methods=["POST"],
        summary="Write a comment; its @username mentions notify those named who can see the task",
        request=TaskCommentCreateSerializer,
        responses={
            201: TaskCommentAddedSerializer,
            400: OpenApiResponse(description='{"body": ["reason"]}: empty or too long'),
            403: OpenApiResponse(description="Not allowed to comment"),
            404: OpenApiResponse(description="Not visible"),
            409: OpenApiResponse(description="The task is cancelled"),
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request, pk=None, **kwargs):
        task = self.get_object()
        if request.method == "POST":
            body = TaskCommentCreateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            added = services.task_comment_add(actor=request.user, task=task, body=body.validated_data["body"])
            comment = (
                TaskComment.objects.select_related("author")
                .prefetch_related("mentions")
                .get(pk=added.comment.pk)
            )
            comment.not_notified = list(added.not_notified)
            return Response(TaskCommentAddedSerializer(comment).data, status=201)
        comments = (
            TaskComment.objects.filter(task=task)
            .select_related("author")
            .prefetch_related("mentions")
            .order_by("created_at", "id")
        )
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(TaskCommentSerializer(page, many=True).data)


class _TaskChildMixin:
    """Evidence and extensions live under a task the user can see; anything else is 404."""

    lookup_value_regex = r"\d+"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Before the body is read: a stranger gets 404, never field errors about a task they cannot see.
        self.get_task()

    def get_task(self) -> Task:
        if not hasattr(self, "_task"):
            self._task = get_object_or_404(
                Task.objects.visible_to(self.request.user), pk=self.kwargs["task_pk"]
            )
        return self._task


class EvidenceViewSet(
    _TaskChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = EvidenceSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Evidence.objects.none()
        return (
            Evidence.objects.filter(task=self.get_task())
            .select_related("uploaded_by")
            .order_by("uploaded_at", "id")
        )

    def perform_create(self, serializer):
        serializer.instance = services.evidence_add(
            actor=self.request.user, task=self.get_task(), **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.evidence_delete(actor=self.request.user, evidence=instance)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="The file")})
    @action(detail=True, methods=["get"])
    def download(self, request, task_pk=None, pk=None, **kwargs):
        evidence = self.get_object()
        return evidence_file_response(evidence)


class ExtensionViewSet(
    _TaskChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ExtensionSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Extension.objects.none()
        return Extension.objects.filter(task=self.get_task()).order_by("-requested_at")

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = services.extension_request(
            actor=self.request.user,
            task=self.get_task(),
            requested_due_date=d["requested_due_date"],
            reason=d["reason"],
        )

    def _decide(self, request, approve: bool):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ext = services.extension_decide(
            actor=request.user,
            extension=self.get_object(),
            approve=approve,
            note=body.validated_data.get("reason", ""),
            now=timezone.now(),
        )
        return Response(ExtensionSerializer(ext).data)

    @extend_schema(request=ReasonSerializer, responses=ExtensionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, task_pk=None, pk=None, **kwargs):
        return self._decide(request, True)

    @extend_schema(request=ReasonSerializer, responses=ExtensionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, task_pk=None, pk=None, **kwargs):
        return self._decide(request, False)
