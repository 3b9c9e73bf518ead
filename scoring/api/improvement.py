"""`POST /api/units/{id}/improvement-plan/` (SPEC §5): a unit's improvement plan from its breakdown on a set
(`scoring.services.improvement_plan_create`). Served under the units resource, which `org` owns: org knows
nothing of scoring, so the route is declared in `config.urls`."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from criteria.models import CriteriaSet
from org.models import Unit
from scoring import permissions, services


class ImprovementPlanInputSerializer(serializers.Serializer):
    criteria_set = serializers.PrimaryKeyRelatedField(
        queryset=CriteriaSet.objects.all(), help_text="The set the unit was scored on."
    )
    target_set = serializers.PrimaryKeyRelatedField(
        queryset=CriteriaSet.objects.all(),
        required=False,
        allow_null=True,
        help_text="The set the new plan is bound to (its tasks keep the criterion codes it shares).",
    )
    due_date = serializers.DateField()
    number = serializers.CharField(max_length=64, help_text=_("Số hiệu kế hoạch, ví dụ 12/KH-UBND"))


class ImprovementPlanSerializer(serializers.Serializer):
    plan = serializers.IntegerField(source="pk", read_only=True)  # the new plan's id
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    tasks = serializers.IntegerField(read_only=True)


class ImprovementPlanView(APIView):
    @extend_schema(
        request=ImprovementPlanInputSerializer,
        responses={201: ImprovementPlanSerializer},
        description="Create, in one step, a draft plan of the unit with one task per leaf that lost "
        "points on `criteria_set`. Leaders of the unit only (403); a unit whose breakdown you cannot see "
        "is 404.",
        tags=["units"],
    )
    def post(self, request, pk: int):
        unit = Unit.objects.filter(pk=pk).first()
        if unit is None or not permissions.can_see_breakdown(request.user, unit):
            raise Http404
        body = ImprovementPlanInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        plan = services.improvement_plan_create(
            actor=request.user,
            unit=unit,
            criteria_set=data["criteria_set"],
            target_set=data.get("target_set"),
            due_date=data["due_date"],
            number=data["number"],
        )
        data = {"pk": plan.pk, "number": plan.number, "title": plan.title, "state": plan.state}
        data["tasks"] = plan.tasks.count()
        return Response(ImprovementPlanSerializer(data).data, status=201)
