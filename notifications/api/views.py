"""`/api/notifications/`: the signed-in user's own notifications (another user's answer 404)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications import selectors, services

from .serializers import MarkedSerializer, NotificationSerializer, PreferenceSerializer, UnreadCountSerializer

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _flag(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise serializers.ValidationError({name: ["Use true or false."]})


@extend_schema(
    parameters=[
        OpenApiParameter("unread", OpenApiTypes.BOOL, description="true: only unread; false: only read"),
        OpenApiParameter("kind", OpenApiTypes.STR, description="e.g. due_3, overdue, assigned"),
    ]
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My notifications, newest first; mark one or all read; the unread count; my email preference."""

    serializer_class = NotificationSerializer
    lookup_value_regex = r"\d+"
    filter_backends: list = []  # filters are explicit below

    def get_queryset(self):
        params = self.request.query_params
        return selectors.notification_list(
            user=self.request.user,
            unread=_flag(params.get("unread"), "unread"),
            kind=params.get("kind") or None,
        )

    def get_object(self):
        if "pk" not in self.kwargs:
            # /preferences/: its object is the user's own preference (DRF asks for it to answer OPTIONS).
            return selectors.preference_get(user=self.request.user)
        return super().get_object()

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = get_object_or_404(selectors.notification_list(user=request.user), pk=pk)
        notification = services.notification_mark_read(user=request.user, notification=notification)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": selectors.notification_unread_count(user=request.user)})

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    @action(detail=False, methods=["get", "put"])
    def preferences(self, request):
        if request.method == "PUT":
            body = PreferenceSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.preference_set(user=request.user, email_mode=body.validated_data["email_mode"])
        pref = selectors.preference_get(user=request.user)
        return Response({"email_mode": pref.email_mode})
