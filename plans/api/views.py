from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from plans import services
from plans.filters import PlanFilterSet
from plans.models import Plan

from .serializers import PlanSerializer


class PlanViewSet(viewsets.ModelViewSet):
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet  # the plan list page filters with it too
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return Plan.objects.visible_to(self.request.user).select_related("owner_unit").order_by("-year", "id")

    def perform_create(self, serializer):
        serializer.instance = services.plan_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.plan_update(
            actor=self.request.user, plan=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        plan = services.plan_issue(actor=request.user, plan=self.get_object())
        return Response(PlanSerializer(plan, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        plan = services.plan_close(actor=request.user, plan=self.get_object())
        return Response(PlanSerializer(plan, context=self.get_serializer_context()).data)
